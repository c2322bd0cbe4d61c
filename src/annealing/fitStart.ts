// A starting distribution that fits the target: a diagonal Gaussian N(m, diag(s^2)) fitted by
// maximizing the ELBO E_q[log pi(z)] + H(q) with reparameterized draws z = m + s * eps. The
// gradients need only the target's score (d/dm = E[score], d/dlog s = E[score * eps * s] + 1), so
// any target with a score works and nothing is taped. The fit runs from a few starting points at
// once, for the Gaussian and beside it for a multivariate Student-t family (eps stretched by
// sqrt(df / chi2_df) per draw), which is kept where its ELBO is clearly higher: a target with
// heavy tails, which a Gaussian start would leave to the moves. A second, wider search then looks
// for other modes, from starting points spread beyond where the first fit travelled: where it
// finds several modes, each found more than once (so that few are likely to remain unfound), the
// start is a mixture with one fitted component per mode; where nearly every search ends at a mode
// of its own (a target with more modes than can be listed), components around some of them would
// hide the rest, so the configured initial distribution is kept.
import { tf, type Rng, type Tensor2D } from '../engine/index.js';
import { targetLogProb, targetLogProbAndScore } from '../targets/score.js';
import type { Target } from '../targets/target.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';
import { chiSquareArray, logGamma } from '../targets/special.js';

export interface FitStartOptions {
  /** Where the fit starts and what it falls back to: N(mean, scale^2 I) (default N(0, I)). */
  initial?: { mean?: number; scale?: number };
  /** Adam iterations (default 300). */
  iterations?: number;
  /** Draws per iteration and starting point (default 32). */
  samples?: number;
  /** Starting points: the initial's mean and draws from the initial (default 4). */
  restarts?: number;
  /** Adam learning rate, decayed tenfold over the fit (default 0.05). */
  learningRate?: number;
  /** The fitted standard deviations are widened by this factor (default 3; see below). */
  widen?: number;
  /** Starting points of the wide search for other modes at most (default 240; 0: no search). */
  searches?: number;
  /**
   * Degrees of freedom of the multivariate Student-t families (diagonal scale) the first fit tries
   * beside the diagonal Gaussian (default [2]; [] for the Gaussian alone).
   */
  studentDf?: readonly number[];
}

const FIT_START_KEYS = keyList<FitStartOptions>()([
  'initial',
  'iterations',
  'samples',
  'restarts',
  'learningRate',
  'widen',
  'searches',
  'studentDf',
]);

export const FIT_START_DEFAULTS = {
  iterations: 300,
  samples: 32,
  restarts: 4,
  learningRate: 0.05,
  widen: 3,
  searches: 240,
  studentDf: [2] as readonly number[],
  /**
   * A Student-t family is chosen over the Gaussian only when its ELBO is this much higher (above
   * the fits' noise; a single t with 2 degrees of freedom in d = 6 beats the Gaussian by 0.37).
   */
  familyMargin: 0.1,
  /** Searches per round (see fitStart for when rounds stop). */
  searchRound: 48,
  /** Draws per iteration of each search. */
  searchSamples: 4,
  searchIterations: 300,
  /** The searches start this many times as far out as the first fit travelled. */
  searchSpread: 2,
  /** At most this many modes make a mixture start; more, and the configured initial is kept. */
  maxModes: 16,
  /** At most this fraction of the searches may end at a mode no other search found. */
  maxUnseen: 0.1,
};

export interface FittedStart {
  /** The start's mean and standard deviations (the fallback's when `fitted` is false). */
  mean: Float64Array;
  scale: Float64Array;
  /**
   * The family: null for Gaussians, else the degrees of freedom of multivariate Student-t
   * components (chosen where their fit's ELBO beats the Gaussian's: a target with heavy tails).
   */
  df: number | null;
  /** Whether the fit is used; false when it failed or the target looked multimodal. */
  fitted: boolean;
  /** Why the fit is not used (null when it is). */
  reason: string | null;
  /**
   * A mixture start, one fitted (widened) Gaussian per mode with equal weights, where the search
   * found several modes; null for a single Gaussian (mean and scale are then the start, else the
   * best-fitting mode's).
   */
  components: { mean: Float64Array; scale: Float64Array }[] | null;
  /** The distinct modes the wide search ended in (null when there was no search). */
  modes: number | null;
  /** The ELBO of the fitted Gaussian (before widening) and of the configured initial. */
  elbo: number | null;
  initialElbo: number | null;
  seconds: number;
}

