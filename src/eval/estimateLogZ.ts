import { Rng, type Tensor1D } from '../engine/index.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { isDistribution, type Distribution } from '../distributions/distribution.js';
import { checkTarget, type Target } from '../targets/target.js';
import { scoreField } from '../targets/score.js';
import { checkWorkload } from './workload.js';
import { runAis, type StepDiagnostics } from '../annealing/ais.js';
import type { PerStep } from '../annealing/kernels/kernel.js';
import { AnnealingPath } from '../annealing/path.js';
import { describePaths, fastPathReport } from '../annealing/dispatch.js';
import { KernelError } from '../annealing/kernels/kernel.js';
import {
  ESTIMATE_SAMPLERS,
  estimateKernel,
  isSmcSamplerName,
  makeKernel,
  type EstimateSamplerName,
  type SamplerName,
} from '../annealing/samplers.js';
import { makeSchedule, type ScheduleName } from '../annealing/schedule.js';
import { resamples, type ResamplingOptions } from '../annealing/resampling.js';
import { autoLogZ, type AutoLogZOptions } from './autoLogZ.js';
import { resultWarnings } from './warnings.js';
import type { LogZEstimate, WeightedParticles } from './logZEstimate.js';

export type { LogZEstimate, WeightedParticles };
import { concatFloat32, summarizeLogWeights, systemBound } from './logWeights.js';

/**
 * Samplers estimateLogZ runs (the sampler table's samplers that need no training): AIS with ULA,
 * HMC or MALA moves, and the same moves with resampling inside the chain ('smc-ula', 'smc-hmc',
 * 'smc-mala': systematic resampling at every step unless `resampling` says otherwise).
 */
export { ESTIMATE_SAMPLERS, type EstimateSamplerName };

export interface EstimateLogZOptions {
  target: Target;
  /**
   * 'auto' (adaptive SMC that sets itself up: autoLogZ), or a fixed sampler. Default: 'auto' when
   * none of the fixed samplers' settings (steps, schedule, stepSize, leapfrogSteps, batches,
   * resampling, onStep, onReading) is given, else 'ais-ula' as before auto existed.
   */
  sampler?: EstimateSamplerName | 'auto';
  /**
   * The auto sampler's settings (targetStdErr, maxSeconds, systems, wasteFree, start, move,
   * tuning, onProgress); `particles` is then per system and `initial` a { mean, scale }.
   */
  auto?: Omit<
    AutoLogZOptions,
    'target' | 'seed' | 'rng' | 'returnSamples' | 'particles' | 'initial'
  >;
  /** Annealing steps K; default 64. */
  steps?: number;
  /** Particles N; default 1000. */
  particles?: number;
  /** Default 'linear'. */
  schedule?: ScheduleName | readonly number[];
  stepSize?: PerStep;
  leapfrogSteps?: number;
  /**
   * Initial distribution: isotropic N(mean, scale^2 I) (default N(0, I)), or any Distribution (a
   * DiagGaussian, a trained flow through flowDistribution); a given one is not disposed.
   */
  initial?: { mean?: number; scale?: number } | Distribution;
  /** Seed of the random stream; default 0. Ignored when rng is given. */
  seed?: number;
  rng?: Rng;
  /** Batches for the standard error; default the most, up to 10, that split the particles evenly (into whole SMC systems). */
  batches?: number;
  onStep?: (step: number, steps: number) => void;
  /**
   * Each step's readings as the chain runs (over the batches this thread runs together), e.g. for
   * a live plot; a small device read per step (see AisOptions.onReading).
   */
  onReading?: (reading: StepDiagnostics, steps: number) => void;
  /**
   * SMC: resample inside the chain. Without a group size each batch is one SMC system, so the
   * batches stay independent for the standard error.
   */
  resampling?: ResamplingOptions;
  /** Return the final particles and their log-weights (result.samples); default false. */
  returnSamples?: boolean;
}

export interface BatchRun {
  logW: Float32Array;
  /** The final particles, row-major, when the run was asked to keep them. */
  z?: Float32Array;
  perStep: StepDiagnostics[];
  /** How the moves ran (LogZEstimate.moves). */
  moves?: string;
  /** How the target's score ran (LogZEstimate.score). */
  score?: string;
}

/**
 * Particles per batch when `particles` run as `batches` equal batches (each its own random stream);
 * raises a RangeError naming the numbers when they do not split evenly.
 */
