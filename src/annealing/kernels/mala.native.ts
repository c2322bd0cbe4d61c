// MALA's fast paths: the whole transition as one native kernel on a closed-form path off the
// gradient tape, and whole stretches of the chain in the native loop.
import {
  tf,
  fusedMalaStep,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { closedFormUnavailable, type KernelFastPaths } from './fastPath.js';
import { fusedState, hostValue, perStepValue } from './kernel.js';
import type { MalaOptions } from './mala.js';
import { NATIVE_CHAIN_KERNEL } from './nativeIds.js';

export const MALA_FAST_PATHS: KernelFastPaths<MalaOptions> = {
  steps: [
    {
      name: 'native step',
      unavailable: (_p, path) => closedFormUnavailable(path),
      step(p, state, ctx, rng) {
        const fused = ctx.path.fused();
        if (!fused) throw new Error('MALA native step: the path has no native form');
        const delta = perStepValue(p.stepSize, ctx.step, 'MALA step size');
        const eps = rng.normal(state.z.shape) as Tensor2D;
        const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
        const [z, logTarget, scoreTarget, logInitial, scoreInitial, tally] = fusedMalaStep(
          fused,
          fusedState(state),
          eps,
          uniforms,
          hostValue(ctx.beta),
          hostValue(delta),
        ) as [Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
        eps.dispose();
        uniforms.dispose();
        const [acceptance, diverged] = tf.unstack(tally) as [Scalar, Scalar];
        tally.dispose();
        return {
          state: { z, logTarget, scoreTarget, logInitial, scoreInitial },
          logCorrection: null,
          acceptance,
          diverged,
        };
      },
    },
  ],
  chain: (p) => ({
    id: NATIVE_CHAIN_KERNEL.mala,
    draws: 2,
    stepSize: p.stepSize,
    leapfrogSteps: 1,
  }),
};
