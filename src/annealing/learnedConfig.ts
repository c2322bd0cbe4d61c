// A learned sampler's config: one zod schema, its TypeScript types inferred from it. The
// LearnedSampler constructor validates with it, and a training run's config (src/train/config.ts)
// extends it, so the checks, the defaults (LEARNED_DEFAULTS) and the type never drift apart.
import { z } from 'zod';
import { describeValue, firstIssue, issueWithField, positiveFloat32 } from '../io/issues.js';
import { ScoreNetConfigSchema } from '../nets/scoreNet.js';
import { GST_DEFAULT_TEMPERATURE, RESAMPLING_NAMES } from './resampling.js';
import { LEARNED_DEFAULTS, LEARNED_SAMPLERS } from './samplerTable.js';
import { MAX_STEPS } from './schedule.js';
import { KernelError } from './stepValue.js';

const positive = positiveFloat32;
const positiveInt = z.number().int().positive();
const d = LEARNED_DEFAULTS;
const mustBePositiveInt = (issue: { input?: unknown }) =>
  `must be a positive integer, got ${describeValue(issue.input)}`;

export const STEP_SIZE_NET_DEFAULTS = { width: 32, scale: 0.25 };

/**
 * Step sizes as DSMCS's code makes them (Zenn & Bamler 2023): each step index's learned embedding
 * [width] through SiLU and a linear layer, squashed to (0, scale) by scale * sigmoid.
 */
export const StepSizeNetConfigSchema = z.strictObject({
  /** Embedding width (32 in the paper's code). */
  width: z
    .number()
    .int({ error: mustBePositiveInt })
    .positive({ error: mustBePositiveInt })
    .default(STEP_SIZE_NET_DEFAULTS.width),
  /** Largest step size: the sigmoid's scale (0.25 in the paper's runs). */
  scale: positive.default(STEP_SIZE_NET_DEFAULTS.scale),
});
export type StepSizeNetConfig = z.infer<typeof StepSizeNetConfigSchema>;

/** Which parameter groups gradient descent may change; the others stay at their initial values. */
export const LearnFlagsSchema = z.strictObject({
  stepSizes: z.boolean().default(d.learn.stepSizes),
  schedule: z.boolean().default(d.learn.schedule),
  initial: z.boolean().default(d.learn.initial),
  eta: z.boolean().default(d.learn.eta),
  mass: z.boolean().default(d.learn.mass),
  scoreNet: z.boolean().default(d.learn.scoreNet),
});
export type LearnFlags = z.infer<typeof LearnFlagsSchema>;

/** Sequential Monte Carlo inside the chain (ResamplingOptions, validated). */
export const ResamplingConfigSchema = z.strictObject({
  scheme: z.enum(RESAMPLING_NAMES),
  /** Resample a system when its ESS falls below this fraction of N; absent: at every step. */
  essThreshold: z.number().gt(0).max(1).nullable().optional(),
  /** Particles per SMC system N (must divide the particles of every run); absent: one system. */
  groupSize: positiveInt.optional(),
  /** GST temperature (gst, bern-gst). */
  temperature: positive.default(GST_DEFAULT_TEMPERATURE),
});

/** The fields of a learned sampler's config, for schemas that extend it (a training run's). */
export const LEARNED_SAMPLER_CONFIG_SHAPE = {
  kind: z.enum(LEARNED_SAMPLERS),
  /** Annealing steps K. */
  steps: positiveInt
    .max(MAX_STEPS, {
      error: (issue) =>
        `${String(issue.input)} annealing steps is more than the ${MAX_STEPS.toLocaleString('en-US')} a run takes: lower the steps`,
    })
    .default(d.steps),
  /** Initial step size (ULA delta or leapfrog epsilon), the same at every step. */
  stepSize: positive.default(d.stepSize),
  /** Initial UHA damping eta in (0, 1). */
  eta: z.number().gt(0).lt(1).default(d.eta),
  /** Initial UHA diagonal mass (every coordinate). */
  mass: positive.default(d.mass),
  /** UHA leapfrog steps per transition. */
  leapfrogSteps: positiveInt.default(d.leapfrogSteps),
  /** Initial distribution N(initialMean, initialScale^2 I) before learning. */
  initialMean: z.number().finite().default(d.initialMean),
  initialScale: positive.default(d.initialScale),
  /**
   * The schedule the learned one starts from: 'linear' (beta_k = k / K) or 'geometric' (from 1e-3
   * to 1, for a target much narrower than the initial distribution, where a linear start loses
   * its ESS in the first steps).
   */
  schedule: z.enum(['linear', 'geometric']).default(d.schedule),
  /** The network of MCD (ula-mcd, uha-mcd: the backward score) and of CMCD (cmcd: the control). */
  scoreNet: ScoreNetConfigSchema.prefault({}),
  /**
   * Step sizes from a small network of the step index, in (0, scale) (DSMCS's code). Absent or
   * null: one free log step size per step.
   */
  stepSizeNet: StepSizeNetConfigSchema.nullable().optional(),
  learn: LearnFlagsSchema.prefault({}),
  /**
   * Sequential Monte Carlo (DSMCS, Zenn & Bamler 2023): resampling inside the chain. Absent or
   * scheme 'none': AIS (DAIS, MCD).
   */
  resampling: ResamplingConfigSchema.optional(),
};

/** The rule across fields: the initial step size is one the step-size network can give. */
export function stepSizeFitsNet(c: {
  stepSize: number;
  stepSizeNet?: StepSizeNetConfig | null | undefined;
}): boolean {
  return !c.stepSizeNet || c.stepSize < c.stepSizeNet.scale;
}

/** A learned sampler's config: `kind`, and any of the fields LEARNED_DEFAULTS fills in. */
export const LearnedSamplerConfigSchema = z
  .strictObject(LEARNED_SAMPLER_CONFIG_SHAPE)
  .superRefine((c, ctx) => {
    if (!stepSizeFitsNet(c))
      ctx.addIssue({
        code: 'custom',
        message: `step size ${c.stepSize} must be below the step-size network's scale ${c.stepSizeNet?.scale} (the largest step the network can give)`,
      });
  });

/** A learned sampler's config with every default filled in (LearnedSampler.config). */
export type LearnedSamplerConfig = z.infer<typeof LearnedSamplerConfigSchema>;
/** What a LearnedSampler is built from: `kind` and any fields to change from LEARNED_DEFAULTS. */
export type LearnedSamplerConfigInput = z.input<typeof LearnedSamplerConfigSchema>;

// The defaults are a valid config's fields (checked by the compiler).
void (LEARNED_DEFAULTS satisfies Omit<LearnedSamplerConfig, 'kind'>);

/**
 * Validates a learned sampler's config and fills in its defaults; a KernelError names the first
 * field at fault in plain words.
 */
export function parseLearnedSamplerConfig(raw: LearnedSamplerConfigInput): LearnedSamplerConfig {
  const result = LearnedSamplerConfigSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
  throw new KernelError(
    `learned sampler config: ${issue ? issueWithField(issue, LearnedSamplerConfigSchema) : 'is not valid'}`,
  );
}