export function splitBatches(particles: number, batches: number): number {
  if (!Number.isInteger(batches) || batches < 1)
    throw new RangeError(`batches must be a positive integer, got ${batches}`);
  if (!Number.isInteger(particles) || particles < 1)
    throw new RangeError(`particles must be a positive whole number, got ${particles}`);
  if (particles % batches !== 0)
    throw new RangeError(
      `${particles} particles do not split into ${batches} equal batches: use a multiple of ${batches}`,
    );
  return particles / batches;
}

/**
 * The batch count when none is given: the most, up to 10, that split `particles` into equal
 * batches of whole systems of `groupSize` particles (SMC), so that a valid particle count never
 * fails for want of a batch count; 1 (no standard error) when only one batch fits.
 */
export function defaultBatches(particles: number, groupSize?: number): number {
  for (let b = 10; b > 1; b--) {
    if (particles % b !== 0) continue;
    if (groupSize !== undefined && (particles / b) % groupSize !== 0) continue;
    return b;
  }
  return 1;
}

/** Raises a RangeError unless [first, first + count) is a non-empty range of the run's batches. */
export function checkBatchRange(first: number, count: number, batches: number, of: string): void {
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(count) ||
    first < 0 ||
    count < 1 ||
    first + count > batches
  )
    throw new RangeError(
      `batches [${first}, ${first + count}) are not within the ${of}'s ${batches}`,
    );
}

/**
 * The kernel of a sampler name and the resampling it implies. Names of learned samplers ('ula',
 * 'uha', the -mcd kinds, 'smc-uha') are refused with where to find them.
 */
export function resolveEstimateSampler(options: EstimateLogZOptions): {
  kernel: SamplerName;
  resampling: ResamplingOptions | undefined;
} {
  const name = samplerOf(options);
  if (!(ESTIMATE_SAMPLERS as readonly string[]).includes(name)) {
    const given = String(name as unknown);
    const learned = /^(smc-)?(ula|uha)(-mcd)?$/.test(given)
      ? ` ('${given}' is a learned sampler: train a LearnedSampler of kind '${given.replace(/^smc-/, '')}'${given.startsWith('smc-') ? ' with the resampling option' : ''}, or use trainAndEvaluate)`
      : '';
    throw new KernelError(
      `unknown sampler '${given}' for estimateLogZ; valid: ${ESTIMATE_SAMPLERS.join(', ')}${learned}`,
    );
  }
  const fixed = name as EstimateSamplerName;
  const smc = isSmcSamplerName(fixed);
  return {
    kernel: estimateKernel(fixed),
    resampling: smc ? (options.resampling ?? { scheme: 'systematic' }) : options.resampling,
  };
}

/**
 * A run's batches and the particles in each: `batches`, or the default for the particles (and SMC
 * systems); raises a RangeError when the particles do not split into them evenly.
 */
export function batchLayout(options: EstimateLogZOptions): { batches: number; perBatch: number } {
  const particles = options.particles ?? 1000;
  const group = options.resampling?.groupSize;
  const batches = options.batches ?? defaultBatches(particles, group);
  return { batches, perBatch: splitBatches(particles, batches) };
}

/**
 * The chains of batches [first, first + count) of a run, as one tensor of particles: batch b draws
 * every random number from its own stream (the b-th child of the run's stream), so its
 * log-weights are the same whichever batches run beside it, in this process or in a worker.
 * Per-step diagnostics are per batch (ESS fraction averaged over the batches).
 */
export function runLogZBatches(
  options: EstimateLogZOptions,
  first: number,
  count: number,
): BatchRun {
  const { kernel: sampler, resampling: asked } = resolveEstimateSampler(options);
  const steps = options.steps ?? 64;
  const { batches, perBatch } = batchLayout(options);
  checkBatchRange(first, count, batches, 'run');
  const { target } = options;
  checkTarget(target);
  checkWorkload({ particles: perBatch * count, dim: target.dim, steps });
  const betas = makeSchedule(options.schedule ?? 'linear', steps);
  const kernel = makeKernel(sampler, steps, {
    stepSize: options.stepSize,
    leapfrogSteps: options.leapfrogSteps,
  });
  // The stream first: a bad seed is refused before anything holds tensors.
  const streams = (options.rng ?? Rng.fromSeed(options.seed ?? 0)).children(batches);
  const rng = Rng.joint(streams.slice(first, first + count));
  const given = isDistribution(options.initial) ? options.initial : null;
  const spec = given ? null : (options.initial as { mean?: number; scale?: number } | undefined);
  const initial: Distribution =
    given ?? DiagGaussian.isotropic(target.dim, spec?.scale ?? 1, spec?.mean ?? 0);
  let logW: Tensor1D | undefined;
  try {
    const path = new AnnealingPath(initial, target);
    // Each batch is one system: SMC resamples within it, and without resampling the group size
    // only makes the per-step diagnostics per batch.
    if (
      asked?.groupSize !== undefined &&
      resamples(asked.scheme) &&
      perBatch % asked.groupSize !== 0
    )
      throw new RangeError(
        `SMC: ${options.particles ?? 1000} particles in ${batches} batches must give batches of whole systems of ${asked.groupSize} particles`,
      );
    const resampling: ResamplingOptions = asked
      ? { ...asked, groupSize: asked.groupSize ?? perBatch }
      : { scheme: 'none', groupSize: perBatch };
    const moves = describePaths(
      fastPathReport(kernel, path, {
        resampling: resamples(resampling.scheme),
        trace: false,
        scheduleKnown: true,
      }),
    );
    const result = runAis({
      path,
      kernel,
      betas,
      particles: perBatch * count,
      rng,
      onStep: options.onStep,
      ...(options.onReading ? { onReading: options.onReading } : {}),
      resampling,
    });
    const z = options.returnSamples ? Float32Array.from(result.z.dataSync()) : undefined;
    result.z.dispose();
    logW = result.logW;
    return {
      logW: Float32Array.from(logW.dataSync()),
      perStep: result.perStep,
      moves,
      ...scoreField(target),
      ...(z ? { z } : {}),
    };
  } finally {
    logW?.dispose();
    if (!given) (initial as DiagGaussian).dispose();
  }
}

