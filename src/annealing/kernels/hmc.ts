import {
  tf,
  sumSquares,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { disposeState, type ParticleState } from '../path.js';
import { leapfrog } from './leapfrog.js';
import {
  KernelError,
  perStepValue,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

/** Energy error |H(end) - H(start)| beyond which a rejected proposal counts as diverged. */
export const DIVERGENCE = 1000;

export interface HmcOptions {
  /** Leapfrog step size (constant or one per step). */
  stepSize: PerStep;
  /** Number of leapfrog steps L per transition. */
  leapfrogSteps: number;
}

/**
 * Metropolis-corrected Hamiltonian Monte Carlo with identity mass: fresh momentum, L leapfrog
 * steps, accept or reject each particle. Leaves gamma_k invariant, so it adds no log-weight term.
 * Native fast path: hmc.native.ts.
 */
export function hmcKernel(options: HmcOptions): TransitionKernel<HmcOptions> {
  if (!Number.isInteger(options.leapfrogSteps) || options.leapfrogSteps < 1) {
    throw new KernelError(
      `leapfrog steps must be a positive integer, got ${options.leapfrogSteps}`,
    );
  }
  return {
    name: 'hmc',
    kind: 'hmc',
    params: options,
    invariant: true,
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      const eps = perStepValue(options.stepSize, ctx.step, 'HMC step size');
      const { path, beta } = ctx;
      const momentum0 = rng.normal(state.z.shape) as Tensor2D;
      const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
      const end = leapfrog(path, beta, state, momentum0, eps, options.leapfrogSteps);
      const p = end.momentum;
      const proposal = end.state;
      const result = tf.tidy(() => {
        // log acceptance = H(start) - H(end) with H = -log gamma + |p|^2 / 2; NaN compares false,
        // so a diverged proposal is rejected.
        const logAccept = tf.add(
          tf.sub(path.logDensity(proposal, beta), path.logDensity(state, beta)),
          tf.mul(0.5, tf.sub(sumSquares(momentum0), sumSquares(p))),
        );
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
        // Diverged: an energy error above DIVERGENCE or NaN (NaN compares false).
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
      if (proposal !== state) disposeState(proposal);
      p.dispose();
      momentum0.dispose();
      uniforms.dispose();
      return {
        state: result.state,
        logCorrection: null,
        acceptance: result.acceptance,
        diverged: result.diverged,
      };
    },
  };
}
