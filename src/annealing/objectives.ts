// Training objectives on a batch of annealed log-weights. The ELBO (mean log-weight) is
// mode-seeking: a learned initial distribution narrows and regions of the target that the chain
// rarely reaches stop counting. The importance-weighted bound (Burda et al.; the "AIS bound" of
// Ding & Freedman; log Z-hat in DSMCS) averages weights inside groups before the log, which
// rewards covering all the target's mass; with groups of one it is the ELBO again.
import { tf, logSumExpRows, type Scalar, type Tensor1D, type Tensor2D } from '../engine/index.js';

export type TrainingObjective = { kind: 'elbo' } | { kind: 'iw'; groupSize: number };

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
    if (objective.kind === 'elbo' || objective.groupSize === 1)
      return { bound: elbo.clone(), elbo };
    const k = objective.groupSize;
    const groups = tf.reshape(logW, [logW.shape[0] / k, k]) as Tensor2D;
    const bound = tf.mean(tf.sub(logSumExpRows(groups), Math.log(k))) as Scalar;
    return { bound, elbo };
  });
}
