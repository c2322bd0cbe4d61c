// Where a chain's next inverse temperature comes from. The driver asks the policy for beta_k before
// each step, so the number of steps need not be known up front: a fixed schedule answers from its
// list, a learned one from its tensor of betas, an adaptive one (to come) from the chain's state.
import { tf, type Scalar, type Tensor1D } from '../engine/index.js';
import { checkSchedule } from './schedule.js';
import type { ChainState } from './step.js';
import type { StepValue } from './stepValue.js';

export interface SchedulePolicy {
  /** beta_0, where the chain starts. */
  readonly initial: StepValue;
  /** beta_k and whether it is the last, given the chain after step k - 1; null when done. */
  next(k: number, chain: ChainState): { beta: StepValue; last: boolean } | null;
  /**
   * beta_0 .. beta_K when the policy knows them before the chain runs (fixed and learned
   * schedules); null for a policy that chooses as it goes.
   */
  readonly known: readonly StepValue[] | null;
  /** Frees what the policy holds (a learned schedule's per-step scalars). */
  dispose(): void;
}

/** beta_0 = 0 < ... < beta_K = 1 as numbers (checked), optionally run backwards from 1 to 0. */
export function fixedSchedule(betas: readonly number[], reverse = false): SchedulePolicy {
  const values = [...checkSchedule(betas)];
  if (reverse) values.reverse();
  return listPolicy(values, () => {});
}

/** A learned schedule: a [K+1] tensor of betas (gradients flow through each step's beta). */
export function learnedSchedule(betas: Tensor1D): SchedulePolicy {
  const scalars = tf.unstack(betas) as Scalar[];
  return listPolicy(scalars, () => {
    for (const b of scalars) b.dispose();
  });
}

function listPolicy(betas: readonly StepValue[], dispose: () => void): SchedulePolicy {
  const steps = betas.length - 1;
  return {
    initial: betas[0] as StepValue,
    known: betas,
    next: (k) => (k <= steps ? { beta: betas[k] as StepValue, last: k === steps } : null),
    dispose,
  };
}
