// Posterior draws as a user wants them: weighted summaries of each coordinate (mean, sd, quantiles,
// the effective sample size of each mean and its Monte Carlo standard error), resampling to equal
// weights, and a layout Python's ArviZ loads as it is. The input is a result's `samples`: final
// particles and their log-weights, self-normalized.
import { type Rng } from '../engine/index.js';
import type { WeightedParticles } from './logZEstimate.js';

export interface CoordinateSummary {
  name: string;
  mean: number;
  sd: number;
  /** The weighted quantiles asked for, in order. */
  quantiles: number[];
  /**
   * Effective sample size of this coordinate's mean: its weighted variance over the variance of the
   * self-normalized estimate (delta method), so it differs from one coordinate to the next.
   */
  ess: number;
  /**
   * Monte Carlo standard error of the mean: from the spread between independent groups where the
   * summary was given them (SMC systems, batches), else sd / sqrt(ess).
   */
  mcse: number;
}

export interface PosteriorSummary {
  count: number;
  /** Kish's effective sample size of the weights, over all draws. */
  ess: number;
  /** The quantile levels of every coordinate's `quantiles`. */
  levels: number[];
  /** Whether mcse comes from independent groups (true) or from the weights alone (false). */
  mcseFromGroups: boolean;
  coordinates: CoordinateSummary[];
}

export interface PosteriorOptions {
  /** Quantile levels in (0, 1) (default [0.05, 0.5, 0.95]). */
  levels?: readonly number[];
  /** A name per coordinate (default z1, z2, ...). */
  names?: readonly string[];
  /**
   * The draws are this many equal, consecutive, independent groups (SMC systems or batches; the
   * auto sampler's samples are its systems, in order). Particles within an SMC system are not
   * independent after resampling, so only the spread between groups gives an honest mcse.
   */
  groups?: number;
}

/** Self-normalized weights of log-weights (max-shifted). */
export function normalizedWeights(logW: ArrayLike<number>): Float64Array {
  let top = -Infinity;
  for (let i = 0; i < logW.length; i++) top = Math.max(top, logW[i] as number);
  if (!Number.isFinite(top)) throw new RangeError('posterior: no draw has a finite log-weight');
  const w = Float64Array.from({ length: logW.length }, (_, i) =>
    Math.exp((logW[i] as number) - top),
  );
  const total = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) (w[i] as number) /= total;
  return w;
}

function checkSamples(s: WeightedParticles): void {
  if (!(s.count >= 1) || s.z.length !== s.count * s.dim || s.logW.length !== s.count)
    throw new RangeError(
      `posterior: ${s.count} draws of dimension ${s.dim} need ${s.count * s.dim} values and ${s.count} log-weights, got ${s.z.length} and ${s.logW.length}`,
    );
}

/** Weighted summaries of every coordinate (see PosteriorSummary). */
export function posteriorSummary(
  s: WeightedParticles,
  options: PosteriorOptions = {},
): PosteriorSummary {
  checkSamples(s);
  const levels = [...(options.levels ?? [0.05, 0.5, 0.95])];
  if (levels.some((q) => !(q > 0 && q < 1)))
    throw new RangeError(`posterior: quantile levels must be in (0, 1), got ${levels.join(', ')}`);
  const names = options.names ?? Array.from({ length: s.dim }, (_, j) => `z${j + 1}`);
  if (names.length !== s.dim)
    throw new RangeError(`posterior: ${names.length} names for ${s.dim} coordinates`);
  const groups = options.groups;
  if (groups !== undefined && !(Number.isInteger(groups) && groups >= 2 && s.count % groups === 0))
    throw new RangeError(
      `posterior: groups must be an integer >= 2 that divides the ${s.count} draws, got ${groups}`,
    );
  const w = normalizedWeights(s.logW);
  const kish = 1 / w.reduce((a, b) => a + b * b, 0);
  const coordinates = names.map((name, j) => {
    const x = Float64Array.from({ length: s.count }, (_, i) => s.z[i * s.dim + j] as number);
    let mean = 0;
    for (let i = 0; i < s.count; i++) mean += (w[i] as number) * (x[i] as number);
    let variance = 0;
    let estimateVariance = 0;
    for (let i = 0; i < s.count; i++) {
      const dev = (x[i] as number) - mean;
      variance += (w[i] as number) * dev * dev;
      estimateVariance += (w[i] as number) ** 2 * dev * dev;
    }
    const ess = estimateVariance > 0 ? variance / estimateVariance : s.count;
    return {
      name,
      mean,
      sd: Math.sqrt(variance),
      quantiles: weightedQuantiles(x, w, levels),
      ess,
      mcse: groups ? groupStdErr(x, w, groups, mean) : Math.sqrt(estimateVariance),
    };
  });
  return { count: s.count, ess: kish, levels, mcseFromGroups: groups !== undefined, coordinates };
}

