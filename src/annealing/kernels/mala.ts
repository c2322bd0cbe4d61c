import {
  tf,
  sumSquares,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { disposeState, type ParticleState } from '../path.js';
import { DIVERGENCE } from './hmc.js';
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
      const delta = perStepValue(options.stepSize, ctx.step, 'MALA step size');
      const { path, beta } = ctx;
      const eps = rng.normal(state.z.shape) as Tensor2D;
      const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
      const zNew = tf.tidy(
        () =>
          tf.add(
            tf.add(state.z, tf.mul(delta, path.score(state, beta))),
            tf.mul(stepSqrt(stepMul(2, delta)), eps),
          ) as Tensor2D,
      );
      const proposal = path.evaluate(zNew);
      zNew.dispose();
      const result = tf.tidy(() => {
        // log q(z | z') = -|z - z' - delta drift(z')|^2 / (4 delta); log q(z' | z) = -|eps|^2 / 2.
        const backResidual = tf.sub(
          tf.sub(state.z, proposal.z),
          tf.mul(delta, path.score(proposal, beta)),
        );
        const logBackward = tf.div(sumSquares(backResidual), stepMul(-4, delta));
        const logForward = tf.mul(-0.5, sumSquares(eps));
        const logAccept = tf.add(
          tf.sub(path.logDensity(proposal, beta), path.logDensity(state, beta)),
          tf.sub(logBackward, logForward),
        );
        // NaN compares false, so a proposal outside the target's finite region is rejected.
        const accept = tf.less(tf.log(uniforms), logAccept);
        const acceptCol = accept.reshape([-1, 1]);
        const pick1 = <T extends tf.Tensor>(a: T, b: T) => tf.where(accept, a, b) as T;
        const pick2 = <T extends tf.Tensor>(a: T, b: T) => tf.where(acceptCol, a, b) as T;
        const acceptProb = tf.mean(
          tf.minimum(
            1,
            tf.exp(tf.where(tf.isNaN(logAccept), tf.fill(logAccept.shape, -Infinity), logAccept)),
          ),
        ) as Scalar;
        const diverged = tf.logicalNot(tf.greaterEqual(logAccept, -DIVERGENCE));
        return {
          state: {
            z: pick2(proposal.z, state.z),
            logTarget: pick1(proposal.logTarget, state.logTarget),
            scoreTarget: pick2(proposal.scoreTarget, state.scoreTarget),
            logInitial: pick1(proposal.logInitial, state.logInitial),
            scoreInitial: pick2(proposal.scoreInitial, state.scoreInitial),
          },
          acceptance: acceptProb,
          diverged: tf.sum(tf.cast(diverged, 'float32')) as Scalar,
        };
      });
      disposeState(proposal);
      eps.dispose();
      uniforms.dispose();
      return { ...result, logCorrection: null };
    },
  };
}
