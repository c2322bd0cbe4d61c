// A deterministic transport between consecutive annealed densities, followed by Markov moves that
// leave the new density invariant: the step of annealed flow transport (AFT, CRAFT), where the
// transport is a normalizing flow learned for each temperature. The map T_k is invertible with a
// known log-determinant, so the pushed-forward particles carry the weight
// gamma_k(T_k(x)) |det dT_k/dx| / gamma_{k-1}(x); the chain's step adds the annealing increment
// gamma_k(x) / gamma_{k-1}(x) itself, so the kernel's correction is the rest,
// log gamma_k(T_k(x)) + log|det| - log gamma_k(x). Identity maps give back annealed importance
// sampling with the same Markov moves.
import { tf, type Rng, type Scalar, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { transition } from '../dispatch.js';
import { disposeState, type ParticleState } from '../path.js';
import {
  KernelError,
  type KernelStepResult,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

/** The map of step k (1..K): y = T_k(x) and log |det dT_k/dx| per row. */
export type Transport = (x: Tensor2D, step: number) => { y: Tensor2D; logDet: Tensor1D };

export interface TransportOptions {
  transport: Transport;
  /**
   * A kernel that leaves gamma_k exactly invariant (HMC, MALA), run `moves` times after the
   * transport at every step; absent for transport alone.
   */
  then?: TransitionKernel;
  /** Moves of `then` per step (default 1). */
  moves?: number;
}

/** A transport step (not invariant: it carries a weight correction), then invariant moves. */
export function transportKernel(options: TransportOptions): TransitionKernel<TransportOptions> {
  const moves = options.moves ?? 1;
  const then = options.then;
  if (then && !then.invariant)
    throw new KernelError(
      `the moves after a transport must leave each density invariant (HMC, MALA), not '${then.name}'`,
    );
  if (then?.init)
    throw new KernelError(
      `kernel '${then.name}' keeps its own state and cannot follow a transport`,
    );
  if (!Number.isInteger(moves) || moves < 0)
    throw new KernelError(`moves must be a non-negative integer, got ${moves}`);
  return {
    name: then && moves > 0 ? `transport + ${then.name}` : 'transport',
    params: { ...options, moves },
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      const { path, beta, step } = ctx;
      const { moved, logCorrection } = tf.tidy(() => {
        const { y, logDet } = options.transport(state.z, step);
        const moved = path.evaluate(y);
        const logCorrection = tf.add(
          tf.sub(path.logDensity(moved, beta), path.logDensity(state, beta)),
          logDet,
        ) as Tensor1D;
        return { moved, logCorrection };
      });
      let current = moved;
      const acceptances: Scalar[] = [];
      for (let m = 0; m < (then ? moves : 0); m++) {
        const r = transition(then as TransitionKernel, current, ctx, rng);
        disposeState(current);
        current = r.state;
        r.logCorrection?.dispose();
        r.diverged?.dispose();
        if (r.acceptance) acceptances.push(r.acceptance);
      }
      const acceptance = acceptances.length
        ? (tf.tidy(() => tf.mean(tf.stack(acceptances))) as Scalar)
        : null;
      tf.dispose(acceptances);
      return { state: current, logCorrection, acceptance };
    },
  };
}
