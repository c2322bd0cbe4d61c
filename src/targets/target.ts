import type { NativeTargetSpec, Rng, Tensor1D, Tensor2D } from '../engine/index.js';

/**
 * An unnormalized log density over R^dim. Particles are rows: z is [N, dim], logProb is [N].
 * Optional extras make samplers faster (closed-form score) or enable exact checks (logZ, sample).
 */
export interface Target {
  readonly name: string;
  readonly dim: number;
  /** Unnormalized log density log gamma(z), [N, dim] -> [N]. */
  logProb(z: Tensor2D): Tensor1D;
  /** Closed-form grad_z log gamma(z), [N, dim] -> [N, dim], where cheaper than autodiff. */
  score?(z: Tensor2D): Tensor2D;
  /**
   * Both in one pass, where they share work (e.g. a network's forward pass that the score's
   * hand-written backward pass reuses). Preferred over logProb + score when present.
   */
  logProbAndScore?(z: Tensor2D): { logProb: Tensor1D; score: Tensor2D };
  /** Exact samples from the normalized target. */
  sample?(n: number, rng: Rng): Tensor2D;
  /** Exact log normalizer log Z = log integral gamma(z) dz, where known. */
  readonly logZ?: number;
  /**
   * For targets the native kernels know (funnel, Many-Well, isotropic Gaussian mixtures): their
   * kind and parameters, so that fixed-parameter chains run as fused native steps. Absent for
   * everything else, which runs op by op.
   */
  nativeSpec?(): NativeTargetSpec;
  /** Frees the constant tensors the target holds (means, precision matrices, masks). */
  dispose?(): void;
}

export class TargetError extends Error {
  override name = 'TargetError';
}

/** Throws when z is not [N, dim]. */
export function checkParticles(target: { name: string; dim: number }, z: Tensor2D): void {
  if (z.rank !== 2 || z.shape[1] !== target.dim) {
    throw new TargetError(
      `target '${target.name}' expects particles of shape [N, ${target.dim}], got [${z.shape.join(', ')}]`,
    );
  }
}
