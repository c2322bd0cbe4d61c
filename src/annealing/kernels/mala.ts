import { tf, sumSquares, type Rng, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { disposeState, type ParticleState } from '../path.js';
import type { StepValue } from '../stepValue.js';
import { metropolis } from './metropolis.js';
import {
  perStepValue,
  stepMul,
  stepSqrt,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

export interface MalaOptions {
  /** Langevin step size delta (constant or one per step): z' = z + delta grad log gamma(z) + sqrt(2 delta) eps. */
  stepSize: PerStep;
  /**
   * Per-coordinate multipliers of the proposal's standard deviation [d] (positive): a diagonal
   * preconditioner, the coordinate j moving with delta scale_j^2. Absent: the same delta everywhere.
   */
  scale?: Tensor1D;
}

/**
 * Metropolis-adjusted Langevin (Roberts & Tweedie 1996): the ULA proposal, accepted with
 * probability min(1, gamma(z') q(z | z') / (gamma(z) q(z' | z))), q the Langevin Gaussian with
 * variance 2 delta. Leaves gamma_k invariant, so it adds no log-weight term. Random draws per step:
 * normals [N, d], then uniforms [N]. Native fast paths: mala.native.ts.
 */
export function malaKernel(options: MalaOptions): TransitionKernel<MalaOptions> {
  return {
    name: 'mala',
    kind: 'mala',
    params: options,
    invariant: true,
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      const base = perStepValue(options.stepSize, ctx.step, 'MALA step size');
      if (!options.scale) return malaStep(base, state, ctx, rng);
      const delta = tf.tidy(() => tf.mul(base, tf.square(options.scale as Tensor1D)) as Tensor1D);
      try {
        return malaStep(delta, state, ctx, rng);
      } finally {
        delta.dispose();
      }
    },
  };
}

/**
 * One MALA transition with step delta: one value, or one per coordinate [d] (delta_j = delta
 * scale_j^2, the same draws in the same order).
 */
function malaStep(
  delta: StepValue | Tensor1D,
  state: ParticleState,
  ctx: StepContext,
  rng: Rng,
): KernelStepResult {
  const { path, beta } = ctx;
  const perCoordinate = typeof delta !== 'number' && delta.rank === 1;
  const eps = rng.normal(state.z.shape) as Tensor2D;
  const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
  const zNew = tf.tidy(() => {
    const noise = perCoordinate
      ? tf.sqrt(tf.mul(2, delta))
      : stepSqrt(stepMul(2, delta as StepValue));
    return tf.add(
      tf.add(state.z, tf.mul(delta, path.score(state, beta))),
      tf.mul(noise, eps),
    ) as Tensor2D;
  });
  const proposal = path.evaluate(zNew);
  zNew.dispose();
  const result = tf.tidy(() => {
    // log q(z | z') = -sum_j (z - z' - delta drift(z'))_j^2 / (4 delta_j); log q(z' | z) = -|eps|^2 / 2.
    const backResidual = tf.sub(
      tf.sub(state.z, proposal.z),
      tf.mul(delta, path.score(proposal, beta)),
    );
    const logBackward = perCoordinate
      ? tf.mul(-0.25, tf.sum(tf.div(tf.square(backResidual), delta), 1))
      : tf.div(sumSquares(backResidual), stepMul(-4, delta as StepValue));
    const logForward = tf.mul(-0.5, sumSquares(eps));
    const logAccept = tf.add(
      tf.sub(path.logDensity(proposal, beta), path.logDensity(state, beta)),
      tf.sub(logBackward, logForward),
    );
    return metropolis(state, proposal, logAccept, uniforms);
  });
  disposeState(proposal);
  eps.dispose();
  uniforms.dispose();
  return { ...result, logCorrection: null };
}
