// Adaptive tempering: each next inverse temperature chosen from the particles, so that the
// effective sample size of the incremental weights hits a target fraction (Del Moral, Doucet &
// Jasra 2012; the conditional ESS of Zhou, Johansen & Aston 2016). The schedule is a policy the
// chain driver asks before every step; it reads the particles' log-density gap and log-weights back
// to the host once per step and bisects there in float64.
import type { Tensor1D } from '../engine/index.js';
import type { SchedulePolicy } from './schedulePolicy.js';
import type { ChainState } from './step.js';
import { KernelError } from './stepValue.js';

/** How the next temperature is judged. */
export type TemperingCriterion = 'ess' | 'cess';

export interface AdaptiveScheduleOptions {
  /** Target fraction of the criterion after each step, in (0, 1) (default 0.5). */
  target?: number;
  /**
   * 'ess': the ESS of the weights after reweighting, as a fraction of N (for SMC that resamples
   * every step, where the weights before reweighting are equal); 'cess' (default): the conditional
   * ESS of the incremental weights under the current weights, which is the right measure when the
   * chain does not resample at every step (AIS, ESS-triggered resampling).
   */
  criterion?: TemperingCriterion;
  /** The smallest increment of beta, so that a run always ends (default 1e-6). */
  minIncrement?: number;
  /** Refuse to run longer than this many steps (default 100000). */
  maxSteps?: number;
  /**
   * Particles per system (default: all of them): the criterion is averaged over systems, which
   * share one schedule.
   */
  groupSize?: number;
}

export const ADAPTIVE_DEFAULTS = {
  target: 0.5,
  criterion: 'cess' as TemperingCriterion,
  minIncrement: 1e-6,
  maxSteps: 100_000,
};

/** log sum exp of `n` values read by `at`. */
function logSumExp(n: number, at: (i: number) => number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, at(i));
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(at(i) - max);
  return max + Math.log(s);
}

/**
 * The criterion at increment `delta` for one system: `logW` its current log-weights, `gap` its
 * log pi - log q at the current particles (the incremental log-weight is delta * gap).
 */
export function temperingCriterion(
  criterion: TemperingCriterion,
  logW: ArrayLike<number>,
  gap: ArrayLike<number>,
  delta: number,
): number {
  const n = logW.length;
  const inc = (i: number) => {
    const g = gap[i] as number;
    // A particle where the target vanishes gets weight 0 (not NaN from 0 * -Infinity).
    return g === -Infinity ? -Infinity : delta * g;
  };
  if (criterion === 'ess') {
    const v = (i: number) => (logW[i] as number) + inc(i);
    const a = logSumExp(n, v);
    const b = logSumExp(n, (i) => 2 * v(i));
    return Number.isFinite(a) ? Math.exp(2 * a - b) / n : 0;
  }
  const norm = logSumExp(n, (i) => logW[i] as number);
  const w = (i: number) => (logW[i] as number) - norm;
  const a = logSumExp(n, (i) => w(i) + inc(i));
  const b = logSumExp(n, (i) => w(i) + 2 * inc(i));
  return Number.isFinite(a) ? Math.exp(2 * a - b) : 0;
}

/**
 * The increment in [minIncrement, 1 - beta] whose criterion (mean over systems) is closest to the
 * target from above: 1 - beta where the whole rest of the path keeps the criterion at the target,
 * minIncrement where even that step falls below it; otherwise bisection over log increment.
 */
export function nextIncrement(
  criterion: TemperingCriterion,
  target: number,
  systems: { logW: ArrayLike<number>; gap: ArrayLike<number> }[],
  beta: number,
  minIncrement: number,
): number {
  const rest = 1 - beta;
  const value = (delta: number) =>
    systems.reduce((a, s) => a + temperingCriterion(criterion, s.logW, s.gap, delta), 0) /
    systems.length;
  if (value(rest) >= target) return rest;
  const floor = Math.min(minIncrement, rest);
  if (value(floor) < target) return floor;
  let lo = Math.log(floor);
  let hi = Math.log(rest);
  for (let i = 0; i < 60 && hi - lo > 1e-9; i++) {
    const mid = 0.5 * (lo + hi);
    if (value(Math.exp(mid)) >= target) lo = mid;
    else hi = mid;
  }
  return Math.exp(lo);
}

/**
 * A schedule that picks each next beta from the chain (see AdaptiveScheduleOptions). Forward only,
 * from beta = 0 to 1; its betas are the run's per-step diagnostics' `beta`.
 */
export function adaptiveSchedule(options: AdaptiveScheduleOptions = {}): SchedulePolicy {
  const o = { ...ADAPTIVE_DEFAULTS, ...options };
  if (!(o.target > 0 && o.target < 1)) {
    throw new KernelError(`adaptive tempering: target must be in (0, 1), got ${o.target}`);
  }
  if (o.criterion !== 'ess' && o.criterion !== 'cess') {
    throw new KernelError(
      `adaptive tempering: criterion must be 'ess' or 'cess', got '${String(o.criterion)}'`,
    );
  }
  if (!(o.minIncrement > 0 && o.minIncrement < 1)) {
    throw new KernelError(
      `adaptive tempering: minIncrement must be in (0, 1), got ${o.minIncrement}`,
    );
  }
  if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 1)) {
    throw new KernelError(
      `adaptive tempering: maxSteps must be a positive integer, got ${o.maxSteps}`,
    );
  }
  let beta = 0;
  return {
    initial: 0,
    known: null,
    next(k: number, chain: ChainState) {
      if (beta >= 1) return null;
      if (k > o.maxSteps) {
        throw new KernelError(
          `adaptive tempering: beta reached only ${beta.toPrecision(4)} in ${o.maxSteps} steps; raise maxSteps or lower the target`,
        );
      }
      const logW = readHost(chain.logW);
      const gap = readGap(chain);
      const n = logW.length;
      const group = o.groupSize ?? n;
      if (n % group !== 0) {
        throw new KernelError(
          `adaptive tempering: ${n} particles do not split into systems of ${group}`,
        );
      }
      const systems = Array.from({ length: n / group }, (_, s) => ({
        logW: logW.subarray(s * group, (s + 1) * group),
        gap: gap.subarray(s * group, (s + 1) * group),
      }));
      const delta = nextIncrement(o.criterion, o.target, systems, beta, o.minIncrement);
      // The last step lands on 1 exactly, whatever rounding the increments had.
      beta = delta >= 1 - beta ? 1 : beta + delta;
      return { beta, last: beta === 1 };
    },
    dispose() {},
  };
}

function readHost(t: Tensor1D): Float64Array {
  return Float64Array.from(t.dataSync());
}

/** log pi - log q at the chain's particles, on the host. */
function readGap(chain: ChainState): Float64Array {
  const lt = chain.particles.logTarget.dataSync();
  const li = chain.particles.logInitial.dataSync();
  return Float64Array.from(lt, (v, i) => v - (li[i] as number));
}
