// Training objectives on a batch of annealed log-weights. The ELBO (mean log-weight) is
// mode-seeking: a learned initial distribution narrows and regions of the target that the chain
// rarely reaches stop counting. The importance-weighted bound (Burda et al.; the "AIS bound" of
// Ding & Freedman; log Z-hat in DSMCS) averages weights inside groups before the log, which
// rewards covering all the target's mass; with groups of one it is the ELBO again. The
// log-variance objective (Richter et al. 2020; CMCD's second objective) is no bound: the variance
// over particles of log-weights recomputed under the current parameters along paths drawn without
// the gradient tape; it is zero exactly when the forward and backward processes agree.
import { tf, logSumExpRows, type Scalar, type Tensor1D, type Tensor2D } from '../engine/index.js';

export type TrainingObjective =
  { kind: 'elbo' } | { kind: 'iw'; groupSize: number } | { kind: 'logvar' };

/**
 * Why the log-variance objective runs only for the overdamped (ULA) samplers: its paths are
 * replayed under new parameters, and an underdamped step's position update is deterministic.
 */
export const UNDERDAMPED_LOGVAR =
  'an underdamped step moves the positions deterministically, so a drawn path has no density under other parameters';

export class ObjectiveError extends Error {
  override name = 'ObjectiveError';
}

/** Checks that an objective fits a batch of `particles` (groups must tile the batch). */
export function validateObjective(objective: TrainingObjective, particles: number): void {
  if (objective.kind === 'iw') {
    const k = objective.groupSize;
    if (!Number.isInteger(k) || k < 1)
      throw new ObjectiveError(`iw groupSize must be a positive integer, got ${k}`);
    if (particles % k !== 0)
      throw new ObjectiveError(
        `iw groupSize ${k} must divide the particles per iteration (${particles})`,
      );
  }
}

/**
 * The bound to maximize and the ELBO of the same log-weights (reported in both cases).
 * For 'iw': mean over groups of log mean exp of the group's weights.
 */
export function objectiveBound(
  logW: Tensor1D,
  objective: TrainingObjective,
): { bound: Scalar; elbo: Scalar } {
  return tf.tidy(() => {
    const elbo = tf.mean(logW) as Scalar;
    if (objective.kind === 'logvar')
      throw new ObjectiveError('the log-variance objective has no bound: see logVariance()');
    if (objective.kind === 'elbo' || objective.groupSize === 1)
      return { bound: elbo.clone(), elbo };
    const k = objective.groupSize;
    const groups = tf.reshape(logW, [logW.shape[0] / k, k]) as Tensor2D;
    const bound = tf.mean(tf.sub(logSumExpRows(groups), Math.log(k))) as Scalar;
    return { bound, elbo };
  });
}

/** The log-variance loss: the population variance of the log-weights over the batch. */
export function logVariance(logW: Tensor1D): Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(logW, tf.mean(logW)))) as Scalar);
}
