// The statistics every claim over training seeds rests on: the mean of per-seed paired
// differences, their spread, the 95% Student-t interval, and the verdict that interval gives.
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { meanSd } from './common.js';

/** The across-seed view of per-seed differences: mean, spread, 95% interval (Student t). */
export function overSeeds(diffs: readonly number[]) {
  const s = diffs.length;
  const { mean: m, sd } = meanSd(diffs);
  const se = sd / Math.sqrt(s);
  const t = tQuantile(0.975, s - 1);
  return { seeds: s, mean: m, sd, stdErr: se, t, low: m - t * se, high: m + t * se };
}

export type Verdict =
  'shown' | 'refuted at this scale' | 'not resolved at this scale' | 'not measurable at this scale';

/**
 * "A exceeds B" from the per-seed differences A - B: shown where the 95% interval lies above 0,
 * refuted where it lies below, not measurable where the estimates themselves cannot be ranked.
 */
export function exceedsVerdict(diffs: readonly number[], measurable = true): Verdict {
  if (!measurable) return 'not measurable at this scale';
  const o = overSeeds(diffs);
  return o.low > 0 ? 'shown' : o.high < 0 ? 'refuted at this scale' : 'not resolved at this scale';
}

const signed = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** "+m (standard error se, sd s, 95% t-interval [lo, hi], n seeds)". */
export function intervalText(diffs: readonly number[], digits = 3): string {
  const o = overSeeds(diffs);
  return `${signed(o.mean, digits)} (standard error ${o.stdErr.toFixed(digits)}, sd ${o.sd.toFixed(digits)}, 95% t-interval [${signed(o.low, digits)}, ${signed(o.high, digits)}], ${o.seeds} seeds)`;
}
