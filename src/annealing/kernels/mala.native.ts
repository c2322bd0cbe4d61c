// MALA's fast paths: the whole transition as one native kernel on a closed-form path off the
// gradient tape, and whole stretches of the chain in the native loop.
import {
  tf,
  fusedPathOp,
  NATIVE_OP,
  stateShapes,
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
        // native/src/fused.cc, mala_step: the state, normals and uniforms in; the new state and
        // [mean acceptance, diverged proposals] out.
        const [z, logTarget, scoreTarget, logInitial, scoreInitial, tally] = fusedPathOp(
          fused,
          NATIVE_OP.MalaStep,
          [],
          [hostValue(ctx.beta), hostValue(delta)],
          [...fusedState(state), eps, uniforms],
          (n, d) => [...stateShapes(n, d), [2]],
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
