// HMC's fast path: the whole transition (L leapfrog steps and the accept/reject) as one native
// kernel on a closed-form path, off the gradient tape.
import { tf, fusedHmcStep, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { closedFormUnavailable, metropolisStepResult, type KernelFastPaths } from './fastPath.js';
import type { HmcOptions } from './hmc.js';
import { fusedState, hostValue, perStepValue } from './kernel.js';
import { NATIVE_CHAIN_KERNEL } from './nativeIds.js';

export const HMC_FAST_PATHS: KernelFastPaths<HmcOptions> = {
  steps: [
    {
      name: 'native step',
      unavailable: (_p, path) => closedFormUnavailable(path),
      step(p, state, ctx, rng) {
        const fused = ctx.path.fused();
        if (!fused) throw new Error('HMC native step: the path has no native form');
        const eps = perStepValue(p.stepSize, ctx.step, 'HMC step size');
        const momentum0 = rng.normal(state.z.shape) as Tensor2D;
        const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
        // No scale: an empty array, and the native step runs its unscaled loop.
        const none = p.scale ? null : tf.tensor1d([]);
        const outs = fusedHmcStep(
          fused,
          fusedState(state),
          momentum0,
          uniforms,
          hostValue(ctx.beta),
          hostValue(eps),
          p.leapfrogSteps,
          p.scale ?? (none as Tensor1D),
        );
        none?.dispose();
        momentum0.dispose();
        uniforms.dispose();
        return metropolisStepResult(outs);
      },
    },
  ],
  chain: (p) =>
    p.scale
      ? 'the moves are preconditioned per coordinate'
      : {
          id: NATIVE_CHAIN_KERNEL.hmc,
          draws: 2,
          stepSize: p.stepSize,
          leapfrogSteps: p.leapfrogSteps,
        },
};
