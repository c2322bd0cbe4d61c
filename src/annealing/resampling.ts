// Resampling for sequential Monte Carlo, on the device and in groups: particles [B*N] form B
// independent systems of N particles (B = 1 for a single SMC run; B = batch for DSMCS training),
// and each system resamples among its own particles. Everything here is fixed-shape tensor work:
// no host round-trip, whatever the weights.
//
// Classic schemes return ancestor indices and pass no gradient through the choice. The
// differentiable variants of Zenn & Bamler (2023) build a selection matrix with the gapped
// straight-through estimator (GST, Fan et al. 2022): its forward value is the hard one-hot choice,
// its gradient that of a tempered softmax of the log-weights.
import {
  tf,
  stopGradient,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
  type Tensor3D,
} from '../engine/index.js';

/** Index-based schemes (no gradient through the choice of ancestors). */
export const RESAMPLING_SCHEMES = ['multinomial', 'systematic', 'stratified', 'residual'] as const;
export type ResamplingScheme = (typeof RESAMPLING_SCHEMES)[number];

/**
 * Every resampling choice. `none` (alias `no`, the paper's name) never resamples; `cat` is the
 * paper's name for multinomial; `gst` is multinomial with a straight-through gradient; `bern-cat`
 * and `bern-gst` let a Bernoulli draw driven by the ESS decide whether a system resamples.
 */
export const RESAMPLING_NAMES = [
  'none',
  'no',
  ...RESAMPLING_SCHEMES,
  'cat',
  'gst',
  'bern-cat',
  'bern-gst',
] as const;
export type ResamplingName = (typeof RESAMPLING_NAMES)[number];

export function isResamplingName(name: string): name is ResamplingName {
  return (RESAMPLING_NAMES as readonly string[]).includes(name);
}

export interface ResamplingOptions {
  scheme: ResamplingName;
  /**
   * Resample a system only when its ESS falls below this fraction of N (in (0, 1]); absent or null
   * resamples at every step. Not used by the bern-* variants, which draw their own decision.
   */
  essThreshold?: number | null;
  /** Particles per system N; absent: all particles form one system. */
  groupSize?: number;
  /** GST softmax temperature (default 0.1, as in the paper's code). */
  temperature?: number;
}

export const GST_DEFAULT_TEMPERATURE = 0.1;

export class ResamplingError extends Error {
  override name = 'ResamplingError';
}

/** Checks options against the particle count; returns the group size N. */
export function validateResampling(options: ResamplingOptions, particles: number): number {
  if (!isResamplingName(options.scheme)) {
    throw new ResamplingError(
      `unknown resampling '${options.scheme as string}'; valid: ${RESAMPLING_NAMES.join(', ')}`,
    );
  }
  const n = options.groupSize ?? particles;
  if (!Number.isInteger(n) || n < 1 || particles % n !== 0) {
    throw new ResamplingError(
      `resampling group size must be a positive integer dividing the particles (${particles}), got ${n}`,
    );
  }
  const t = options.essThreshold;
  if (t !== undefined && t !== null) {
    if (!(t > 0 && t <= 1)) {
      throw new ResamplingError(`ESS threshold must be a fraction in (0, 1], got ${t}`);
    }
    if (options.scheme.startsWith('bern-')) {
      throw new ResamplingError(
        `'${options.scheme}' decides by a Bernoulli draw on the ESS; drop the ESS threshold`,
      );
    }
  }
  const tau = options.temperature;
  if (tau !== undefined && !(tau > 0 && Number.isFinite(tau))) {
    throw new ResamplingError(`GST temperature must be positive, got ${tau}`);
  }
  return n;
}

export function resamples(scheme: ResamplingName): boolean {
  return scheme !== 'none' && scheme !== 'no';
}

/** Row-wise weights proportional to exp(logW) with the row max subtracted ([B, N]; all -Inf rows give zeros). */
function unnormalizedWeights(logW: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    const m = tf.max(logW, -1, true);
    const shift = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
    return tf.exp(tf.sub(logW, shift)) as Tensor2D;
  });
}

/** Inverts each row's CDF at positions u in [0, 1): the ancestor index of each position. */
function invertCdf(weights: Tensor2D, u: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    const n = weights.shape[1];
    const cdf = tf.cumsum(weights, 1) as Tensor2D;
    const total = tf.slice(cdf, [0, n - 1], [-1, 1]);
    // First index whose cumulative weight exceeds u * total ('right' skips zero-weight particles).
    const idx = tf.searchSorted(cdf, tf.mul(u, total) as Tensor2D, 'right');
    return tf.minimum(idx, tf.scalar(n - 1, 'int32')) as Tensor2D; // float round-off at the top end
  });
}

/**
 * Ancestor indices within each system ([B, N] int32, values in 0..N-1) for log-weights [B, N].
 * Every scheme is unbiased: the expected number of copies of particle i is N times its
 * normalized weight.
 */
