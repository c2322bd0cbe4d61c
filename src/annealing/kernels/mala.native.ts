// MALA's fast paths: the whole transition as one native kernel on a closed-form path off the
// gradient tape, and whole stretches of the chain in the native loop.
import {
  fusedPathOp,
  NATIVE_OP,
  stateShapes,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { closedFormUnavailable, metropolisStepResult, type KernelFastPaths } from './fastPath.js';
import { fusedState, hostValue, perStepValue } from './kernel.js';
import type { MalaOptions } from './mala.js';
import { NATIVE_CHAIN_KERNEL } from './nativeIds.js';

export const MALA_FAST_PATHS: KernelFastPaths<MalaOptions> = {
  steps: [
    {
      name: 'native step',
      unavailable: (p, path) =>
        p.scale ? 'the moves are preconditioned per coordinate' : closedFormUnavailable(path),
      step(p, state, ctx, rng) {
        const fused = ctx.path.fused();
        if (!fused) throw new Error('MALA native step: the path has no native form');
        const delta = perStepValue(p.stepSize, ctx.step, 'MALA step size');
        const eps = rng.normal(state.z.shape) as Tensor2D;
        const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
        // native/src/fused.cc, mala_step: the state, normals and uniforms in; the new state and
        // [mean acceptance, diverged proposals] out.
        const outs = fusedPathOp(
          fused,
          NATIVE_OP.MalaStep,
          [],
          [hostValue(ctx.beta), hostValue(delta)],
          [...fusedState(state), eps, uniforms],
          (n, d) => [...stateShapes(n, d), [2]],
        );
        eps.dispose();
        uniforms.dispose();
        return metropolisStepResult(outs);
      },
    },
  ],
  chain: (p) =>
    p.scale
      ? 'the moves are preconditioned per coordinate'
      : {
          id: NATIVE_CHAIN_KERNEL.mala,
          draws: 2,
          stepSize: p.stepSize,
          leapfrogSteps: 1,
        },
};
