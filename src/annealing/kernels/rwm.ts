// Random-walk Metropolis: a Gaussian step z' = z + s eps, accepted with probability
// min(1, gamma_k(z') / gamma_k(z)). Needs no gradient of the density to move, and with a large
// step it jumps between far-apart modes, where gradient moves stay in the mode they start in
// (FAB uses it on the 40-mode mixture). Leaves gamma_k invariant: no log-weight term.
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { disposeState, type ParticleState } from '../path.js';
import { metropolis } from './metropolis.js';
import {
  perStepValue,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

export interface RwmOptions {
  /** Standard deviation of the Gaussian step (constant or one per step). */
  stepSize: PerStep;
}

export function rwmKernel(options: RwmOptions): TransitionKernel<RwmOptions> {
  return {
    name: 'metropolis',
    params: options,
    invariant: true,
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      const s = perStepValue(options.stepSize, ctx.step, 'random-walk step size');
      const { path, beta } = ctx;
      const noise = rng.normal(state.z.shape) as Tensor2D;
      const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
      const moved = tf.tidy(() => tf.add(state.z, tf.mul(s, noise)) as Tensor2D);
      const proposal = path.evaluate(moved);
      moved.dispose();
      const result = tf.tidy(() =>
        metropolis(
          state,
          proposal,
          tf.sub(path.logDensity(proposal, beta), path.logDensity(state, beta)),
          uniforms,
        ),
      );
      disposeState(proposal);
      noise.dispose();
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
