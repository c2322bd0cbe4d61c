// HMC's fast paths: the whole transition (L leapfrog steps and the accept/reject) as one native
// kernel on a closed-form path, off the gradient tape; and, for any target, the transition's own
// arithmetic as native kernels around the target's (TF.js) evaluation.
import {
  tf,
  fusedHmcAccept,
  fusedHmcKickDrift,
  fusedHmcStep,
  fusedUnavailableReason,
  type StepLength,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { disposeState, type ParticleState } from '../path.js';
import {
  closedFormUnavailable,
  metropolisStepResult,
  nativeDecisionResult,
  type KernelFastPaths,
} from './fastPath.js';
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
    {
      // A kick and drift per leapfrog step and the decision are one kernel each; the target and the
      // initial distribution are evaluated by their own code in between. The same draws, in the same
      // order, and the same rounding as the reference step (hmc.ts), so the same particles.
      name: 'native ops',
      unavailable: () => fusedUnavailableReason(),
      step(p, state, ctx, rng) {
        const { path } = ctx;
        const b = hostValue(ctx.beta);
        const w = { a: 1 - b, b };
        const base = perStepValue(p.stepSize, ctx.step, 'HMC step size');
        // Preconditioned: the step per coordinate, and its half, as the reference computes them.
        const [eps, half]: [StepLength, StepLength] = p.scale
          ? (tf.tidy(() => {
              const e = tf.mul(base, p.scale as Tensor1D);
              return [e.dataSync(), tf.mul(0.5, e).dataSync()];
            }) as [Float32Array, Float32Array])
          : [hostValue(base), 0.5 * hostValue(base)];
        const momentum0 = rng.normal(state.z.shape) as Tensor2D;
        const uniforms = rng.uniform([state.z.shape[0] as number]) as Tensor1D;
        const logU = tf.log(uniforms);
        let [z, mom] = fusedHmcKickDrift(
          state.z,
          momentum0,
          state.scoreInitial,
          state.scoreTarget,
          w,
          half,
          eps,
        );
        let current: ParticleState = path.evaluate(z as Tensor2D);
        for (let l = 2; l <= p.leapfrogSteps; l++) {
          const [zNext, momNext] = fusedHmcKickDrift(
            current.z,
            mom,
            current.scoreInitial,
            current.scoreTarget,
            w,
            eps,
            eps,
          );
          tf.dispose([z, mom]);
          disposeState(current);
          [z, mom] = [zNext, momNext] as [Tensor, Tensor];
          current = path.evaluate(z as Tensor2D);
        }
        const outs = fusedHmcAccept(
          fusedState(state),
          fusedState(current),
          mom,
          momentum0,
          logU,
          w,
          half,
        );
        tf.dispose([z, mom, momentum0, uniforms, logU]);
        disposeState(current);
        return nativeDecisionResult(outs);
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
