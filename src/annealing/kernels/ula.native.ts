// ULA's fast paths: the whole transition as one native kernel on a closed-form path (no gradient
// tape), and, for any target, the step's own arithmetic as two native kernels with native
// gradients (training through the chain).
import {
  tf,
  fusedUlaPropose,
  fusedUlaStep,
  fusedUlaWeight,
  fusedUnavailableReason,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import { closedFormUnavailable, type KernelFastPaths } from './fastPath.js';
import { fusedState, hostValue, perStepValue } from './kernel.js';
import { NATIVE_CHAIN_KERNEL } from './nativeIds.js';
import type { UlaOptions } from './ula.js';

const MCD = 'it has a learned backward correction';
const CMCD = 'it has a learned control';
/** Why the fully fused step cannot run a kernel with a learned network, or null. */
const learnedNetwork = (p: UlaOptions) => (p.control ? CMCD : p.backwardCorrection ? MCD : null);

export const ULA_FAST_PATHS: KernelFastPaths<UlaOptions> = {
  steps: [
    {
      name: 'native step',
      unavailable: (p, path) => learnedNetwork(p) ?? closedFormUnavailable(path),
      step(p, state, ctx, rng) {
        const fused = ctx.path.fused();
        if (!fused) throw new Error('ULA native step: the path has no native form');
        const eps = rng.normal(state.z.shape);
        const delta = perStepValue(p.stepSize, ctx.step, 'ULA step size');
        const [z, logTarget, scoreTarget, logInitial, scoreInitial, logCorrection] = fusedUlaStep(
          fused,
          fusedState(state),
          eps,
          hostValue(ctx.beta),
          hostValue(delta),
        ) as [Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
        eps.dispose();
        return {
          state: { z, logTarget, scoreTarget, logInitial, scoreInitial },
          logCorrection,
          acceptance: null,
        };
      },
    },
    {
      // The target and the initial distribution are evaluated by their own code in between.
      name: 'native differentiable ops',
      unavailable: () => fusedUnavailableReason({ differentiable: true }),
      step(p, state, ctx, rng) {
        const { path, beta } = ctx;
        const delta = perStepValue(p.stepSize, ctx.step, 'ULA step size');
        const correction = p.backwardCorrection;
        const control = p.control;
        const out = tf.tidy(() => {
          const eps = rng.normal(state.z.shape) as Tensor2D;
          const proposed = fusedUlaPropose(
            state.z,
            state.scoreTarget,
            state.scoreInitial,
            eps,
            delta,
            beta,
          ) as Tensor2D;
          // CMCD: the control's share of the forward mean; the forward noise stays eps.
          const zNew = control
            ? (tf.add(proposed, tf.mul(delta, control(state.z, null, ctx.step - 1))) as Tensor2D)
            : proposed;
          const next = path.evaluate(zNew);
          // The backward drift's learned part: MCD's correction, or minus CMCD's control.
          const r = correction
            ? correction(zNew, null, ctx.step)
            : control
              ? (tf.neg(control(zNew, null, ctx.step)) as Tensor2D)
              : null;
          const logCorrection = fusedUlaWeight(
            state.z,
            next.z,
            eps,
            state,
            next,
            r,
            delta,
            beta,
          ) as Tensor1D;
          return { state: next, logCorrection };
        });
        return { ...out, acceptance: null };
      },
    },
  ],
  chain: (p) =>
    learnedNetwork(p) ?? {
      id: NATIVE_CHAIN_KERNEL.ula,
      draws: 1,
      stepSize: p.stepSize,
      leapfrogSteps: 1,
    },
};
