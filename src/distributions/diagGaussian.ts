import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * A diagonal Gaussian N(mean, diag(exp(logScale))^2), the usual initial distribution of an
 * annealed sampler. mean and logScale are [dim] tensors (variables when learned); the caller owns
 * them.
 */
export class DiagGaussian {
  readonly dim: number;
  constructor(
    readonly mean: Tensor1D,
    readonly logScale: Tensor1D,
  ) {
    if (mean.rank !== 1 || logScale.rank !== 1 || mean.shape[0] !== logScale.shape[0]) {
      throw new RangeError('DiagGaussian: mean and logScale must be 1-d tensors of equal length');
    }
    this.dim = mean.shape[0] as number;
  }

  /** Standard normal N(0, I) scaled by `scale` (isotropic) and shifted by `mean`. */
  static isotropic(dim: number, scale = 1, mean = 0): DiagGaussian {
    if (!Number.isInteger(dim) || dim < 1)
      throw new RangeError(`dimension must be a positive integer, got ${dim}`);
    if (!(Number.isFinite(scale) && scale > 0))
      throw new RangeError(`initial scale must be finite and > 0, got ${scale}`);
    if (!Number.isFinite(mean)) throw new RangeError(`initial mean must be finite, got ${mean}`);
    return new DiagGaussian(
      tf.fill([dim], mean) as Tensor1D,
      tf.fill([dim], Math.log(scale)) as Tensor1D,
    );
  }

  /** Normalized log density, [N, dim] -> [N]. */
  logProb(z: Tensor2D): Tensor1D {
    return tf.tidy(() => {
      const u = tf.div(tf.sub(z, this.mean), tf.exp(this.logScale));
      const quad = tf.sum(tf.square(u), -1);
      const norm = tf.add(tf.sum(this.logScale), 0.5 * this.dim * LOG_2PI);
      return tf.neg(tf.add(tf.mul(0.5, quad), norm)) as Tensor1D;
    });
  }

  /** grad_z log q(z) = -(z - mean) / scale^2. */
  score(z: Tensor2D): Tensor2D {
    return tf.tidy(
      () => tf.neg(tf.div(tf.sub(z, this.mean), tf.exp(tf.mul(2, this.logScale)))) as Tensor2D,
    );
  }

  /** Reparameterized samples mean + scale * eps, [n, dim]. */
  sample(n: number, rng: Rng): Tensor2D {
    return tf.tidy(() => {
      const eps = rng.normal([n, this.dim]);
      return tf.add(this.mean, tf.mul(tf.exp(this.logScale), eps)) as Tensor2D;
    });
  }

  dispose(): void {
    this.mean.dispose();
    this.logScale.dispose();
  }
}
