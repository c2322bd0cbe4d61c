import { tf, sumSquares, type Rng, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { disposeState, type ParticleState } from '../path.js';
import { leapfrog } from './leapfrog.js';
import { metropolis } from './metropolis.js';
import {
  KernelError,
  perStepValue,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

export { DIVERGENCE } from './metropolis.js';

export interface HmcOptions {
  /** Leapfrog step size (constant or one per step). */
  stepSize: PerStep;
  /** Number of leapfrog steps L per transition. */
  leapfrogSteps: number;
  /**
   * Per-coordinate multipliers of the step size [d] (positive): a diagonal preconditioner, the
   * same as a mass matrix diag(1 / scale^2). Set it to the target's standard deviations and one
   * step size suits every coordinate. Absent: identity mass.
   */
  scale?: Tensor1D;
}

/**
 * Metropolis-corrected Hamiltonian Monte Carlo with identity mass (or the diagonal one `scale` gives): fresh momentum, L leapfrog
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
      const base = perStepValue(options.stepSize, ctx.step, 'HMC step size');
      const eps = options.scale ? (tf.mul(base, options.scale) as Tensor1D) : base;
      const { path, beta } = ctx;
      const momentum0 = rng.normal(state.z.shape) as Tensor2D;
      const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
      const end = leapfrog(path, beta, state, momentum0, eps, options.leapfrogSteps);
      if (eps !== base) (eps as Tensor1D).dispose();
      const p = end.momentum;
      const proposal = end.state;
      const result = tf.tidy(() => {
        // log acceptance = H(start) - H(end) with H = -log gamma + |p|^2 / 2; NaN compares false,
        // so a diverged proposal is rejected.
        const logAccept = tf.add(
          tf.sub(path.logDensity(proposal, beta), path.logDensity(state, beta)),
          tf.mul(0.5, tf.sub(sumSquares(momentum0), sumSquares(p))),
        );
        return metropolis(state, proposal, logAccept, uniforms);
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
