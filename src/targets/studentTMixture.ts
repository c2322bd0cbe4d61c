// A normalized mixture of isotropic multivariate Student-t distributions (log Z = 0):
//   p(z) = sum_k w_k t_nu(z; mu_k, s I),
//   log t_nu(z; mu, s I) = lgamma((nu + d)/2) - lgamma(nu/2) - d/2 log(nu pi s)
//                          - (nu + d)/2 log(1 + |z - mu|^2 / (nu s)),
// the exact multivariate-t density with nu degrees of freedom and scale matrix s I (covariance
// nu/(nu - 2) s I for nu > 2). Squared distances are taken from explicit differences [N, K, d]
// rather than |z|^2 - 2 z.mu + |mu|^2, which loses digits in float32 when |z| is large.
import {
  Rng,
  logSumExpRows,
  tf,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { checkParticles, TargetError, type Target } from './target.js';
import {
  checkDim,
  checkPositive,
  checkSampleCount,
  keptConstant,
  normalizedWeights,
  packComponentMeans,
  pickComponent,
  uploadRows,
} from './common.js';
import { chiSquareArray, logGamma } from './special.js';

export interface StudentTMixtureOptions {
  /** Component locations, K rows of length d. */
  means: ArrayLike<ArrayLike<number>>;
  /** Degrees of freedom nu > 0, shared by all components. */
  df: number;
  /** Component weights, positive, normalized internally (default equal). */
  weights?: ArrayLike<number>;
  /** Shared isotropic squared scale s (the scale matrix is s I; default 1). */
  scale2?: number;
  /** Target name (default 'student-t-mixture'). */
  name?: string;
}

/** log of the multivariate-t normalizer: lgamma((nu+d)/2) - lgamma(nu/2) - d/2 log(nu pi s). */
export function studentTLogNormalizer(df: number, dim: number, scale2 = 1): number {
  return logGamma((df + dim) / 2) - logGamma(df / 2) - 0.5 * dim * Math.log(df * Math.PI * scale2);
}

export class StudentTMixtureTarget implements Target {
  readonly name: string;
  readonly dim: number;
  readonly logZ = 0;
  readonly numComponents: number;
  readonly df: number;
  readonly scale2: number;
  /** Host copies in float64: locations [K*d] row-major and normalized weights [K]. */
  readonly means: Float64Array;
  readonly weights: Float64Array;
  private readonly meansT: Tensor; // [K, d]
  private readonly means3T: Tensor; // [1, K, d]
  private readonly logWeightsT: Tensor; // [K]: log w_k + log normalizer

  constructor(options: StudentTMixtureOptions) {
    const name = options.name ?? 'student-t-mixture';
    this.name = name;
    const K = options.means?.length ?? 0;
    if (K < 1) throw new TargetError(`target '${name}': need at least one component location`);
    const d = (options.means[0] as ArrayLike<number>).length;
    checkDim(name, d);
    this.dim = d;
    this.numComponents = K;
    checkPositive(name, 'df', options.df);
    this.df = options.df;
    this.scale2 = options.scale2 ?? 1;
    checkPositive(name, 'scale2', this.scale2);

    this.means = packComponentMeans(name, options.means, d, 'location');
    this.weights = normalizedWeights(name, options.weights, K);

    const logNorm = studentTLogNormalizer(this.df, d, this.scale2);
    this.meansT = keptConstant(this.means, [K, d]);
    this.means3T = keptConstant(this.means, [1, K, d]);
    this.logWeightsT = keptConstant(
      this.weights.map((x) => Math.log(x) + logNorm),
      [K],
    );
  }

  /** Squared distances |z - mu_k|^2, [N, K]. */
  private squaredDistances(z: Tensor2D): Tensor2D {
    return tf.sum(tf.square(tf.sub(tf.expandDims(z, 1), this.means3T)), -1) as Tensor2D;
  }

  /** log w_k + log t(z; mu_k, s I), [N, K], from the squared distances. */
  private componentLogits(q: Tensor2D): Tensor2D {
    const a = -(this.df + this.dim) / 2;
    const u = tf.log1p(tf.div(q, this.df * this.scale2));
    return tf.add(tf.mul(u, a), this.logWeightsT) as Tensor2D;
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => logSumExpRows(this.componentLogits(this.squaredDistances(z))));
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      // grad log t_k = -(nu + d) / (nu s + q_k) (z - mu_k); with responsibilities r = softmax:
      // sum_k a_k (mu_k - z) = a @ mu - z sum_k a_k, a_k = r_k (nu + d) / (nu s + q_k).
      const q = this.squaredDistances(z);
      const logits = this.componentLogits(q);
      const resp = tf.exp(tf.sub(logits, tf.expandDims(logSumExpRows(logits), 1)));
      const a = tf.div(
        tf.mul(resp, this.df + this.dim),
        tf.add(q, this.df * this.scale2),
      ) as Tensor2D;
      return tf.sub(
        tf.matMul(a, this.meansT as Tensor2D),
        tf.mul(z, tf.sum(a, -1, true)),
      ) as Tensor2D;
    });
  }

  /** Exact draws: component k by its weight, then mu_k + sqrt(s) eps sqrt(nu / g), g ~ chi2(nu). */
  sample(n: number, rng: Rng): Tensor2D {
    checkSampleCount(this.name, n);
    const d = this.dim;
    const u = rng.uniformArray(n);
    const eps = rng.normalArray(n * d);
    const g = chiSquareArray(rng, this.df, n);
    const out = new Float64Array(n * d);
    const sd = Math.sqrt(this.scale2);
    for (let i = 0; i < n; i++) {
      const k = pickComponent(this.weights, u[i] as number);
      const f = sd * Math.sqrt(this.df / (g[i] as number));
      for (let j = 0; j < d; j++) {
        out[i * d + j] = (this.means[k * d + j] as number) + f * (eps[i * d + j] as number);
      }
    }
    return uploadRows(out, n, d);
  }

  dispose(): void {
    this.meansT.dispose();
    this.means3T.dispose();
    this.logWeightsT.dispose();
  }
}

/** A normalized mixture of isotropic multivariate Student-t distributions. */
export function studentTMixtureTarget(options: StudentTMixtureOptions): StudentTMixtureTarget {
  return new StudentTMixtureTarget(options);
}
