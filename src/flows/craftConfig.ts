// The CRAFT training-run config: one zod schema (validation and type from one place), strict keys.
import { z } from 'zod';
import { BACKENDS } from '../engine/index.js';
import { positiveFloat32 } from '../io/issues.js';
import { RESAMPLING_NAMES } from '../annealing/resampling.js';
import { BuiltinTargetConfigSchema, LrScheduleSchema, parseWithSchema } from '../train/config.js';
import { CONDITIONER_DEFAULTS } from './conditioner.js';
import { CRAFT_DEFAULTS } from './craft.js';

const positiveInt = z.number().int().positive();
const positive = positiveFloat32;
const hmcDefaults = CRAFT_DEFAULTS.hmc as NonNullable<typeof CRAFT_DEFAULTS.hmc>;

export const CraftSpecSchema = z
  .strictObject({
    /** Temperature steps K on a linear schedule, one flow each. */
    steps: positiveInt.max(10_000).default(CRAFT_DEFAULTS.steps),
    /** Affine coupling layers per flow (alternating masks). */
    layers: positiveInt.default(CRAFT_DEFAULTS.layers),
    /** Hidden widths of each coupling's conditioner (tanh MLP). */
    hidden: z
      .array(positiveInt)
      .min(1)
      .default(() => [...CONDITIONER_DEFAULTS.hidden]),
    /** The fixed initial N(0, s^2 I). */
    initialScale: positive.default(CRAFT_DEFAULTS.initialScale),
    /** HMC after each transport; null for none. */
    hmc: z
      .strictObject({
        /** One leapfrog step size, or one per temperature step. */
        stepSize: z.union([positive, z.array(positive).min(1)]).default(hmcDefaults.stepSize),
        leapfrogSteps: positiveInt.default(hmcDefaults.leapfrogSteps),
        moves: z.number().int().nonnegative().default(hmcDefaults.moves),
      })
      .nullable()
      .prefault({}),
    resampling: z
      .strictObject({
        scheme: z.enum(RESAMPLING_NAMES).default('systematic'),
        /** Resample a system when its ESS falls below this fraction; null: at every step. */
        essThreshold: z.number().gt(0).max(1).nullable().default(0.3),
      })
      .prefault({}),
  })
  .refine((c) => !Array.isArray(c.hmc?.stepSize) || c.hmc.stepSize.length === c.steps, {
    message: 'give one step size or one per temperature step (craft.steps of them)',
    path: ['hmc', 'stepSize'],
  });

export const CraftRunConfigSchema = z.strictObject({
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(BACKENDS).optional(),
  target: BuiltinTargetConfigSchema,
  craft: CraftSpecSchema.prefault({}),
  train: z.strictObject({
    iterations: positiveInt,
    /** Particles of each iteration's SMC pass (one system, as CRAFT trains). */
    particles: positiveInt.default(2000),
    learningRate: positive.default(1e-3),
    clipNorm: positive.nullable().default(null),
    lrSchedule: LrScheduleSchema.default({ kind: 'constant' }),
    logEvery: positiveInt.default(10),
    checkpointEvery: positiveInt.default(100),
  }),
  eval: z
    .strictObject({
      particles: positiveInt.default(6000),
      /** Independent SMC systems the particles split into (the standard error is over them). */
      systems: positiveInt.default(3),
      seed: z.number().int().nonnegative().default(1_000_003),
    })
    .prefault({})
    .refine((e) => e.particles % e.systems === 0, {
      message: 'must split into eval.systems systems of equal size',
      path: ['particles'],
    }),
});

export type CraftRunConfig = z.infer<typeof CraftRunConfigSchema>;

export function parseCraftRunConfig(raw: unknown, source = 'config'): CraftRunConfig {
  return parseWithSchema(CraftRunConfigSchema, raw, source);
}
