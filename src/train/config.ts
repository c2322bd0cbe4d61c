// The training-run config: one zod schema, the TypeScript type inferred from it, so validation and
// type never drift. Unknown keys are errors (a typo must not silently fall back to a default).
import { firstIssue, plainIssue, positiveFloat32 } from '../io/issues.js';
import { z } from 'zod';
import { BACKENDS } from '../engine/index.js';
import {
  LEARNED_SAMPLER_CONFIG_SHAPE,
  ResamplingConfigSchema,
  stepSizeFitsNet,
} from '../annealing/learnedConfig.js';
import { UNDERDAMPED_LOGVAR } from '../annealing/objectives.js';
import { resamples } from '../annealing/resampling.js';
import type { LrSchedule } from './schedule.js';
import { SAMPLER_TABLE } from '../annealing/samplerTable.js';
import { targetOptionShape } from '../targets/options.js';

const positive = positiveFloat32;
const positiveInt = z.number().int().positive();

/** Options of the built-in targets (createTarget's), from their table (src/targets/options.ts). */
const builtinTargetOptions = targetOptionShape({
  positiveNumber: positive,
  positiveInt,
  nonNegativeInt: z.number().int().nonnegative(),
  path: z.string(),
});

/** How reports name a run's target: the built-in name, or the module it comes from. */
export function targetLabel(t: { name?: string | undefined; module?: string | undefined }): string {
  return t.name ?? `module ${t.module ?? '?'}`;
}

/** A built-in target by name, with its options (flow runs). */
export const BuiltinTargetConfigSchema = z.strictObject({
  name: z.string().min(1),
  ...builtinTargetOptions,
});

/** A training run's target: a built-in one by name, or your own from a module. */
export const TargetConfigSchema = z
  .strictObject({
    /** A built-in target (anneal targets); or, in its place, `module`. */
    name: z.string().min(1).optional(),
    /**
     * A JavaScript module exporting your own target (default export or `target`, or a function of
     * { dim } returning it); relative paths are from the working directory.
     */
    module: z.string().min(1).optional(),
    ...builtinTargetOptions,
  })
  .superRefine((t, ctx) => {
    if ((t.name === undefined) === (t.module === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give name (a built-in target) or module (your own), one of them',
      });
    if (t.module !== undefined) {
      const extra = Object.keys(t).filter(
        (k) => !['module', 'dim'].includes(k) && t[k as keyof typeof t] !== undefined,
      );
      if (extra.length)
        ctx.addIssue({
          code: 'custom',
          message: `${extra.join(', ')} apply to built-in targets, not to a module (only dim is passed on)`,
        });
    }
  });

export { ResamplingConfigSchema };

/**
 * A training run's sampler: the learned sampler's own config (LearnedSamplerConfigSchema, whose
 * fields, checks and defaults this reuses), and where its initial distribution comes from.
 */
export const SamplerConfigSchema = z
  .strictObject({
    ...LEARNED_SAMPLER_CONFIG_SHAPE,
    /** A run directory of `anneal flow train`: its flow is the (fixed) initial distribution. */
    initialFlow: z.string().min(1).optional(),
  })
  .refine(stepSizeFitsNet, {
    message: 'must be below stepSizeNet.scale (the largest step the network can give)',
    path: ['stepSize'],
  });

export const LrScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  z.strictObject({ kind: z.literal('step'), every: positiveInt, gamma: positive }),
  z.strictObject({ kind: z.literal('cosine'), minFactor: z.number().min(0).max(1).default(0.1) }),
  z.strictObject({
    kind: z.literal('plateau'),
    /** Multiply the rate by this when the loss stalls. */
    factor: z.number().gt(0).lt(1).default(0.5),
    /** Iterations without a relative improvement of `threshold` before reducing. */
    patience: positiveInt,
    threshold: z.number().min(0).default(1e-4),
    /** Never below this fraction of the base rate. */
    minFactor: z.number().min(0).max(1).default(0),
  }),
]);

/**
 * A config's learning-rate schedule as the trainer takes it: a cosine schedule learns the run's
 * length (the config gives only its floor), the others pass through.
 */
