import { Rng, type Tensor1D } from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { isDistribution, type Distribution } from '../distributions/distribution.js';
import type { Target } from '../targets/target.js';
import { runAis, type StepDiagnostics } from '../annealing/ais.js';
import type { PerStep } from '../annealing/kernels/kernel.js';
import { AnnealingPath } from '../annealing/path.js';
import { makeKernel, type SamplerName } from '../annealing/samplers.js';
import { makeSchedule, type ScheduleName } from '../annealing/schedule.js';
import { resamples, type ResamplingOptions } from '../annealing/resampling.js';
import {
  summarizeLogWeights,
  systemBound,
  type LogWeightSummary,
  type SmcBound,
} from './logWeights.js';

export interface EstimateLogZOptions {
  target: Target;
  /** Default 'ais-ula'. */
  sampler?: SamplerName;
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
  /** Batches for the standard error; default 10. */
  batches?: number;
  onStep?: (step: number, steps: number) => void;
  /**
   * SMC: resample inside the chain. Without a group size each batch is one SMC system, so the
   * batches stay independent for the standard error.
   */
  resampling?: ResamplingOptions;
}

export interface LogZEstimate extends LogWeightSummary {
  target: string;
  sampler: SamplerName;
  steps: number;
  particles: number;
  /** Exact log Z where the target knows it, else null. */
  trueLogZ: number | null;
  /** logZ - trueLogZ where known. */
  error: number | null;
  seconds: number;
  perStep: StepDiagnostics[];
  /** SMC only: mean over systems of their log Z estimates, with its standard error. */
  smcBound: SmcBound | null;
}

/** Runs an annealed sampler on a target and summarizes the log-weights; frees every tensor it made. */
export function estimateLogZ(options: EstimateLogZOptions): LogZEstimate {
  const sampler = options.sampler ?? 'ais-ula';
  const steps = options.steps ?? 64;
  const particles = options.particles ?? 1000;
  const { target } = options;
  const betas = makeSchedule(options.schedule ?? 'linear', steps);
  const kernel = makeKernel(sampler, steps, {
    stepSize: options.stepSize,
    leapfrogSteps: options.leapfrogSteps,
  });
  const given = isDistribution(options.initial) ? options.initial : null;
  const spec = given ? null : (options.initial as { mean?: number; scale?: number } | undefined);
  const initial: Distribution =
    given ?? DiagGaussian.isotropic(target.dim, spec?.scale ?? 1, spec?.mean ?? 0);
  const rng = options.rng ?? Rng.fromSeed(options.seed ?? 0);
  const started = performance.now();
  let logW: Tensor1D | undefined;
  try {
    const path = new AnnealingPath(initial, target);
    const batches = options.batches ?? 10;
    let resampling = options.resampling;
    if (resampling && resamples(resampling.scheme)) {
      const perBatch = particles / batches;
      const groupSize = resampling.groupSize ?? perBatch;
      if (!Number.isInteger(perBatch) || perBatch % groupSize !== 0) {
        throw new RangeError(
          `SMC: ${particles} particles in ${batches} batches must give batches of whole systems of ${groupSize} particles`,
        );
      }
      resampling = { ...resampling, groupSize };
    }
    const result = runAis({
      path,
      kernel,
      betas,
      particles,
      rng,
      onStep: options.onStep,
      resampling,
    });
    result.z.dispose();
    logW = result.logW;
    const values = logW.dataSync() as Float32Array;
    const summary = summarizeLogWeights(values, batches);
    const smcBound = resampling?.groupSize ? systemBound(values, resampling.groupSize) : null;
    const seconds = (performance.now() - started) / 1000;
    const trueLogZ = target.logZ ?? null;
    return {
      target: target.name,
      sampler,
      steps,
      particles,
      ...summary,
      trueLogZ,
      error: trueLogZ === null ? null : summary.logZ - trueLogZ,
      seconds,
      perStep: result.perStep,
      smcBound,
    };
  } finally {
    logW?.dispose();
    if (!given) (initial as DiagGaussian).dispose();
  }
}