/**
 * One run from the runs of consecutive groups of its batches (in batch order; `batches[i]` is the
 * number in group i): log-weights concatenated, per-step diagnostics pooled as one chain over all
 * the groups would report them (per-batch ESS fractions, acceptance and resampling rates averaged,
 * diverged proposals summed, running log Z estimates combined by log-mean-exp).
 */
export function combineBatchRuns(runs: readonly BatchRun[], batches: readonly number[]): BatchRun {
  if (runs.length === 1) return runs[0] as BatchRun;
  const logW = concatFloat32(runs.map((r) => r.logW));
  let previous = 0;
  const first = runs[0] as BatchRun;
  const perStep = first.perStep.map((_, k) => {
    const step = poolReadings(
      runs.map((r) => r.perStep[k] as StepDiagnostics),
      batches,
      previous,
    );
    previous = step.logZ;
    return step;
  });
  const z = runs.every((r) => r.z)
    ? concatFloat32(runs.map((r) => r.z as Float32Array))
    : undefined;
  return {
    logW,
    perStep,
    ...(first.moves ? { moves: first.moves } : {}),
    ...(first.score ? { score: first.score } : {}),
    ...(z ? { z } : {}),
  };
}

/**
 * One step's readings of consecutive groups of a run's batches (`batches[i]` in group i), pooled
 * as one chain over all the groups would report them: ESS fractions, acceptance and resampling
 * rates averaged by batch count, diverged proposals summed, running log Z estimates combined by
 * log-mean-exp; `previousLogZ` is the pooled estimate of the step before (0 before the first).
 */
export function poolReadings(
  readings: readonly StepDiagnostics[],
  batches: readonly number[],
  previousLogZ: number,
): StepDiagnostics {
  const s0 = readings[0] as StepDiagnostics;
  if (readings.length === 1) return { ...s0, logZIncrement: s0.logZ - previousLogZ };
  const total = batches.reduce((a, b) => a + b, 0);
  const mean = (f: (r: StepDiagnostics) => number) =>
    readings.reduce((a, r, i) => a + ((batches[i] as number) / total) * f(r), 0);
  const top = Math.max(...readings.map((r) => r.logZ));
  const logZ = Number.isFinite(top) ? top + Math.log(mean((r) => Math.exp(r.logZ - top))) : top;
  return {
    ...s0,
    essFraction: mean((r) => r.essFraction),
    essCount: mean((r) => r.essCount),
    logZ,
    logZIncrement: logZ - previousLogZ,
    acceptance: s0.acceptance === null ? null : mean((r) => r.acceptance as number),
    resampled: s0.resampled === null ? null : mean((r) => r.resampled as number),
    diverged:
      s0.diverged === null ? null : readings.reduce((a, r) => a + (r.diverged as number), 0),
  };
}

/** The weighted particles of a run that kept them, else null. */
export function weightedParticles(run: BatchRun, dim: number): WeightedParticles | null {
  if (!run.z) return null;
  return { z: run.z, logW: run.logW, count: run.logW.length, dim };
}

