// The options of `anneal logz`, in a module of their own: the command (logz.ts) and the jobs it
// runs, in this thread or in worker threads (logzJob.ts, evalJob.ts), all read them, so the jobs
// need not import the command that imports them.
import { z } from 'zod';
import { BACKENDS } from '../engine/index.js';
import { ALL_SAMPLERS } from '../annealing/samplers.js';
import { RESAMPLING_NAMES } from '../annealing/resampling.js';
import { SCHEDULES } from '../annealing/schedule.js';
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
  dim: positiveInt.optional(),
  loc: positiveNumber.optional(),
  sigma2: positiveNumber.optional(),
  components: positiveInt.optional(),
  meansSeed: nonNegativeInt.optional(),
  df: positiveNumber.optional(),
  data: z.string().optional(),
  width: positiveInt.optional(),
  kappa: positiveNumber.optional(),
  lambda: positiveNumber.optional(),
  beta: positiveNumber.optional(),
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
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});
export type LogzOptions = z.infer<typeof LogzOptionsSchema>;
