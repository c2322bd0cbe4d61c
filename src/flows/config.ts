// The flow training-run config: one zod schema (validation and type from one place), strict keys.
import { z } from 'zod';
import { positiveFloat32 } from '../io/issues.js';
import { BACKENDS } from '../engine/index.js';
import { LrScheduleSchema, BuiltinTargetConfigSchema, parseWithSchema } from '../train/config.js';
import { FORWARD_KL_ESTIMATORS, REVERSE_KL_ESTIMATORS } from './estimators.js';
import { SmcHmcSamplesSchema } from './trainingSamples.js';
import { CONDITIONER_DEFAULTS } from './conditioner.js';
import { FLOW_DEFAULTS, FLOW_KINDS } from './flow.js';
import { FAB_DEFAULTS, FAB_MOVES } from './fab.js';

const positiveInt = z.number().int().positive();
const positive = positiveFloat32;

export const FlowSpecSchema = z.strictObject({
  kind: z.enum(FLOW_KINDS),
  /** Coupling layers with alternating masks. */
  layers: positiveInt.default(FLOW_DEFAULTS.layers),
  /** Hidden widths of each conditioner (tanh MLP). */
  hidden: z
    .array(positiveInt)
    .min(1)
    .default(() => [...CONDITIONER_DEFAULTS.hidden]),
  /** Standard deviation of the conditioners' initial output weights; 0 starts at the identity. */
  outputInitScale: z.number().min(0).default(CONDITIONER_DEFAULTS.outputInitScale),
  /** Lattice targets: the lattice width for checkerboard masks; null for alternating masks. */
  checkerboardWidth: positiveInt.nullable().default(FLOW_DEFAULTS.checkerboardWidth),
  /** 'u1-gauge' only: NCP mixture components of each circular plaquette transform. */
  circularComponents: positiveInt.default(FLOW_DEFAULTS.circularComponents),
});

const FlowLossSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('reverse-kl'),
    estimator: z.enum(REVERSE_KL_ESTIMATORS).default('path-fast'),
  }),
  z.strictObject({
    kind: z.literal('forward-kl'),
    // 'path' is the name runs written before 'path-fast' existed gave 'path-reference'.
    estimator: z
      .preprocess((v) => (v === 'path' ? 'path-reference' : v), z.enum(FORWARD_KL_ESTIMATORS))
      .default('path-fast'),
    /** Size of the fixed training set drawn from the target. */
    trainSamples: positiveInt.default(10000),
    /**
     * How the training set is drawn: absent, the target's exact sampler; `smc-hmc` for targets
     * without one (SMC with HMC moves from a Gaussian, then HMC steps at the target).
     */
    samples: SmcHmcSamplesSchema.optional(),
  }),
  z.strictObject({
    kind: z.literal('fab'),
    /** D_alpha(p || q) is trained on; each AIS pass targets p^alpha q^(1 - alpha). */
    alpha: z.number().gt(1).default(FAB_DEFAULTS.alpha),
    /** Intermediate distributions of each AIS pass, one HMC move each. */
    intermediate: positiveInt.default(FAB_DEFAULTS.intermediate),
    /** The move at each intermediate distribution: HMC, or a random-walk Metropolis step. */
    move: z.enum(FAB_MOVES).default(FAB_DEFAULTS.move),
    leapfrogSteps: positiveInt.default(FAB_DEFAULTS.leapfrogSteps),
    /** The HMC step size every intermediate distribution starts from. */
    stepSize: positive.default(FAB_DEFAULTS.stepSize),
    /** Acceptance rate the step sizes are tuned towards after each pass; null keeps them fixed. */
    targetAcceptance: z.number().gt(0).lt(1).nullable().default(FAB_DEFAULTS.targetAcceptance),
    /** The prioritized replay buffer (sizes in minibatches); null trains on each pass alone. */
    buffer: z
      .strictObject({
        maxBatches: positiveInt,
        minBatches: positiveInt,
        updatesPerPass: positiveInt,
      })
      .refine((b) => b.minBatches <= b.maxBatches, {
        message: 'minBatches must not exceed maxBatches',
        path: ['minBatches'],
      })
      .refine((b) => b.updatesPerPass <= b.minBatches, {
        message:
          'updatesPerPass must not exceed minBatches (each pass draws that many distinct minibatches)',
        path: ['updatesPerPass'],
      })
      .nullable()
      .default({ ...FAB_DEFAULTS.buffer! }),
    /** Upper clip of a buffer point's reweighting factor; null for none. */
    weightClip: positive.nullable().default(FAB_DEFAULTS.weightClip),
  }),
]);

export const FlowRunConfigSchema = z.strictObject({
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(BACKENDS).optional(),
  target: BuiltinTargetConfigSchema,
  flow: FlowSpecSchema,
  train: z.strictObject({
    iterations: positiveInt,
    /** Draws per iteration: base points (reverse KL) or a minibatch of target samples (forward KL). */
    batch: positiveInt.default(500),
    learningRate: positive.default(1e-3),
    clipNorm: positive.nullable().default(null),
    lrSchedule: LrScheduleSchema.default({ kind: 'constant' }),
    loss: FlowLossSchema.default({ kind: 'reverse-kl', estimator: 'path-fast' }),
    logEvery: positiveInt.default(10),
    checkpointEvery: positiveInt.default(100),
  }),
  eval: z
    .strictObject({
      particles: positiveInt.default(10000),
      batches: positiveInt.default(10),
      /** Held-out target samples for NLL and forward ESS (targets that sample). */
      testSamples: positiveInt.default(10000),
      seed: z.number().int().nonnegative().default(1_000_003),
    })
    .prefault({}),
});

export type FlowRunConfig = z.infer<typeof FlowRunConfigSchema>;

export function parseFlowRunConfig(raw: unknown, source = 'config'): FlowRunConfig {
  return parseWithSchema(FlowRunConfigSchema, raw, source);
}
