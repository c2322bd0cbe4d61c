// Learning-rate schedules: the rate at iteration i (0-based) from a base rate.
export type LrSchedule =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; gamma: number }
  | { kind: 'cosine'; minFactor: number; iterations: number };

export function learningRateAt(base: number, schedule: LrSchedule, iteration: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(iteration / schedule.every);
    case 'cosine': {
      const t = Math.min(1, iteration / Math.max(1, schedule.iterations));
      const f = schedule.minFactor + (1 - schedule.minFactor) * 0.5 * (1 + Math.cos(Math.PI * t));
      return base * f;
    }
  }
}
