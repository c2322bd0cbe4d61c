// Log-Gaussian Cox process posterior on the Finnish pines (Moller, Syversveen and Waagepetersen
// 1998; the discretization of Heng et al. 2020), as the standard sampler benchmark defines it: the
// unit square (the plot rescaled) cut into W x W cells, the latent log intensity f over the cells
// a Gaussian process with mean mu = log 126 - sigma^2 / 2 and covariance
//   K(i, j) = sigma^2 exp(-|g_i - g_j| / (W beta)),  sigma^2 = 1.91, beta = 1/33,
// g the cells' integer grid coordinates, and the counts c_i Poisson with mean exp(f_i) / W^2:
//   log gamma(f) = log N(f; mu, K) + sum_i [c_i f_i - exp(f_i) / W^2]
// (the Poisson terms without log c_i!, as the benchmark has them). z = f, row-major over the
// cells (first index from x), dim = W^2 (1600 at the benchmark's W = 40). The prior's precision
// matrix K^-1 is computed once per W in float64 on the host and kept.
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { cholesky, keptConstant, LOG_2PI } from './common.js';
import { FINPINES_WINDOW, FINPINES_XY } from './finpines.js';
import { checkParticles, TargetError, type Target } from './target.js';

/** The benchmark's grid: 40 x 40 cells. */
export const LGCP_DEFAULT_WIDTH = 40;
const SIGNAL_VARIANCE = 1.91;
const LENGTH_SCALE = 1 / 33;

/** Points per cell of a W x W grid over the rescaled plot, row-major (first index from x). */
export function finpinesCounts(width: number): Float64Array {
  const counts = new Float64Array(width * width);
  const [x0, x1] = FINPINES_WINDOW.x;
  const [y0, y1] = FINPINES_WINDOW.y;
  for (let p = 0; p < FINPINES_XY.length; p += 2) {
    // A point on the upper edge of the plot goes into the last cell.
    const cell = (v: number, lo: number, hi: number) =>
      Math.min(width - 1, Math.floor(((v - lo) / (hi - lo)) * width));
    const row = cell(FINPINES_XY[p] as number, x0, x1);
    const col = cell(FINPINES_XY[p + 1] as number, y0, y1);
    counts[row * width + col] = (counts[row * width + col] as number) + 1;
  }
  return counts;
}

interface Prior {
  precision: Float32Array;
  /** log det K. */
  logDet: number;
}

/** K^-1 and log det K per grid width: a few seconds of host work at W = 40, done once. */
const PRIORS = new Map<number, Prior>();

function prior(width: number): Prior {
  const cached = PRIORS.get(width);
  if (cached) return cached;
  const n = width * width;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const [ri, ci] = [Math.floor(i / width), i % width];
    for (let j = 0; j <= i; j++) {
      const [rj, cj] = [Math.floor(j / width), j % width];
      const distance = Math.hypot(ri - rj, ci - cj);
      const value = SIGNAL_VARIANCE * Math.exp(-distance / (width * LENGTH_SCALE));
      k[i * n + j] = value;
      k[j * n + i] = value;
    }
  }
  const chol = cholesky(k, n);
  if ('failedRow' in chol)
    throw new TargetError(`target 'lgcp': the prior covariance is not positive definite`);
  const L = chol.L;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(L[i * n + i] as number);
  // L^-1 by forward substitution, one row at a time (row i needs rows < i).
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const lii = L[i * n + i] as number;
    inv[i * n + i] = 1 / lii;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let m = j; m < i; m++) s += (L[i * n + m] as number) * (inv[m * n + j] as number);
      inv[i * n + j] = -s / lii;
    }
  }
  // K^-1 = L^-T L^-1 = sum over rows m of L^-1 of row_m^T row_m (row m is zero past column m).
  const p = new Float64Array(n * n);
  for (let m = 0; m < n; m++) {
    const row = m * n;
    for (let i = 0; i <= m; i++) {
      const a = inv[row + i] as number;
      if (a === 0) continue;
      const out = i * n;
      for (let j = 0; j <= i; j++)
        p[out + j] = (p[out + j] as number) + a * (inv[row + j] as number);
    }
  }
  const precision = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      precision[i * n + j] = p[i * n + j] as number;
      precision[j * n + i] = p[i * n + j] as number;
    }
  const out = { precision, logDet };
  PRIORS.set(width, out);
  return out;
}

export interface LgcpOptions {
  /** Cells per side W (default 40): dim = W^2. */
  width?: number;
}

export class LgcpTarget implements Target {
  readonly name = 'lgcp';
  readonly dim: number;
  readonly width: number;
  /** The prior mean mu of every cell. */
  readonly priorMean: number;
  private readonly precision: Tensor2D;
  private readonly counts: Tensor2D;
  private readonly constant: number;
  private readonly cellArea: number;

  constructor(options: LgcpOptions = {}) {
    const width = options.width ?? LGCP_DEFAULT_WIDTH;
    if (!Number.isInteger(width) || width < 2)
      throw new TargetError(`target 'lgcp': width must be an integer >= 2, got ${width}`);
    this.width = width;
    const n = width * width;
    this.dim = n;
    const { precision, logDet } = prior(width);
    this.precision = keptConstant(precision, [n, n]) as Tensor2D;
    this.counts = keptConstant(finpinesCounts(width), [1, n]) as Tensor2D;
    this.priorMean = Math.log(FINPINES_XY.length / 2) - SIGNAL_VARIANCE / 2;
    this.constant = -0.5 * n * LOG_2PI - 0.5 * logDet;
    this.cellArea = 1 / n;
  }

  /** f - mu and K^-1 (f - mu), [N, dim] each. */
  private whitened(z: Tensor2D): { centered: Tensor; scaled: Tensor } {
    const centered = tf.sub(z, this.priorMean);
    return { centered, scaled: tf.matMul(centered as Tensor2D, this.precision) };
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { centered, scaled } = this.whitened(z);
      const prior = tf.mul(-0.5, tf.sum(tf.mul(centered, scaled), -1));
      const likelihood = tf.sum(
        tf.sub(tf.mul(this.counts, z), tf.mul(this.cellArea, tf.exp(z))),
        -1,
      );
      return tf.add(tf.add(prior, likelihood), this.constant) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { scaled } = this.whitened(z);
      return tf.sub(tf.sub(this.counts, tf.mul(this.cellArea, tf.exp(z))), scaled) as Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.precision, this.counts]);
  }
}

/** The log-Gaussian Cox process on the Finnish pines (default 40 x 40 cells, 1600-d). */
export function lgcpTarget(options: LgcpOptions = {}): LgcpTarget {
  return new LgcpTarget(options);
}
