import type { Rng } from '../engine/index.js';
import type { StepDiagnostics } from '../annealing/ais.js';
import type { LearnedSampler } from '../annealing/learned.js';
import { summarizeLogWeights, type LogWeightSummary } from './logWeights.js';

export interface SamplerEvaluation extends LogWeightSummary {
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
  const result = sampler.run({
    particles: options.particles,
    rng: options.rng,
    diagnostics: true,
    checkFinite: true,
    onStep: options.onStep,
  });
  try {
    const summary = summarizeLogWeights(result.logW.dataSync(), options.batches ?? 10);
    const trueLogZ = sampler.target.logZ ?? null;
    return {
      ...summary,
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
