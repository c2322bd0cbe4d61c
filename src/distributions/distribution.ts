// What an annealed sampler needs of its initial distribution: exact draws, a normalized log density
// and its score, on rows of particles. A diagonal Gaussian and a (trained) normalizing flow are both
// distributions in this sense.
import type { Rng, Tensor1D, Tensor2D } from '../engine/index.js';

export interface Distribution {
  readonly dim: number;
  /** Normalized log density per row [N, dim] -> [N]. */
  logProb(z: Tensor2D): Tensor1D;
  /** grad_z log density per row. */
  score(z: Tensor2D): Tensor2D;
  /** Both at once, where one pass is cheaper than two (optional). */
  logProbAndScore?(z: Tensor2D): { logProb: Tensor1D; score: Tensor2D };
  sample(n: number, rng: Rng): Tensor2D;
}

/** Whether a value is a Distribution (as opposed to, say, options for one). */
export function isDistribution(x: unknown): x is Distribution {
  const d = x as Partial<Distribution> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.logProb === 'function' &&
    typeof d.score === 'function' &&
    typeof d.sample === 'function'
  );
}
