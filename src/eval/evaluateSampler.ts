import type { Rng } from '../engine/index.js';
import type { StepDiagnostics } from '../annealing/ais.js';
import type { LearnedSampler } from '../annealing/learned.js';
import {
  summarizeLogWeights,
  systemBound,
  type LogWeightSummary,
  type SmcBound,
} from './logWeights.js';

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
}

/**
 * Evaluates a (trained) sampler with fresh particles: log Z, ELBO, ESS and their standard errors
 * from independent batches. Raises NonFiniteWeightsError if the chain diverges.
 */
export function evaluateSampler(
  sampler: LearnedSampler,
  options: {
    particles: number;
    batches?: number;
    rng: Rng;
    onStep?: (k: number, K: number) => void;
  },
): SamplerEvaluation {
  const started = performance.now();
  const batches = options.batches ?? 10;
  // SMC particles of one system are dependent: batches for the standard error must be whole
  // systems. Without a configured system size, each batch is one system.
  let groupSize: number | undefined;
  if (sampler.smc) {
    const perBatch = options.particles / batches;
    groupSize = sampler.smc.groupSize ?? perBatch;
    if (!Number.isInteger(perBatch) || perBatch % groupSize !== 0) {
      throw new RangeError(
        `SMC evaluation: ${options.particles} particles in ${batches} batches must give batches of whole systems of ${groupSize} particles`,
      );
    }
  }
  const result = sampler.run({
    groupSize,
    particles: options.particles,
    rng: options.rng,
    diagnostics: true,
    checkFinite: true,
    onStep: options.onStep,
  });
  try {
    const logW = result.logW.dataSync();
    const summary = summarizeLogWeights(logW, batches);
    // For AIS with a system size (DAIS), the same quantity is the importance-weighted bound of N.
    const boundGroup = groupSize ?? sampler.config.resampling?.groupSize;
    const smcBound = boundGroup ? systemBound(logW, boundGroup) : null;
    const trueLogZ = sampler.target.logZ ?? null;
    return {
      ...summary,
      smcBound,
      trueLogZ,
      error: trueLogZ === null ? null : summary.logZ - trueLogZ,
      seconds: (performance.now() - started) / 1000,
      perStep: result.perStep,
    };
  } finally {
    result.z.dispose();
    result.logW.dispose();
  }
}
