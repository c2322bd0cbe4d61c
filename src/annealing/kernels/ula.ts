import { tf, sumSquares, type Rng, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import type { ParticleState } from '../path.js';
import {
  perStepValue,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

export interface UlaOptions {
  /** Step size delta (constant or one per step): z' = z + delta grad log gamma(z) + sqrt(2 delta) eps. */
  stepSize: PerStep;
}

/**
 * Unadjusted Langevin forward kernel with its time reversal as backward kernel: the ULA kernel at
 * the same step, evaluated from z'. Both are Gaussians with variance 2 delta, so their normalizing
 * constants cancel in the log-weight.
 */
export function ulaKernel(options: UlaOptions): TransitionKernel {
  return {
    name: 'ula',
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      const delta = perStepValue(options.stepSize, ctx.step, 'ULA step size');
      const { path, beta } = ctx;
      const out = tf.tidy(() => {
        const eps = rng.normal(state.z.shape) as Tensor2D;
        const drift = path.score(state, beta);
        const zNew = tf.add(
          tf.add(state.z, tf.mul(delta, drift)),
          tf.mul(Math.sqrt(2 * delta), eps),
        ) as Tensor2D;
        const next = path.evaluate(zNew);
        // log F(z'|z) = -|eps|^2 / 2, log B(z|z') = -|z - z' - delta grad log gamma(z')|^2 / (4 delta).
        const backResidual = tf.sub(tf.sub(state.z, zNew), tf.mul(delta, path.score(next, beta)));
        const logBackward = tf.div(sumSquares(backResidual), -4 * delta);
        const logForward = tf.mul(-0.5, sumSquares(eps));
        const logCorrection = tf.add(
          tf.sub(path.logDensity(next, beta), path.logDensity(state, beta)),
          tf.sub(logBackward, logForward),
        ) as Tensor1D;
        return { state: next, logCorrection };
      });
      return { ...out, acceptance: null };
    },
  };
}
