// A linear-Gaussian latent-variable model, z ~ N(0, I_d), x | z ~ N(W z + b, s^2 I_D), whose
// marginal x ~ N(b, W W^T + s^2 I) is exact: the reference for AIS likelihood evaluation and BDMC.
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { cholesky } from '../targets/common.js';
import type { LatentVariableModel } from '../eval/latentModel.js';

const LOG_2PI = Math.log(2 * Math.PI);

export class LinearGaussianModel implements LatentVariableModel {
  readonly dataDim: number;
  readonly latentDim: number;
  private readonly weightT: Tensor2D;
  private readonly bias: Tensor1D;

  /**
   * @param weight row-major D x d loading matrix
   * @param offset length D
   * @param noise s > 0
   */
  constructor(
    readonly weight: number[][],
    readonly offset: number[],
    readonly noise: number,
  ) {
    this.dataDim = weight.length;
    this.latentDim = weight[0]?.length ?? 0;
    if (this.dataDim < 1 || this.latentDim < 1 || weight.some((r) => r.length !== this.latentDim)) {
      throw new RangeError('the loading matrix must be a non-empty D x d array');
    }
    if (offset.length !== this.dataDim)
      throw new RangeError(`the offset must have ${this.dataDim} values`);
    if (!(noise > 0)) throw new RangeError(`the noise scale must be > 0, got ${noise}`);
    // [d, D]: z W^T as a plain matMul.
    this.weightT = tf.keep(tf.tensor2d(this.weight[0]!.map((_, j) => weight.map((r) => r[j]!))));
    this.bias = tf.keep(tf.tensor1d(offset));
  }

  private mean(z: Tensor2D): Tensor2D {
    return tf.add(tf.matMul(z, this.weightT), this.bias);
  }

  logJoint(x: Tensor2D, z: Tensor2D): Tensor1D {
    return tf.tidy(() => {
      const s2 = this.noise * this.noise;
      const lik = tf.mul(
        -0.5,
        tf.add(
          tf.div(tf.sum(tf.square(tf.sub(x, this.mean(z))), -1), s2),
          this.dataDim * (LOG_2PI + Math.log(s2)),
        ),
      );
      const prior = tf.mul(-0.5, tf.add(tf.sum(tf.square(z), -1), this.latentDim * LOG_2PI));
      return tf.add(lik, prior) as Tensor1D;
    });
  }

  simulate(n: number, rng: Rng): { z: Tensor2D; x: Tensor2D } {
    const z = rng.normal([n, this.latentDim]) as Tensor2D;
    const noise = rng.normal([n, this.dataDim]);
    const x = tf.tidy(() => tf.add(this.mean(z), tf.mul(noise, this.noise)) as Tensor2D);
    noise.dispose();
    return { z, x };
  }

  /** Exact log p(x) per row (host, float64): the Gaussian N(b, W W^T + s^2 I). */
  exactLogMarginal(rows: ArrayLike<number>, count: number): number[] {
    const D = this.dataDim;
    const cov = new Float64Array(D * D);
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let c = i === j ? this.noise * this.noise : 0;
        for (let k = 0; k < this.latentDim; k++) c += this.weight[i]![k]! * this.weight[j]![k]!;
        cov[i * D + j] = c;
      }
    }
    const chol = cholesky(cov, D);
    if (!('L' in chol)) throw new RangeError('covariance is not positive definite');
    const L = chol.L;
    let logDet = 0;
    for (let i = 0; i < D; i++) logDet += 2 * Math.log(L[i * D + i]!);
    return Array.from({ length: count }, (_, r) => {
      // Solve L y = x - b by forward substitution; the quadratic form is |y|^2.
      const y = new Float64Array(D);
      let quad = 0;
      for (let i = 0; i < D; i++) {
        let v = (rows[r * D + i] as number) - this.offset[i]!;
        for (let k = 0; k < i; k++) v -= L[i * D + k]! * y[k]!;
        y[i] = v / L[i * D + i]!;
        quad += y[i]! * y[i]!;
      }
      return -0.5 * (quad + logDet + D * LOG_2PI);
    });
  }

  dispose(): void {
    this.weightT.dispose();
    this.bias.dispose();
  }
}
