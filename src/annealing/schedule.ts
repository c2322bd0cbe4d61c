// Annealing schedules: inverse temperatures 0 = beta_0 < beta_1 < ... < beta_K = 1.

export const SCHEDULES = ['linear', 'geometric'] as const;

/** The most annealing steps a run takes: each step holds a temperature and its diagnostics. */
export const MAX_STEPS = 1_000_000;
export type ScheduleName = (typeof SCHEDULES)[number];

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** beta_k = k / K. */
export function linearSchedule(steps: number): number[] {
  checkSteps(steps);
  return Array.from({ length: steps + 1 }, (_, k) => k / steps);
}

/**
 * beta_0 = 0 and beta_1..beta_K geometrically spaced from betaMin to 1: dense near 0, where the
 * path changes fastest for a broad initial distribution.
 */
export function geometricSchedule(steps: number, betaMin = 1e-3): number[] {
  checkSteps(steps);
  if (!(betaMin > 0 && betaMin < 1))
    throw new ScheduleError(`betaMin must be in (0, 1), got ${betaMin}`);
  if (steps === 1) return [0, 1];
  const betas = [0];
  for (let k = 1; k <= steps; k++)
    betas.push(Math.exp(Math.log(betaMin) * (1 - (k - 1) / (steps - 1))));
  betas[steps] = 1;
  return betas;
}

/** Validates a user-given schedule: starts at 0, ends at 1, non-decreasing, finite. */
export function checkSchedule(betas: readonly number[]): number[] {
  if (betas.length < 2) throw new ScheduleError('a schedule needs at least two temperatures');
  if (betas[0] !== 0 || betas[betas.length - 1] !== 1) {
    throw new ScheduleError('a schedule must start at beta = 0 and end at beta = 1');
  }
  for (let k = 1; k < betas.length; k++) {
    const b = betas[k] as number;
    if (!Number.isFinite(b) || b < (betas[k - 1] as number)) {
      throw new ScheduleError(`schedule is not non-decreasing at index ${k}`);
    }
  }
  return [...betas];
}

export function makeSchedule(schedule: ScheduleName | readonly number[], steps: number): number[] {
  if (typeof schedule !== 'string') {
    const betas = checkSchedule(schedule);
    if (betas.length !== steps + 1) {
      throw new ScheduleError(
        `schedule has ${betas.length} temperatures; ${steps} steps need ${steps + 1}`,
      );
    }
    return betas;
  }
  if (schedule === 'linear') return linearSchedule(steps);
  if (schedule === 'geometric') return geometricSchedule(steps);
  throw new ScheduleError(
    `unknown schedule '${schedule as string}'; valid: ${SCHEDULES.join(', ')}`,
  );
}

function checkSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new ScheduleError(`steps must be a positive integer, got ${steps}`);
  }
}
