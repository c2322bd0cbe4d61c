// MALA's fast paths: the whole transition as one native kernel on a closed-form path off the
// gradient tape, whole stretches of the chain in the native loop, and, for any target, the
// transition's own arithmetic as two native kernels around the target's (TF.js) evaluation.
import {
  tf,
  fusedMalaAccept,
  fusedMalaPropose,
  fusedPathOp,
  fusedUnavailableReason,
  NATIVE_OP,
  stateShapes,
  type StepLength,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { disposeState } from '../path.js';
import {
  closedFormUnavailable,
  metropolisStepResult,
  nativeDecisionResult,
  type KernelFastPaths,
} from './fastPath.js';
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
    {
      // The proposal and the decision are one kernel each; the target and the initial distribution
      // are evaluated at the proposal by their own code. The same draws, in the same order, and the
      // same rounding as the reference step (mala.ts), so the same particles.
      name: 'native ops',
      unavailable: () => fusedUnavailableReason(),
      step(p, state, ctx, rng) {
        const { path } = ctx;
        const b = hostValue(ctx.beta);
        const w = { a: 1 - b, b };
        const base = perStepValue(p.stepSize, ctx.step, 'MALA step size');
        // delta, the noise's scale and -4 delta, as the reference step computes them.
        let delta: StepLength;
        let noise: StepLength;
        let minus4 = 0;
        if (p.scale) {
          [delta, noise] = tf.tidy(() => {
            const dv = tf.mul(base, tf.square(p.scale as Tensor1D));
            return [dv.dataSync(), tf.sqrt(tf.mul(2, dv)).dataSync()];
          }) as [Float32Array, Float32Array];
        } else {
          const dv = hostValue(base);
          [delta, noise, minus4] = [dv, Math.sqrt(2 * dv), -4 * dv];
        }
        const eps = rng.normal(state.z.shape) as Tensor2D;
        const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
        const logU = tf.log(uniforms);
        const zNew = fusedMalaPropose(
          state.z,
          state.scoreInitial,
          state.scoreTarget,
          eps,
          w,
          delta,
          noise,
        );
        const proposal = path.evaluate(zNew as Tensor2D);
        const outs = fusedMalaAccept(
          fusedState(state),
          fusedState(proposal),
          eps,
          logU,
          w,
          delta,
          minus4,
        );
        tf.dispose([zNew, eps, uniforms, logU]);
        disposeState(proposal);
        return nativeDecisionResult(outs);
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