export function ancestorIndices(logW: Tensor2D, scheme: ResamplingScheme, rng: Rng): Tensor2D {
  const [b, n] = logW.shape;
  return tf.tidy(() => {
    const w = unnormalizedWeights(logW);
    const positions = tf.range(0, n, 1, 'float32').reshape([1, n]);
    switch (scheme) {
      case 'multinomial':
        return invertCdf(w, rng.uniform([b, n]) as Tensor2D);
      case 'stratified':
        return invertCdf(w, tf.div(tf.add(positions, rng.uniform([b, n])), n) as Tensor2D);
      case 'systematic':
        return invertCdf(w, tf.div(tf.add(positions, rng.uniform([b, 1])), n) as Tensor2D);
      case 'residual': {
        // floor(N w_i) copies of each particle, then the remaining R draws multinomially from the
        // residuals N w_i - floor(N w_i). Position j < sum(floor) reads the deterministic copies.
        const scaled = tf.div(tf.mul(w, n), tf.sum(w, -1, true));
        const copies = tf.floor(scaled);
        const deterministic = tf.searchSorted(
          tf.cumsum(copies, 1) as Tensor2D,
          tf.tile(positions, [b, 1]) as Tensor2D,
          'right',
        );
        const residualDraw = invertCdf(
          tf.sub(scaled, copies) as Tensor2D,
          rng.uniform([b, n]) as Tensor2D,
        );
        const fixedCount = tf.sum(copies, -1, true);
        return tf.where(
          tf.less(positions, fixedCount),
          tf.minimum(deterministic, tf.scalar(n - 1, 'int32')),
          residualDraw,
        ) as Tensor2D;
      }
      default:
        throw new ResamplingError(`unknown scheme '${scheme as string}'`);
    }
  });
}

/** Ancestor indices [B, N] within systems to indices into the flat [B*N] particle axis. */
export function flatIndices(indices: Tensor2D): Tensor1D {
  const [b, n] = indices.shape;
  return tf.tidy(
    () =>
      tf
        .add(indices, tf.mul(tf.range(0, b, 1, 'int32').reshape([b, 1]), tf.scalar(n, 'int32')))
        .reshape([b * n]) as Tensor1D,
  );
}

/**
 * Gapped straight-through one-hot samples. For logits [..., K] and hard one-hot samples of the
 * same shape, returns a tensor equal to the samples whose gradient w.r.t. the logits is that of
 * softmax(L' / tau), where L' moves the sampled logit to the row maximum and pushes any other
 * logit within `gap` of it down to max - gap (the moves are constants for autodiff).
 */
export function gstOneHot(logits: Tensor, hard: Tensor, temperature: number, gap = 1): Tensor {
  // Written with broadcasting arithmetic only: on wasm, broadcastTo/tile/where/minimum over an
  // [B, N, N] selection cost 1-7 ms each, elementwise arithmetic a tenth of a millisecond.
  // `logits` may be [..., 1, K] against `hard` [..., M, K] (the same logits for every row).
  return tf.tidy(() => {
    const l = stopGradient(logits);
    const top = tf.max(l, -1, true);
    const others = tf.sub(l, tf.relu(tf.add(tf.sub(l, top), gap))); // min(l, top - gap)
    const moved = tf.add(others, tf.mul(hard, tf.sub(top, others))); // chosen entry -> top
    const shifted = tf.add(logits, stopGradient(tf.sub(moved, l)));
    const soft = tf.softmax(tf.div(shifted, temperature));
    return tf.add(hard, tf.sub(soft, stopGradient(soft)));
  });
}

/**
 * Straight-through selection matrices [B, N, N] for multinomial ancestors [B, N]: row i of
 * system b is (in value) the one-hot vector of particle i's ancestor; gradients reach logW [B, N]
 * through the GST estimator.
 */
export function gstSelection(logW: Tensor2D, ancestors: Tensor2D, temperature: number): Tensor3D {
  const [b, n] = logW.shape;
  return tf.tidy(() => {
    // wasm's OneHot with a float32 dtype writes integer bit patterns (1 reads as 1.4e-45): build it
    // as int32 and cast.
    const hard = tf.cast(tf.oneHot(tf.cast(ancestors, 'int32'), n), 'float32'); // [B, N, N]
    // The same logits for every row: each offspring picks among all N particles of its system.
    // -Inf weights (never chosen) are floored so that the softmax gradient stays finite.
    const logits = tf.reshape(tf.maximum(logW, -1e30), [b, 1, n]);
    return gstOneHot(logits, hard, temperature) as Tensor3D;
  });
}

/**
 * Bernoulli resampling decisions from the ESS (bern-* variants): a system with ESS count E out of N
 * keeps its particles with probability u = (E - 1) / (N - 1) and resamples otherwise, so an
 * even-weighted system never resamples and a degenerate one always does. Returns the hard decision
 * (1 = resample, float [B]) and, with `straightThrough`, the same value carrying a GST gradient.
 */
export function bernoulliDecision(
  essCount: Tensor1D,
  n: number,
  rng: Rng,
  straightThrough: boolean,
  temperature: number,
): { hard: Tensor1D; value: Tensor1D } {
  return tf.tidy(() => {
    const b = essCount.shape[0];
    const eps = 1e-6;
    const keep =
      n > 1
        ? tf.clipByValue(tf.div(tf.sub(essCount, 1), n - 1), eps, 1 - eps)
        : tf.fill([b], 1 - eps);
    const hard = tf.cast(tf.greaterEqual(stopGradient(keep), rng.uniform([b])), 'float32');
    const resampleHard = tf.sub(1, hard) as Tensor1D;
    if (!straightThrough) return { hard: resampleHard, value: resampleHard.clone() };
    // Two categories [resample, keep] with probabilities [1 - u, u].
    const logits = tf.stack([tf.log(tf.sub(1, keep)), tf.log(keep)], 1);
    const oneHot = tf.stack([resampleHard, hard], 1);
    const st = gstOneHot(logits, oneHot, temperature);
    return {
      hard: resampleHard,
      value: tf.squeeze(tf.slice(st, [0, 0], [-1, 1]), [1]) as Tensor1D,
    };
  });
}