/** Summarizes a whole run's log-weights (all batches, in order). */
export function summarizeRun(
  options: EstimateLogZOptions,
  run: BatchRun,
  seconds: number,
): LogZEstimate {
  const { batches } = batchLayout(options);
  const { resampling } = resolveEstimateSampler(options);
  // Without resampling every particle is an independent draw.
  const independent = !(resampling && resamples(resampling.scheme));
  const summary = summarizeLogWeights(run.logW, batches, { independent });
  const groupSize =
    resampling && resamples(resampling.scheme)
      ? (resampling.groupSize ?? run.logW.length / batches)
      : null;
  const trueLogZ = options.target.logZ ?? null;
  const particles = options.particles ?? 1000;
  return {
    target: options.target.name,
    sampler: samplerOf(options),
    steps: options.steps ?? 64,
    particles,
    ...summary,
    trueLogZ,
    error: trueLogZ === null ? null : summary.logZ - trueLogZ,
    seconds,
    perStep: run.perStep,
    smcBound: groupSize ? systemBound(run.logW, groupSize) : null,
    samples: weightedParticles(run, options.target.dim),
    moves: run.moves ?? null,
    ...(run.score ? { score: run.score } : {}),
    warnings: resultWarnings({ ...summary, particles, perStep: run.perStep }),
  };
}

/** The fixed samplers' settings: with any of them and no sampler, the sampler is 'ais-ula'. */
const FIXED_SETTINGS = [
  'steps',
  'schedule',
  'stepSize',
  'leapfrogSteps',
  'batches',
  'resampling',
  'onStep',
  'onReading',
] as const;

/** The sampler a call runs (see EstimateLogZOptions.sampler). */
export function samplerOf(options: EstimateLogZOptions): EstimateSamplerName | 'auto' {
  if (options.sampler !== undefined) return options.sampler;
  return FIXED_SETTINGS.some((k) => options[k] !== undefined) ? 'ais-ula' : 'auto';
}

function runAuto(options: EstimateLogZOptions): LogZEstimate {
  const fixed = FIXED_SETTINGS.filter((k) => options[k] !== undefined);
  if (fixed.length)
    throw new KernelError(
      `the auto sampler chooses its own ${fixed.join(', ')}; give a fixed sampler to set ${fixed.length > 1 ? 'them' : 'it'}`,
    );
  if (isDistribution(options.initial))
    throw new KernelError(
      'the auto sampler fits its own start from an initial { mean, scale }; give a fixed sampler to start from a distribution',
    );
  return autoLogZ({
    ...options.auto,
    target: options.target,
    ...(options.particles !== undefined ? { particles: options.particles } : {}),
    ...(options.initial ? { initial: options.initial as { mean?: number; scale?: number } } : {}),
    ...(options.rng ? { rng: options.rng } : { seed: options.seed ?? 0 }),
    returnSamples: options.returnSamples ?? false,
  });
}

/**
 * Runs an annealed sampler on a target and summarizes the log-weights; frees every tensor it made.
 * With only a target (no sampler and none of the fixed samplers' settings) it runs the auto
 * sampler (autoLogZ), which sets itself up and reports a standard error from independent systems.
 * A fixed sampler's particles run as `batches` independent batches, each with its own random
 * stream, so the result is the same as a run shared out over worker threads
 * (`anneal logz --workers`).
 *
 * @param options the target, and the sampler's settings if you choose them; only `target` is required
 * @returns log Z and the ELBO with standard errors, ESS, per-step diagnostics, the weighted
 *   particles with `returnSamples`, and for auto what it chose (`auto`)
 * @example
 * ```ts
 * await initEngine();
 * const target = createTarget('german-credit');
 * const auto = estimateLogZ({ target }); // nothing to set
 * const fixed = estimateLogZ({ target, sampler: 'ais-hmc', steps: 256, particles: 2000 });
 * console.log(auto.logZ, auto.logZStdErr, fixed.logZ);
 * ```
 */
/** The keys estimateLogZ takes (checked against EstimateLogZOptions by the compiler). */
export const ESTIMATE_OPTION_KEYS = keyList<EstimateLogZOptions>()([
  'target',
  'sampler',
  'auto',
  'steps',
  'particles',
  'schedule',
  'stepSize',
  'leapfrogSteps',
  'initial',
  'seed',
  'rng',
  'batches',
  'onStep',
  'onReading',
  'resampling',
  'returnSamples',
]);

export function estimateLogZ(options: EstimateLogZOptions): LogZEstimate {
  checkOptionKeys('estimateLogZ', options, ESTIMATE_OPTION_KEYS, (m) => new KernelError(m));
  if (samplerOf(options) === 'auto') return runAuto(options);
  const started = performance.now();
  const { batches } = batchLayout(options);
  const run = runLogZBatches(options, 0, batches);
  options.rng?.split(batches);
  return summarizeRun(options, run, (performance.now() - started) / 1000);
}
