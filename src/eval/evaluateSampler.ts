import { Rng } from '../engine/index.js';
import { checkOptionKeys, keyList, streamOf } from '../io/entryOptions.js';
import { KernelError } from '../annealing/kernels/kernel.js';
import type { StepDiagnostics } from '../annealing/ais.js';
import type { LearnedSampler } from '../annealing/learned.js';
import {
  summarizeLogWeights,
  systemBound,
  type LogWeightSummary,
  type SmcBound,
} from './logWeights.js';
import {
  checkBatchRange,
  defaultBatches,
  splitBatches,
  weightedParticles,
  type BatchRun,
  type WeightedParticles,
} from './estimateLogZ.js';
import { checkWorkload } from './workload.js';
import { resultWarnings } from './warnings.js';

export interface SamplerEvaluation extends LogWeightSummary {
  /**
   * The bound DSMCS trains on: mean over systems of log Z-hat. SMC samplers, and AIS samplers
   * given a system size (then it is the importance-weighted bound of N); else null.
   */
  smcBound: SmcBound | null;
  trueLogZ: number | null;
  error: number | null;
  seconds: number;
  perStep: StepDiagnostics[];
  /** The final weighted particles with returnSamples, else null. */
  samples: WeightedParticles | null;
  /** Why the result may not be what it seems (as LogZEstimate.warnings); empty when nothing was. */
  warnings: string[];
}

export interface EvaluateOptions {
  particles: number;
  /** Independent batches for the standard errors; default the most, up to 10, that split the particles into equal batches of whole systems. */
  batches?: number;
  /**
   * The evaluation's stream: batch b draws from its b-th child stream. evaluateSampler advances it
   * by one draw (a second evaluation gets fresh particles); evaluateSamplerBatches leaves it as is.
   * One of rng and seed is needed.
   */
  rng?: Rng;
  /** Seed of the evaluation's stream, where no rng is given (each call starts it afresh). */
  seed?: number;
  onStep?: (k: number, K: number) => void;
  /**
   * Each step's readings as the chain runs (over the batches this thread runs together), e.g. for
   * a live plot; a small device read per step.
   */
  onReading?: (reading: StepDiagnostics, steps: number) => void;
  /** Return the final particles and their log-weights (result.samples); default false. */
  returnSamples?: boolean;
}

/** The keys evaluateSampler takes (checked against EvaluateOptions by the compiler). */
export const EVALUATE_OPTION_KEYS = keyList<EvaluateOptions>()([
  'particles',
  'batches',
  'rng',
  'seed',
  'onStep',
  'onReading',
  'returnSamples',
]);

/** The evaluation's stream: `rng`, else a fresh one from `seed`; refuses options without either. */
export function evaluationStream(options: EvaluateOptions, where = 'evaluateSampler'): Rng {
  const error = (m: string) => new KernelError(m);
  checkOptionKeys(where, options, EVALUATE_OPTION_KEYS, error);
  return streamOf(where, options, error);
}

/** Particles per batch, and per system for SMC (each batch whole systems); checks they divide. */
export function evaluationLayout(
  sampler: LearnedSampler,
  options: EvaluateOptions,
): { batches: number; perBatch: number; groupSize: number } {
  const { particles } = options;
  // SMC particles of one system are dependent: batches for the standard error must be whole
  // systems. Without a configured system size, each batch is one system. A system size without
  // resampling (DAIS) keeps the per-step diagnostics per system.
  const configured = sampler.smc?.groupSize ?? sampler.config.resampling?.groupSize;
  const batches = options.batches ?? defaultBatches(particles, configured);
  const perBatch = splitBatches(particles, batches);
  const groupSize = configured ?? perBatch;
  if (perBatch % groupSize !== 0) {
    throw new RangeError(
      `${sampler.smc ? 'SMC' : 'DAIS'} evaluation: ${particles} particles in ${batches} batches must give batches of whole systems of ${groupSize} particles`,
    );
  }
  return { batches, perBatch, groupSize };
}

