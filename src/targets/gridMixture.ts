// The path-gradient paper's mixture ('mgm'): 2^d equal-weight components N(c, sigma2 I) at the
// grid corners c in {+-loc}^d. Equal weights over a product grid make it an exact product over
// coordinates of 1-d mixtures 0.5 N(loc, sigma2) + 0.5 N(-loc, sigma2), so everything here is O(d)
// rather than O(2^d) and works at any dimension. Normalized: log Z = 0.
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { checkParticles, TargetError, type Target } from './target.js';
import { checkDim, checkPositive, checkSampleCount, uploadRows } from './common.js';

export interface GridMixtureOptions {
  /** Dimension (default 6); the mixture has 2^dim components. */
  dim?: number;
  /** Component means sit at +-loc in every coordinate (default 1). */
  loc?: number;
  /** Component variance, a variance not a standard deviation (default 0.5). */
  sigma2?: number;
}

export class GridMixtureTarget implements Target {
  readonly name = 'mgm';
  readonly dim: number;
  readonly logZ = 0;
  readonly loc: number;
  readonly sigma2: number;

  constructor(options: GridMixtureOptions = {}) {
    this.dim = options.dim ?? 6;
    this.loc = options.loc ?? 1;
    this.sigma2 = options.sigma2 ?? 0.5;
    checkDim(this.name, this.dim);
    if (!(Number.isFinite(this.loc) && this.loc >= 0)) {
      throw new TargetError(
        `target '${this.name}': loc must be a finite number >= 0, got ${this.loc}`,
      );
    }
    checkPositive(this.name, 'sigma2', this.sigma2);
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      // Per coordinate: log(0.5 N(x; l, s) + 0.5 N(x; -l, s))
      //   = -(x^2 + l^2)/(2s) + log cosh(x l / s) - 0.5 log(2 pi s),
      // with log cosh(a) = |a| + softplus(-2|a|) - log 2, stable for large |a|.
      const s = this.sigma2;
      const l = this.loc;
      const absA = tf.abs(tf.mul(l / s, z));
      const logCosh = tf.add(absA, tf.softplus(tf.mul(-2, absA)));
      const perCoord = tf.add(tf.mul(-0.5 / s, tf.square(z)), logCosh);
      const c = -(l * l) / (2 * s) - Math.LN2 - 0.5 * Math.log(2 * Math.PI * s);
      return tf.add(tf.sum(perCoord, -1), this.dim * c) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      // d/dx = -x/s + (l/s) tanh(x l / s)
      const s = this.sigma2;
      const l = this.loc;
      return tf.add(tf.mul(-1 / s, z), tf.mul(l / s, tf.tanh(tf.mul(l / s, z)))) as Tensor2D;
    });
  }

  sample(n: number, rng: Rng): Tensor2D {
    checkSampleCount(this.name, n);
    const size = n * this.dim;
    const coin = rng.uniformArray(size);
    const eps = rng.normalArray(size);
    const sd = Math.sqrt(this.sigma2);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      out[i] = ((coin[i] as number) < 0.5 ? this.loc : -this.loc) + sd * (eps[i] as number);
    }
    return uploadRows(out, n, this.dim);
  }
}

/** The path-gradient paper's grid mixture (defaults d = 6, loc = 1, sigma2 = 0.5). */
export function gridMixtureTarget(options: GridMixtureOptions = {}): GridMixtureTarget {
  return new GridMixtureTarget(options);
}