/** A dip of this many nats in log density between two fits' means separates their modes. */
const BARRIER = 3;

/**
 * Fits the start (see the module comment). A fitted Gaussian (mode-seeking, as every reverse-KL
 * fit is) is narrower than the target where the target's coordinates are correlated, so the
 * standard deviations are widened by `widen`: a start wider than the target costs the tempering a
 * few temperatures, a narrower one leaves the target's tails to the moves alone.
 */
export function fitStart(target: Target, rng: Rng, options: FitStartOptions = {}): FittedStart {
  checkOptionKeys('fitStart', options, FIT_START_KEYS, (m) => new RangeError(m));
  const started = performance.now();
  const o = { ...FIT_START_DEFAULTS, ...options };
  const d = target.dim;
  const mean0 = options.initial?.mean ?? 0;
  const scale0 = options.initial?.scale ?? 1;
  const seconds = () => (performance.now() - started) / 1000;
  const fallback = (
    reason: string,
    elbo: number | null,
    initialElbo: number | null,
    modes: number | null = null,
  ): FittedStart => ({
    mean: new Float64Array(d).fill(mean0),
    scale: new Float64Array(d).fill(scale0),
    df: null,
    fitted: false,
    reason,
    components: null,
    modes,
    elbo,
    initialElbo,
    seconds: seconds(),
  });
  // The first fit: the same starting points for each family (the Gaussian first), all at once.
  const dfs = [Infinity, ...o.studentDf];
  for (const df of o.studentDf)
    if (!(df > 0 && df < Infinity))
      throw new RangeError(
        `fitStart: Student-t degrees of freedom must be finite and > 0, got ${df}`,
      );
  const r = o.restarts;
  const m = new Float64Array(dfs.length * r * d).fill(mean0);
  const starts = rng.normalArray((r - 1) * d);
  for (let f = 0; f < dfs.length; f++)
    for (let i = d; i < r * d; i++)
      (m[f * r * d + i] as number) += scale0 * (starts[i - d] as number);
  const logS = new Float64Array(dfs.length * r * d).fill(Math.log(scale0));
  const fit = fitRestarts(target, rng, m, logS, {
    samples: o.samples,
    iterations: o.iterations,
    meanRate: o.learningRate,
    scaleRate: o.learningRate,
    df: dfs.flatMap((df) => new Array<number>(r).fill(df)),
  });
  const { initialElbo } = fit;
  // Per family, the restarts that ran to the end with a finite ELBO, best first.
  const aliveOf = (f: number) =>
    [...Array(r).keys()]
      .map((i) => f * r + i)
      .filter((a) => Number.isFinite(fit.elbo[a]))
      .sort((a, b) => (fit.elbo[b] as number) - (fit.elbo[a] as number));
  const topOf = (f: number) => {
    const a = aliveOf(f)[0];
    return a === undefined ? -Infinity : (fit.elbo[a] as number);
  };
  // A Student-t family where it fits clearly better than the Gaussian (heavy tails), else the
  // Gaussian, whose moves and native fast paths are the cheaper.
  let family = 0;
  for (let f = 1; f < dfs.length; f++)
    if (topOf(f) > topOf(family) + (family === 0 ? o.familyMargin : 0)) family = f;
  const df = dfs[family] as number;
  const dfOut = df === Infinity ? null : df;
  const alive = aliveOf(family);
  if (alive.length === 0)
    return fallback('the fit diverged (non-finite ELBO or gradients)', null, initialElbo);
  const best = alive[0] as number;
  const bestElbo = fit.elbo[best] as number;
  if (initialElbo !== null && !(bestElbo > initialElbo))
    return fallback(
      `the fit did not improve on the initial distribution (ELBO ${bestElbo.toFixed(3)} vs ${initialElbo.toFixed(3)})`,
      bestElbo,
      initialElbo,
    );
  const rowOf = (f: RestartFit, a: number): FitRow => ({
    mean: f.m.subarray(a * d, (a + 1) * d),
    logScale: f.logS.subarray(a * d, (a + 1) * d),
    elbo: f.elbo[a] as number,
  });
  const first = rowOf(fit, best);
  const agree = alive.every((a) => a === best || sameMode(target, rowOf(fit, a), [first]) === 0);
  // Only Gaussians are widened: a Student-t's tails already reach past the target's bulk, and a
  // wider one puts its own bulk where the target has little mass (in d = 20, a t start widened
  // threefold left the tempering 0.3 nats short on the t mixture, one at the fitted scale none).
  const widen = df === Infinity ? o.widen : 1;
  const widened = (row: FitRow) => ({
    mean: Float64Array.from(row.mean),
    scale: Float64Array.from(row.logScale, (v) => widen * Math.exp(v)),
  });
  // A Student-t fit's ELBO is nearly flat in the scale (the tails' log density falls only as
  // df log r), so a scale inflated while the mean travelled to the mode comes back too slowly:
  // each mode's fit is run again from its mean at the initial's scale, and kept where it is better.
  const polished = (rows: FitRow[]): FitRow[] => {
    if (df === Infinity) return rows;
    const pm = new Float64Array(rows.length * d);
    rows.forEach((row, k) => pm.set(row.mean, k * d));
    const refit = fitRestarts(
      target,
      rng,
      pm,
      new Float64Array(rows.length * d).fill(Math.log(scale0)),
      {
        samples: o.samples,
        iterations: o.iterations,
        meanRate: o.learningRate,
        scaleRate: o.learningRate,
        df: new Array<number>(rows.length).fill(df),
      },
    );
    return rows.map((row, k) => {
      const again = rowOf(refit, k);
      return again.elbo > row.elbo ? again : row;
    });
  };
  const single = (fitted: FitRow, modes: number | null): FittedStart => {
    const row = (polished([fitted]) as [FitRow])[0];
    return {
      ...widened(row),
      df: dfOut,
      fitted: true,
      reason: null,
      components: null,
      modes,
      elbo: row.elbo,
      initialElbo,
      seconds: seconds(),
    };
  };
  if (o.searches < 1)
    return agree
      ? single(first, null)
      : fallback(
          `fits from ${r} starting points ended at different modes, so the target looks multimodal`,
          bestElbo,
          initialElbo,
        );

  // The wide search: starting points twice as far from the initial mean as the first fit
  // travelled (at least twice the initial's scale), Adam's steps on the means scaled to match.
  // From outside the modes, which one a search falls to depends on its direction more than on how
  // far each mode lies from the centre, so the modes' shares of the searches are more even.
  let travelled = 0;
  for (let j = 0; j < d; j++) travelled += ((first.mean[j] as number) - mean0) ** 2;
  const spread = o.searchSpread * Math.max(scale0, Math.sqrt(travelled / d));
  const clusters: { best: FitRow; count: number }[] = [{ best: first, count: 0 }];
  let searched = 0;
  for (let round = 0; searched < o.searches && clusters.length <= o.maxModes; round++) {
    const R = Math.min(o.searchRound, o.searches - searched);
    searched += R;
    const [roundRng] = rng.split(1);
    const sm = Float64Array.from(roundRng.normalArray(R * d), (e) => mean0 + spread * e);
    const sLogS = new Float64Array(R * d).fill(Math.log(scale0));
    const search = fitRestarts(target, roundRng, sm, sLogS, {
      samples: o.searchSamples,
      iterations: o.searchIterations,
      meanRate: o.learningRate * (spread / scale0),
      // A Student-t search's scale would inflate on the way and not come back (see polished):
      // it stays at the initial's, the means find the modes, and the polish fits the scales.
      scaleRate: df === Infinity ? o.learningRate : 0,
      df: new Array<number>(R).fill(df),
    });
    // Group the ends by mode, best ELBO first; the first fit's mode is one of them.
    const ends = [...Array(R).keys()]
      .filter((a) => Number.isFinite(search.elbo[a]))
      .map((a) => rowOf(search, a))
      .sort((x, y) => y.elbo - x.elbo);
    const before = clusters.length;
    for (const row of ends) {
      const home =
        clusters[
          sameMode(
            target,
            row,
            clusters.map((c) => c.best),
          )
        ];
      if (home) {
        home.count++;
        if (row.elbo > home.best.elbo) home.best = row;
      } else clusters.push({ best: row, count: 1 });
    }
    // One mode after the first round: done. Several: at least three rounds, then until a round
    // finds nothing new and every mode has been found more than once.
    if (clusters.length === 1) break;
    const settled = clusters.length === before && clusters.every((c) => c.count > 1);
    if (round >= 2 && settled) break;
  }
  const modes = clusters.length;
  // One mode: the first fit (more draws per step than the search's) unless its restarts disagreed.
  if (modes === 1) return single(agree ? first : (clusters[0] as { best: FitRow }).best, 1);
  // Modes found by at most one search estimate the share of searches whose mode went unfound
  // (Good-Turing); with too many, or too many modes, no list of Gaussians covers the target.
  const lonely = clusters.filter((c) => c.count <= 1).length;
  if (modes > o.maxModes || lonely > o.maxUnseen * searched)
    return fallback(
      `the target has more modes than a search can list (${modes} from ${searched} searches, ${lonely} found once or not at all)`,
      bestElbo,
      initialElbo,
      modes,
    );
  const rows = polished(clusters.map((c) => c.best));
  const components = rows.map(widened);
  const top = rows.reduce((x, row) => (row.elbo > x.elbo ? row : x));
  return {
    ...widened(top),
    df: dfOut,
    fitted: true,
    reason: null,
    components,
    modes,
    elbo: top.elbo,
    initialElbo,
    seconds: seconds(),
  };
}

