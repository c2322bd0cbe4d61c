// A starting distribution that fits the target: a diagonal Gaussian N(m, diag(s^2)) fitted by
// maximizing the ELBO E_q[log pi(z)] + H(q) with reparameterized draws z = m + s * eps. The
// gradients need only the target's score (d/dm = E[score], d/dlog s = E[score * eps * s] + 1), so
// any target with a score works and nothing is taped. The fit runs from a few starting points at
// once; where they end in different places the target has several modes, and a Gaussian around one
// of them would hide the others from the tempering, so the configured initial distribution is kept.
import { tf, type Rng } from '../engine/index.js';
import { targetLogProbAndScore } from '../targets/score.js';
import type { Target } from '../targets/target.js';

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
}

export const FIT_START_DEFAULTS = {
  iterations: 300,
  samples: 32,
  restarts: 4,
  learningRate: 0.05,
  widen: 3,
};

export interface FittedStart {
  /** The start's mean and standard deviations (the fallback's when `fitted` is false). */
  mean: Float64Array;
  scale: Float64Array;
  /** Whether the fit is used; false when it failed or the target looked multimodal. */
  fitted: boolean;
  /** Why the fit is not used (null when it is). */
  reason: string | null;
  /** The ELBO of the fitted Gaussian (before widening) and of the configured initial. */
  elbo: number | null;
  initialElbo: number | null;
  seconds: number;
}

/** Coordinates apart by more than this many combined standard deviations are separate modes. */
const MODE_SEPARATION = 4;

/**
 * Fits the start (see the module comment). A fitted Gaussian (mode-seeking, as every reverse-KL
 * fit is) is narrower than the target where the target's coordinates are correlated, so the
 * standard deviations are widened by `widen`: a start wider than the target costs the tempering a
 * few temperatures, a narrower one leaves the target's tails to the moves alone.
 */
export function fitStart(target: Target, rng: Rng, options: FitStartOptions = {}): FittedStart {
  const started = performance.now();
  const o = { ...FIT_START_DEFAULTS, ...options };
  const d = target.dim;
  const mean0 = options.initial?.mean ?? 0;
  const scale0 = options.initial?.scale ?? 1;
  const fallback = (reason: string, elbo: number | null, initialElbo: number | null) => ({
    mean: new Float64Array(d).fill(mean0),
    scale: new Float64Array(d).fill(scale0),
    fitted: false,
    reason,
    elbo,
    initialElbo,
    seconds: (performance.now() - started) / 1000,
  });
  const r = o.restarts;
  const s = o.samples;
  const m = new Float64Array(r * d).fill(mean0);
  const starts = rng.normalArray((r - 1) * d);
  for (let i = d; i < r * d; i++) (m[i] as number) += scale0 * (starts[i - d] as number);
  const logS = new Float64Array(r * d).fill(Math.log(scale0));
  const adam = [new AdamState(r * d), new AdamState(r * d)];
  const tail = Math.max(1, Math.floor(o.iterations / 5));
  const elboSum = new Float64Array(r);
  const elboCount = new Float64Array(r);
  const failed = new Uint8Array(r);
  let initialElbo: number | null = null;
  const entropy = 0.5 * d * (1 + Math.log(2 * Math.PI));
  for (let t = 0; t < o.iterations; t++) {
    const eps = rng.normalArray(r * s * d);
    const z = new Float32Array(r * s * d);
    for (let a = 0; a < r; a++)
      for (let i = 0; i < s; i++)
        for (let j = 0; j < d; j++) {
          const k = (a * s + i) * d + j;
          z[k] =
            (m[a * d + j] as number) + Math.exp(logS[a * d + j] as number) * (eps[k] as number);
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
      for (let i = 0; i < s; i++) lp += logProb[a * s + i] as number;
      let sumLogS = 0;
      for (let j = 0; j < d; j++) sumLogS += logS[a * d + j] as number;
      const elbo = lp / s + sumLogS + entropy;
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
            (g * (eps[k] as number) * Math.exp(logS[a * d + j] as number)) / s;
        }
      for (let j = 0; j < d; j++) {
        gradS[a * d + j] = (gradS[a * d + j] as number) + 1;
        if (!Number.isFinite(gradM[a * d + j]) || !Number.isFinite(gradS[a * d + j])) failed[a] = 1;
      }
    }
    const lr = o.learningRate * Math.pow(0.1, t / o.iterations);
    (adam[0] as AdamState).ascend(m, gradM, lr, failed, d);
    (adam[1] as AdamState).ascend(logS, gradS, lr, failed, d);
  }
  // The restarts that ran to the end with a finite ELBO, best first.
  const alive = [...Array(r).keys()].filter((a) => !failed[a] && (elboCount[a] as number) > 0);
  if (alive.length === 0)
    return fallback('the fit diverged (non-finite ELBO or gradients)', null, initialElbo);
  const elboOf = (a: number) => (elboSum[a] as number) / (elboCount[a] as number);
  alive.sort((a, b) => elboOf(b) - elboOf(a));
  const best = alive[0] as number;
  const bestElbo = elboOf(best);
  if (initialElbo !== null && !(bestElbo > initialElbo))
    return fallback(
      `the fit did not improve on the initial distribution (ELBO ${bestElbo.toFixed(3)} vs ${initialElbo.toFixed(3)})`,
      bestElbo,
      initialElbo,
    );
  for (const a of alive) {
    if (a === best) continue;
    for (let j = 0; j < d; j++) {
      const gap = Math.abs((m[a * d + j] as number) - (m[best * d + j] as number));
      const spread = Math.hypot(
        Math.exp(logS[a * d + j] as number),
        Math.exp(logS[best * d + j] as number),
      );
      if (gap > MODE_SEPARATION * spread)
        return fallback(
          `fits from ${r} starting points ended at different modes (coordinate ${j}), so the target looks multimodal`,
          bestElbo,
          initialElbo,
        );
    }
  }
  return {
    mean: m.slice(best * d, (best + 1) * d),
    scale: Float64Array.from(logS.subarray(best * d, (best + 1) * d), (v) => o.widen * Math.exp(v)),
    fitted: true,
    reason: null,
    elbo: bestElbo,
    initialElbo,
    seconds: (performance.now() - started) / 1000,
  };
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