export function lrScheduleFor(
  schedule: z.infer<typeof LrScheduleSchema>,
  iterations: number,
): LrSchedule {
  return schedule.kind === 'cosine'
    ? { kind: 'cosine', minFactor: schedule.minFactor, iterations }
    : schedule;
}

const ObjectiveSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('elbo') }),
  z.strictObject({ kind: z.literal('iw'), groupSize: positiveInt }),
  z.strictObject({ kind: z.literal('logvar') }),
]);

export const TrainConfigSchema = z
  .strictObject({
    iterations: positiveInt,
    particles: positiveInt.default(256),
    learningRate: positive.default(0.005),
    clipNorm: positive.nullable().default(10),
    lrSchedule: LrScheduleSchema.default({ kind: 'constant' }),
    logEvery: positiveInt.default(10),
    checkpointEvery: positiveInt.default(100),
    /**
     * ELBO, the importance-weighted bound over groups of `groupSize` particles, or the
     * log-variance loss (ula, ula-mcd, cmcd). Default: the ELBO for AIS samplers; for SMC samplers
     * the SMC bound (iw over each system's particles).
     */
    objective: ObjectiveSchema.optional(),
  })
  .refine((t) => t.objective?.kind !== 'iw' || t.particles % t.objective.groupSize === 0, {
    message: 'objective.groupSize must divide train.particles',
    path: ['objective', 'groupSize'],
  });

export const EvalConfigSchema = z.strictObject({
  particles: positiveInt.default(10000),
  batches: positiveInt.default(10),
  /** Seed of the evaluation stream, separate from training's so evaluation particles are fresh. */
  seed: z.number().int().nonnegative().default(1_000_003),
});

export const RunConfigSchema = z
  .strictObject({
    seed: z.number().int().nonnegative().default(0),
    backend: z.enum(BACKENDS).optional(),
    target: TargetConfigSchema,
    sampler: SamplerConfigSchema,
    train: TrainConfigSchema,
    eval: EvalConfigSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const r = c.sampler.resampling;
    if (c.train.objective?.kind === 'logvar') {
      // The paths are replayed by the ULA kernels' densities, without resampling (replay.ts).
      if (SAMPLER_TABLE[c.sampler.kind].kernel !== 'ula')
        ctx.addIssue({
          code: 'custom',
          path: ['train', 'objective', 'kind'],
          message: `logvar runs for the ULA samplers (ula, ula-mcd, cmcd), not '${c.sampler.kind}': ${UNDERDAMPED_LOGVAR}`,
        });
      else if (r && resamples(r.scheme))
        ctx.addIssue({
          code: 'custom',
          path: ['train', 'objective', 'kind'],
          message: 'logvar does not run with resampling',
        });
    }
    if (!r || r.groupSize === undefined) return;
    if (c.train.particles % r.groupSize !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sampler', 'resampling', 'groupSize'],
        message: `must divide train.particles (${c.train.particles})`,
      });
    }
    const perBatch = c.eval.particles / c.eval.batches;
    if (!Number.isInteger(perBatch) || perBatch % r.groupSize !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sampler', 'resampling', 'groupSize'],
        message: `must divide eval.particles / eval.batches (${perBatch})`,
      });
    }
  })
  .transform((c) => {
    if (c.train.objective) return c;
    const r = c.sampler.resampling;
    const objective =
      r && resamples(r.scheme)
        ? ({ kind: 'iw', groupSize: r.groupSize ?? c.train.particles } as const)
        : ({ kind: 'elbo' } as const);
    return { ...c, train: { ...c.train, objective } };
  });

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates with a schema; the error names the first bad field and what was expected. */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  source: string,
): z.infer<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
  const path = issue?.path.length ? issue.path.join('.') : '(top level)';
  throw new ConfigError(`${source}: ${path}: ${issue ? plainIssue(issue, schema) : 'invalid'}`);
}

/** Validates a parsed sampler run config. */
export function parseRunConfig(raw: unknown, source = 'config'): RunConfig {
  return parseWithSchema(RunConfigSchema, raw, source);
}