/**
 * The self-normalized mean's standard error from G independent groups (a ratio estimator): with
 * W_g a group's share of the weight and m_g its own weighted mean, G / (G - 1) sum_g W_g^2 (m_g - m)^2.
 */
function groupStdErr(x: Float64Array, w: Float64Array, groups: number, mean: number): number {
  const size = x.length / groups;
  let sum = 0;
  for (let g = 0; g < groups; g++) {
    let share = 0;
    let weighted = 0;
    for (let i = g * size; i < (g + 1) * size; i++) {
      share += w[i] as number;
      weighted += (w[i] as number) * (x[i] as number);
    }
    if (share > 0) sum += share * share * (weighted / share - mean) ** 2;
  }
  return Math.sqrt((groups / (groups - 1)) * sum);
}

/** Weighted quantiles: the smallest x whose cumulative weight reaches each level. */
function weightedQuantiles(x: Float64Array, w: Float64Array, levels: readonly number[]): number[] {
  const order = Array.from(x.keys()).sort((a, b) => (x[a] as number) - (x[b] as number));
  return levels.map((q) => {
    let cumulative = 0;
    for (const i of order) {
      cumulative += w[i] as number;
      if (cumulative >= q) return x[i] as number;
    }
    return x[order[order.length - 1] as number] as number;
  });
}

/**
 * n draws with equal weights, by systematic resampling of the weighted draws (one uniform from
 * rng), in random order so that any slice of them is a fair subsample.
 */
export function resampleEqual(
  s: WeightedParticles,
  n: number,
  rng: Rng,
): { z: Float32Array; count: number; dim: number } {
  checkSamples(s);
  if (!(Number.isInteger(n) && n >= 1))
    throw new RangeError(`posterior: the number of draws must be a positive integer, got ${n}`);
  const w = normalizedWeights(s.logW);
  const [u0, ...shuffle] = rng.uniformArray(n + 1);
  const picks = new Int32Array(n);
  let cumulative = w[0] as number;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const target = ((u0 as number) + k) / n;
    while (cumulative < target && i < s.count - 1) cumulative += w[++i] as number;
    picks[k] = i;
  }
  // Fisher-Yates with the stream's uniforms: systematic picks come out sorted by index.
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor((shuffle[k - 1] as number) * (k + 1));
    [picks[k], picks[j]] = [picks[j] as number, picks[k] as number];
  }
  const z = new Float32Array(n * s.dim);
  picks.forEach((p, k) => z.set(s.z.subarray(p * s.dim, (p + 1) * s.dim), k * s.dim));
  return { z, count: n, dim: s.dim };
}

/**
 * Equal-weight draws in the layout ArviZ builds an InferenceData from: `posterior` maps each
 * coordinate's name to [chains][draws] numbers (chains: consecutive slices of one resampling, so
 * they are exchangeable). In Python with ArviZ 0.x: `az.from_dict(**json.load(open(path)))`.
 */
export function arvizDict(
  s: WeightedParticles,
  rng: Rng,
  options: { names?: readonly string[]; chains?: number; draws?: number } = {},
): { posterior: Record<string, number[][]> } {
  const chains = options.chains ?? 4;
  if (!(Number.isInteger(chains) && chains >= 1))
    throw new RangeError(`posterior: chains must be a positive integer, got ${chains}`);
  const draws = options.draws ?? Math.max(1, Math.floor(s.count / chains));
  const names = options.names ?? Array.from({ length: s.dim }, (_, j) => `z${j + 1}`);
  if (names.length !== s.dim)
    throw new RangeError(`posterior: ${names.length} names for ${s.dim} coordinates`);
  const equal = resampleEqual(s, chains * draws, rng);
  const posterior: Record<string, number[][]> = {};
  names.forEach((name, j) => {
    posterior[name] = Array.from({ length: chains }, (_, c) =>
      Array.from({ length: draws }, (_, d) => equal.z[(c * draws + d) * s.dim + j] as number),
    );
  });
  return { posterior };
}