/**
 * The chains of batches [first, first + count) of an evaluation, as one tensor of particles: batch
 * b draws every random number from its own stream (the b-th child of `options.rng`), so its
 * log-weights are the same whichever batches run beside it, in this thread or in a worker.
 * Per-step diagnostics are per batch (per system for SMC). Raises NonFiniteWeightsError if the
 * chain diverges.
 */
export function evaluateSamplerBatches(
  sampler: LearnedSampler,
  options: EvaluateOptions,
  first: number,
  count: number,
): BatchRun {
  const { batches, perBatch, groupSize } = evaluationLayout(sampler, options);
  checkBatchRange(first, count, batches, 'evaluation');
  checkWorkload({
    particles: perBatch * count,
    dim: sampler.target.dim,
    steps: sampler.config.steps,
  });
  const rng = Rng.joint(
    evaluationStream(options, 'evaluation')
      .children(batches)
      .slice(first, first + count),
  );
  const result = sampler.run({
    groupSize,
    particles: perBatch * count,
    rng,
    diagnostics: true,
    checkFinite: true,
    onStep: options.onStep,
    ...(options.onReading ? { onReading: options.onReading } : {}),
  });
  try {
    const z = options.returnSamples ? Float32Array.from(result.z.dataSync()) : undefined;
    return {
      logW: Float32Array.from(result.logW.dataSync()),
      perStep: result.perStep,
      ...(z ? { z } : {}),
    };
  } finally {
    result.z.dispose();
    result.logW.dispose();
  }
}

/** Summarizes the log-weights of a whole evaluation (every batch, in order). */
export function summarizeEvaluation(
  sampler: LearnedSampler,
  options: EvaluateOptions,
  run: BatchRun,
  seconds: number,
): SamplerEvaluation {
  const { batches } = evaluationLayout(sampler, options);
  // Without resampling (AIS, DAIS) every particle is an independent draw.
  const summary = summarizeLogWeights(run.logW, batches, { independent: sampler.smc === null });
  // For AIS with a system size (DAIS), the same quantity is the importance-weighted bound of N.
  const boundGroup = sampler.smc
    ? (sampler.smc.groupSize ?? run.logW.length / batches)
    : sampler.config.resampling?.groupSize;
  const smcBound = boundGroup ? systemBound(run.logW, boundGroup) : null;
  const trueLogZ = sampler.target.logZ ?? null;
  return {
    ...summary,
    smcBound,
    trueLogZ,
    error: trueLogZ === null ? null : summary.logZ - trueLogZ,
    seconds,
    perStep: run.perStep,
    samples: weightedParticles(run, sampler.target.dim),
    warnings: resultWarnings({ ...summary, particles: run.logW.length, perStep: run.perStep }),
  };
}

/**
 * Evaluates a (trained) sampler with fresh particles: log Z, ELBO, ESS and their standard errors
 * from independent batches, each with its own random stream (so a run shared out over worker
 * threads gives the same numbers). Raises NonFiniteWeightsError if the chain diverges.
 *
 * @param sampler a LearnedSampler, trained or not
 * @param options `particles`, and the evaluation's `rng` (advanced by one draw) or a `seed`
 * @example
 * ```ts
 * const e = evaluateSampler(sampler, { particles: 2000, rng: Rng.fromSeed(1) });
 * console.log(e.logZ, e.logZStdErr, e.elbo, e.essFraction);
 * ```
 */
export function evaluateSampler(
  sampler: LearnedSampler,
  options: EvaluateOptions,
): SamplerEvaluation {
  const started = performance.now();
  const rng = evaluationStream(options);
  const { batches } = evaluationLayout(sampler, options);
  const run = evaluateSamplerBatches(sampler, { ...options, rng }, 0, batches);
  rng.split(batches);
  return summarizeEvaluation(sampler, options, run, (performance.now() - started) / 1000);
}
