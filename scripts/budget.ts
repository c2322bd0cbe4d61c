// --budget for the results scripts: how many training units (epochs or iterations) fit in a
// number of minutes, from a short timed probe of each variant. The chosen count is written into
// the results and the command, so a rerun with that count reproduces the table exactly; the
// budget only picks it.

/** Parses --budget (minutes, > 0); null when absent. */
export function parseBudget(value: string | undefined): number | null {
  if (value === undefined) return null;
  const minutes = Number(value);
  if (!(Number.isFinite(minutes) && minutes > 0))
    throw new Error(`--budget must be a number of minutes > 0, got '${value}'`);
  return minutes;
}

export interface BudgetPlan {
  minutes: number;
  /** Probed training seconds of one unit, per variant (label -> seconds). */
  secondsPerUnit: Record<string, number>;
  /** Units every variant trains for. */
  units: number;
}

/**
 * Units that fit: every variant trains the same number of units, the variants share `workers`
 * threads (longest first), and training takes the whole budget (evaluation comes on top). The wall
 * time per unit is the even share of the total or the longest variant alone, whichever is more.
 */
export function planBudget(
  minutes: number,
  secondsPerUnit: Record<string, number>,
  workers: number,
): BudgetPlan {
  const costs = Object.values(secondsPerUnit);
  const perUnit = Math.max(costs.reduce((a, b) => a + b, 0) / workers, ...costs);
  return { minutes, secondsPerUnit, units: Math.max(1, Math.floor((minutes * 60) / perUnit)) };
}
