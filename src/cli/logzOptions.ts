// The options of `anneal logz`, as the command line gives them. The command turns them into a
// library request (src/runs/request.ts); worker threads get the request, never these options.
import { z } from 'zod';
import { BACKENDS } from '../engine/index.js';
import { ALL_SAMPLERS } from '../annealing/samplers.js';
import { RESAMPLING_NAMES } from '../annealing/resampling.js';
import { SCHEDULES } from '../annealing/schedule.js';
import { targetFlagShape } from '../targets/options.js';
import {
  choice,
  finiteNumber,
  nonNegativeInt,
  numberIn,
  positiveInt,
  positiveNumber,
} from './options.js';

/** `anneal logz`'s options, as the command line gives them (checked once, at the boundary). */
export const LogzOptionsSchema = z.object({
  target: z.string().optional(),
  targetModule: z.string().min(1).optional(),
  from: z.string().optional(),
  sampler: choice(ALL_SAMPLERS),
  steps: positiveInt,
  particles: positiveInt,
  seed: nonNegativeInt,
  stepSize: positiveNumber.optional(),
  leapfrog: positiveInt.optional(),
  eta: numberIn(0, 1).optional(),
  schedule: choice(SCHEDULES),
  // --dim, --loc, ..., --beta: the target options' table (src/targets/options.ts).
  ...targetFlagShape({ positiveNumber, positiveInt, nonNegativeInt, path: z.string() }),
  initScale: positiveNumber,
  initMean: finiteNumber,
  batches: positiveInt,
  trainIters: nonNegativeInt,
  trainParticles: positiveInt,
  lr: positiveNumber,
  resampling: choice(RESAMPLING_NAMES).optional(),
  essThreshold: numberIn(0, 1, { hiInclusive: true }).optional(),
  temperature: positiveNumber.optional(),
  initFlow: z.string().optional(),
  backend: choice(BACKENDS).optional(),
  workers: positiveInt.optional(),
  targetSe: positiveNumber.optional(),
  maxSeconds: positiveNumber.optional(),
  systems: positiveInt.refine((v) => v >= 2, 'expected an integer >= 2').optional(),
  wasteFree: z
    .union([z.literal(true), positiveInt.refine((v) => v >= 2, 'expected a chain length >= 2')])
    .optional(),
  start: choice(['fit', 'initial'] as const).optional(),
  move: choice(['hmc', 'mala'] as const).optional(),
  samples: z.string().min(1).optional(),
  perStep: z.boolean().optional(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});
export type LogzOptions = z.infer<typeof LogzOptionsSchema>;
