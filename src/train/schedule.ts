// Learning-rate schedules: the rate at iteration i (0-based) from a base rate; 'plateau' also
// depends on the losses seen so far (PlateauState, kept in checkpoints for exact resume).
export type LrSchedule =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; gamma: number }
  | { kind: 'cosine'; minFactor: number; iterations: number }
  | PlateauSchedule;

/**
 * Reduce on plateau: multiply the rate by `factor` once the loss has not improved on its best by
 * more than `threshold` (relative) for `patience` iterations, down to `minFactor` of the base.
 */
export interface PlateauSchedule {
  kind: 'plateau';
  factor: number;
  patience: number;
  threshold: number;
  minFactor: number;
}

export interface PlateauState {
  /** Lowest loss so far (Infinity before the first). */
  best: number;
  /** Iterations since the best improved. */
  stale: number;
  /** Current rate as a fraction of the base rate. */
  scale: number;
}

export const freshPlateau = (): PlateauState => ({ best: Infinity, stale: 0, scale: 1 });

/** The plateau state after one more loss (a new object; the input is left as it was). */
export function observePlateau(
  schedule: PlateauSchedule,
  state: PlateauState,
  loss: number,
): PlateauState {
  if (!Number.isFinite(loss)) return state;
  if (loss < state.best - schedule.threshold * Math.abs(state.best) || state.best === Infinity) {
    return { ...state, best: loss, stale: 0 };
  }
  const stale = state.stale + 1;
  if (stale <= schedule.patience) return { ...state, stale };
  return {
    best: state.best,
    stale: 0,
    scale: Math.max(schedule.minFactor, state.scale * schedule.factor),
  };
}

/** The rate at an iteration; a plateau schedule reads its current scale from `plateau`. */
export function learningRateAt(
  base: number,
  schedule: LrSchedule,
  iteration: number,
  plateau: PlateauState = freshPlateau(),
): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'plateau':
      return base * plateau.scale;
    case 'step':
      return base * schedule.gamma ** Math.floor(iteration / schedule.every);
    case 'cosine': {
      const t = Math.min(1, iteration / Math.max(1, schedule.iterations));
      const f = schedule.minFactor + (1 - schedule.minFactor) * 0.5 * (1 + Math.cos(Math.PI * t));
      return base * f;
    }
  }
}