/** One restart's end: its mean and log standard deviations [d] and its ELBO. */
interface FitRow {
  mean: Float64Array;
  logScale: Float64Array;
  elbo: number;
}

/**
 * The first of `modes` that `row` shares a mode with (-1 if none): the target's log density on the
 * straight line between the two means never drops more than BARRIER nats below its lower end (a
 * hill-valley test; a log-concave target never has a barrier). One batch of target evaluations.
 */
function sameMode(target: Target, row: FitRow, modes: readonly FitRow[]): number {
  const d = row.mean.length;
  const at = [0.25, 0.5, 0.75];
  const points = new Float32Array((1 + modes.length * (1 + at.length)) * d);
  points.set(row.mean, 0);
  modes.forEach((mode, k) => {
    const base = (1 + k * (1 + at.length)) * d;
    points.set(mode.mean, base);
    at.forEach((t, i) => {
      for (let j = 0; j < d; j++)
        points[base + (1 + i) * d + j] =
          (row.mean[j] as number) + t * ((mode.mean[j] as number) - (row.mean[j] as number));
    });
  });
  const logp = tf.tidy(() =>
    targetLogProb(target, tf.tensor2d(points, [points.length / d, d]) as Tensor2D).dataSync(),
  );
  const here = logp[0] as number;
  return modes.findIndex((_, k) => {
    const base = 1 + k * (1 + at.length);
    const floor = Math.min(here, logp[base] as number) - BARRIER;
    return at.every((_t, i) => (logp[base + 1 + i] as number) >= floor);
  });
}

