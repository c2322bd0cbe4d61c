// A diagonal Gaussian with its own mean and log scale per row ([N, d] each): the amortized
// posterior q(z|x_i) of a VAE as the initial distribution of N chains, one per row.
import {
  tf,
  nativeOpsAvailable,
  fusedRowGaussian,
  type Rng,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import type { Distribution } from './distribution.js';

const LOG_2PI = Math.log(2 * Math.PI);

export class RowGaussian implements Distribution {
  readonly dim: number;

  /** mean and logScale [N, d] are owned by the caller and used as constants. */
  constructor(
    readonly mean: Tensor2D,
    readonly logScale: Tensor2D,
  ) {
    if (mean.shape[0] !== logScale.shape[0] || mean.shape[1] !== logScale.shape[1]) {
      throw new RangeError('RowGaussian: mean and logScale must have the same shape');
    }
    this.dim = mean.shape[1];
  }

  private checkRows(z: Tensor2D): void {
    if (z.shape[0] !== this.mean.shape[0]) {
      throw new RangeError(`RowGaussian has ${this.mean.shape[0]} rows, got ${z.shape[0]}`);
    }
  }

  logProb(z: Tensor2D): Tensor1D {
    this.checkRows(z);
    return tf.tidy(() => {
      const eps = tf.mul(tf.sub(z, this.mean), tf.exp(tf.neg(this.logScale)));
      const perDim = tf.add(tf.add(tf.mul(0.5, tf.square(eps)), this.logScale), 0.5 * LOG_2PI);
      return tf.neg(tf.sum(perDim, -1)) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    this.checkRows(z);
    return tf.tidy(() => tf.neg(tf.mul(tf.sub(z, this.mean), tf.exp(tf.mul(-2, this.logScale)))));
  }

  /** Both in one native kernel where the native kernels run (at most one tape deep). */
  logProbAndScore(z: Tensor2D): { logProb: Tensor1D; score: Tensor2D } {
    this.checkRows(z);
    if (nativeOpsAvailable()) return fusedRowGaussian(z, this.mean, this.logScale);
    return { logProb: this.logProb(z), score: this.score(z) };
  }

  /** One draw per row (n must equal the number of rows). */
  sample(n: number, rng: Rng): Tensor2D {
    if (n !== this.mean.shape[0]) {
      throw new RangeError(
        `RowGaussian draws one sample per row (${this.mean.shape[0]}), asked ${n}`,
      );
    }
    const eps = rng.normal([n, this.dim]);
    const z = tf.tidy(() => tf.add(this.mean, tf.mul(tf.exp(this.logScale), eps)) as Tensor2D);
    eps.dispose();
    return z;
  }
}
