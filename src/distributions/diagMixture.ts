import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { chiSquareArray, logGamma } from '../targets/special.js';
import type { Distribution } from './distribution.js';

const LOG_PI = Math.log(Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);

/** One component: location and per-coordinate scale [dim] (host numbers). */
export interface MixtureComponent {
  mean: ArrayLike<number>;
  scale: ArrayLike<number>;
}

export interface DiagMixtureOptions {
  components: readonly MixtureComponent[];
  /** Mixture weights (normalized here; default equal). */
  weights?: ArrayLike<number>;
  /**
   * Degrees of freedom of every component: multivariate Student-t components (z = mean + scale *
   * eps / sqrt(chi2_df / df)), or Infinity (default) for Gaussians.
   */
  df?: number;
}

/**
 * A finite mixture of diagonal Gaussian or diagonal-scale multivariate Student-t components, a
 * start distribution that can sit on several modes at once and, with Student-t components, have
 * tails as heavy as the target's. Holds its own tensors; dispose() frees them.
 */
export class DiagMixture implements Distribution {
  readonly dim: number;
  readonly df: number;
  readonly size: number;
  private readonly means: Tensor2D;
  private readonly invScales: Tensor2D;
  /** log w_k - sum_j log s_kj + the normalizing constant of the component family, [K]. */
  private readonly offsets: Tensor1D;
  private readonly cumulative: Float64Array;
  private readonly hostMeans: Float32Array;
  private readonly hostScales: Float32Array;

  constructor(options: DiagMixtureOptions) {
    const { components } = options;
    const K = components.length;
    if (K < 1) throw new RangeError('DiagMixture: at least one component is needed');
    const d = (components[0] as MixtureComponent).mean.length;
    if (!(d >= 1)) throw new RangeError('DiagMixture: components must have dimension >= 1');
    const df = options.df ?? Infinity;
    if (!(df > 0))
      throw new RangeError(`DiagMixture: df must be > 0 (Infinity for Gaussians), got ${df}`);
    const w = Float64Array.from(options.weights ?? new Array<number>(K).fill(1));
    if (w.length !== K || w.some((v) => !(Number.isFinite(v) && v >= 0)))
      throw new RangeError(`DiagMixture: ${K} finite non-negative weights are needed`);
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError('DiagMixture: the weights sum to zero');
    this.dim = d;
    this.df = df;
    this.size = K;
    this.hostMeans = new Float32Array(K * d);
    this.hostScales = new Float32Array(K * d);
    const offsets = new Float32Array(K);
    const family =
      df === Infinity
        ? -0.5 * d * LOG_2PI
        : logGamma((df + d) / 2) - logGamma(df / 2) - 0.5 * d * (Math.log(df) + LOG_PI);
    this.cumulative = new Float64Array(K);
    let running = 0;
    components.forEach((c, k) => {
      if (c.mean.length !== d || c.scale.length !== d)
        throw new RangeError(`DiagMixture: component ${k} does not have dimension ${d}`);
      let logDet = 0;
      for (let j = 0; j < d; j++) {
        const m = c.mean[j] as number;
        const s = c.scale[j] as number;
        if (!Number.isFinite(m) || !(Number.isFinite(s) && s > 0))
          throw new RangeError(`DiagMixture: component ${k} has a non-finite mean or scale <= 0`);
        this.hostMeans[k * d + j] = m;
        this.hostScales[k * d + j] = s;
        logDet += Math.log(s);
      }
      offsets[k] = Math.log((w[k] as number) / total) - logDet + family;
      running += (w[k] as number) / total;
      this.cumulative[k] = running;
    });
    this.means = tf.tensor2d(this.hostMeans, [K, d]);
    this.invScales = tf.tensor2d(
      Float32Array.from(this.hostScales, (s) => 1 / s),
      [K, d],
    );
    this.offsets = tf.tensor1d(offsets);
  }

  /** Per component: the standardized offsets u [N, K, d] and log w_k + log q_k(z) [N, K]. */
  private parts(z: Tensor2D): { u: tf.Tensor3D; joint: Tensor2D } {
    const u = tf.mul(tf.sub(tf.expandDims(z, 1), this.means), this.invScales) as tf.Tensor3D;
    const quad = tf.sum(tf.square(u), -1);
    const kernel =
      this.df === Infinity
        ? tf.mul(-0.5, quad)
        : tf.mul(-0.5 * (this.df + this.dim), tf.log1p(tf.div(quad, this.df)));
    return { u, joint: tf.add(kernel, this.offsets) as Tensor2D };
  }

  logProb(z: Tensor2D): Tensor1D {
    return tf.tidy(() => tf.logSumExp(this.parts(z).joint, 1) as Tensor1D);
  }

  score(z: Tensor2D): Tensor2D {
    return tf.tidy(() => this.logProbAndScore(z).score);
  }

  logProbAndScore(z: Tensor2D): { logProb: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      const { u, joint } = this.parts(z);
      const logProb = tf.logSumExp(joint, 1) as Tensor1D;
      const resp = tf.exp(tf.sub(joint, tf.expandDims(logProb, 1)));
      // grad log q_k = -c_k u_k / s_k, c_k = 1 (Gaussian) or (df + d) / (df + |u_k|^2).
      let weight: tf.Tensor = resp;
      if (this.df !== Infinity)
        weight = tf.div(
          tf.mul(resp, this.df + this.dim),
          tf.add(this.df, tf.sum(tf.square(u), -1)),
        );
      const score = tf.neg(
        tf.sum(tf.mul(tf.mul(tf.expandDims(weight, 2), u), this.invScales), 1),
      ) as Tensor2D;
      return { logProb, score };
    });
  }

  sample(n: number, rng: Rng): Tensor2D {
    const d = this.dim;
    const pick = rng.uniformArray(n);
    const eps = rng.normalArray(n * d);
    const chi = this.df === Infinity ? null : chiSquareArray(rng, this.df, n);
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let k = 0;
      while (k < this.size - 1 && (pick[i] as number) > (this.cumulative[k] as number)) k++;
      const stretch = chi ? Math.sqrt(this.df / (chi[i] as number)) : 1;
      for (let j = 0; j < d; j++)
        out[i * d + j] =
          (this.hostMeans[k * d + j] as number) +
          (this.hostScales[k * d + j] as number) * (eps[i * d + j] as number) * stretch;
    }
    return tf.tensor2d(out, [n, d]);
  }

  dispose(): void {
    this.means.dispose();
    this.invScales.dispose();
    this.offsets.dispose();
  }
}