/** The restarts' ends: means and log scales [r * d] (updated in place) and ELBOs (NaN if failed). */
interface RestartFit {
  m: Float64Array;
  logS: Float64Array;
  elbo: Float64Array;
  /** The ELBO of restart 0's starting point (the initial distribution), from the first draws. */
  initialElbo: number | null;
}

/**
 * Fits r diagonal Gaussians at once, from means m and log scales logS ([r * d], updated in place),
 * by Adam on the reparameterized ELBO; each ELBO is the mean over the last fifth of the iterations.
 */
function fitRestarts(
  target: Target,
  rng: Rng,
  m: Float64Array,
  logS: Float64Array,
  o: { samples: number; iterations: number; meanRate: number; scaleRate: number; df: number[] },
): RestartFit {
  const d = target.dim;
  const r = m.length / d;
  const s = o.samples;
  // Student-t restarts draw z = m + s * eps * c with c = sqrt(df / chi2_df) per draw; their ELBO
  // takes log q at each draw (a Gaussian's entropy is exact).
  const families = o.df.map((df) => (df === Infinity ? 0 : tLogNormalizer(df, d)));
  const adam = [new AdamState(r * d), new AdamState(r * d)];
  const tail = Math.max(1, Math.floor(o.iterations / 5));
  const elboSum = new Float64Array(r);
  const elboCount = new Float64Array(r);
  const failed = new Uint8Array(r);
  let initialElbo: number | null = null;
  const entropy = 0.5 * d * (1 + Math.log(2 * Math.PI));
  for (let t = 0; t < o.iterations; t++) {
    const eps = rng.normalArray(r * s * d);
    // Per draw: the t's stretch c, and the entropy term -log q(z) less sum log s.
    const stretch = new Float64Array(r * s).fill(1);
    const negLogQ = new Float64Array(r * s);
    for (let a = 0; a < r; a++) {
      const df = o.df[a] as number;
      if (df === Infinity) continue;
      const chi2 = chiSquareArray(rng, df, s);
      for (let i = 0; i < s; i++) {
        const c = Math.sqrt(df / (chi2[i] as number));
        let u2 = 0;
        for (let j = 0; j < d; j++) u2 += ((eps[(a * s + i) * d + j] as number) * c) ** 2;
        stretch[a * s + i] = c;
        negLogQ[a * s + i] = 0.5 * (df + d) * Math.log1p(u2 / df) - (families[a] as number);
      }
    }
    const z = new Float32Array(r * s * d);
    for (let a = 0; a < r; a++)
      for (let i = 0; i < s; i++)
        for (let j = 0; j < d; j++) {
          const k = (a * s + i) * d + j;
          z[k] =
            (m[a * d + j] as number) +
            Math.exp(logS[a * d + j] as number) *
              (eps[k] as number) *
              (stretch[a * s + i] as number);
        }
    const { logProb, score } = tf.tidy(() => {
      const out = targetLogProbAndScore(target, tf.tensor2d(z, [r * s, d]));
      return { logProb: out.logProb.dataSync(), score: out.score.dataSync() };
    });
    const gradM = new Float64Array(r * d);
    const gradS = new Float64Array(r * d);
    for (let a = 0; a < r; a++) {
      if (failed[a]) continue;
      let lp = 0;
      for (let i = 0; i < s; i++)
        lp += (logProb[a * s + i] as number) + (negLogQ[a * s + i] as number);
      let sumLogS = 0;
      for (let j = 0; j < d; j++) sumLogS += logS[a * d + j] as number;
      const elbo = lp / s + sumLogS + (o.df[a] === Infinity ? entropy : 0);
      if (!Number.isFinite(elbo)) {
        failed[a] = 1;
        continue;
      }
      if (t === 0 && a === 0) initialElbo = elbo;
      if (t >= o.iterations - tail) {
        elboSum[a] = (elboSum[a] as number) + elbo;
        elboCount[a] = (elboCount[a] as number) + 1;
      }
      for (let i = 0; i < s; i++)
        for (let j = 0; j < d; j++) {
          const k = (a * s + i) * d + j;
          const g = score[k] as number;
          gradM[a * d + j] = (gradM[a * d + j] as number) + g / s;
          gradS[a * d + j] =
            (gradS[a * d + j] as number) +
            (g *
              (eps[k] as number) *
              (stretch[a * s + i] as number) *
              Math.exp(logS[a * d + j] as number)) /
              s;
        }
      for (let j = 0; j < d; j++) {
        gradS[a * d + j] = (gradS[a * d + j] as number) + 1;
        if (!Number.isFinite(gradM[a * d + j]) || !Number.isFinite(gradS[a * d + j])) failed[a] = 1;
      }
    }
    const decay = Math.pow(0.1, t / o.iterations);
    (adam[0] as AdamState).ascend(m, gradM, o.meanRate * decay, failed, d);
    (adam[1] as AdamState).ascend(logS, gradS, o.scaleRate * decay, failed, d);
  }
  const elbo = Float64Array.from(elboSum, (v, a) =>
    failed[a] || (elboCount[a] as number) === 0 ? NaN : v / (elboCount[a] as number),
  );
  return { m, logS, elbo, initialElbo };
}

/** Adam on host arrays (float64), ascending; rows of `failed` restarts are left alone. */
class AdamState {
  private readonly first: Float64Array;
  private readonly second: Float64Array;
  private t = 0;
  constructor(n: number) {
    this.first = new Float64Array(n);
    this.second = new Float64Array(n);
  }
  ascend(x: Float64Array, g: Float64Array, lr: number, failed: Uint8Array, d: number): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    for (let i = 0; i < x.length; i++) {
      if (failed[Math.floor(i / d)]) continue;
      const gi = g[i] as number;
      this.first[i] = b1 * (this.first[i] as number) + (1 - b1) * gi;
      this.second[i] = b2 * (this.second[i] as number) + (1 - b2) * gi * gi;
      x[i] =
        (x[i] as number) +
        (lr * ((this.first[i] as number) / c1)) /
          (Math.sqrt((this.second[i] as number) / c2) + 1e-8);
    }
  }
}

/** log of the multivariate t's normalizing factor at unit scale: Gamma((df+d)/2) / (Gamma(df/2) (df pi)^(d/2)). */
function tLogNormalizer(df: number, d: number): number {
  return logGamma((df + d) / 2) - logGamma(df / 2) - 0.5 * d * Math.log(df * Math.PI);
}
