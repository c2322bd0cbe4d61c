// The Metropolis decision that HMC and MALA share: each particle takes its proposal where
// log u < log alpha, with the mean acceptance probability and the diverged proposals reported.
import { tf, type Scalar, type Tensor, type Tensor1D } from '../../engine/index.js';
import type { ParticleState } from '../path.js';

/** Energy error |H(end) - H(start)| beyond which a rejected proposal counts as diverged. */
export const DIVERGENCE = 1000;

/**
 * The mean acceptance probability min(1, alpha) over particles from log alpha, a NaN counting as
 * 0 (a rejected proposal). Call inside a tf.tidy. The native decisions (fastPath.ts) use it too,
 * so both report the same value bit for bit.
 */
export function meanAcceptance(logAccept: Tensor): Scalar {
  return tf.mean(
    tf.minimum(
      1,
      tf.exp(tf.where(tf.isNaN(logAccept), tf.fill(logAccept.shape, -Infinity), logAccept)),
    ),
  ) as Scalar;
}

/**
 * Accepts or rejects each particle's proposal given the log acceptance ratios `logAccept` [N] and
 * uniforms [N] (NaN compares false, so a proposal outside the target's finite region is rejected).
 * Call inside a tf.tidy: the returned tensors are the scope's results.
 */
export function metropolis(
  state: ParticleState,
  proposal: ParticleState,
  logAccept: Tensor,
  uniforms: Tensor1D,
): { state: ParticleState; acceptance: Scalar; diverged: Scalar } {
  const accept = tf.less(tf.log(uniforms), logAccept);
  const acceptCol = accept.reshape([-1, 1]);
  const pick1 = <T extends tf.Tensor>(a: T, b: T) => tf.where(accept, a, b) as T;
  const pick2 = <T extends tf.Tensor>(a: T, b: T) => tf.where(acceptCol, a, b) as T;
  const acceptance = meanAcceptance(logAccept);
  // Diverged: an energy error above DIVERGENCE or NaN (NaN compares false).
  const diverged = tf.logicalNot(tf.greaterEqual(logAccept, -DIVERGENCE));
  return {
    state: {
      z: pick2(proposal.z, state.z),
      logTarget: pick1(proposal.logTarget, state.logTarget),
      scoreTarget: pick2(proposal.scoreTarget, state.scoreTarget),
      logInitial: pick1(proposal.logInitial, state.logInitial),
      scoreInitial: pick2(proposal.scoreInitial, state.scoreInitial),
    },
    acceptance,
    diverged: tf.sum(tf.cast(diverged, 'float32')) as Scalar,
  };
}
