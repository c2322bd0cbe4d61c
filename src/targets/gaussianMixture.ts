// A normalized Gaussian mixture sum_k w_k N(mu_k, s_k I) (log Z = 0), plus the DSMCS static
// target built from it. Component log densities come from one [N, d] x [d, K] product:
//   log N(z; mu_k, s_k I) = (z . mu_k - |z|^2 / 2) / s_k + (-|mu_k|^2 / (2 s_k) - d/2 log(2 pi s_k)),
// with mu^T [d, K] precomputed so no transposed matMul is needed.
import {
  Rng,
  logSumExpRows,
  tf,
  type NativeTargetSpec,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { NATIVE_TARGET } from './nativeIds.js';
import { checkParticles, TargetError, type Target } from './target.js';
import {
  LOG_2PI,
  checkDim,
  checkSampleCount,
  keptConstant,
  normalizedWeights,
  packComponentMeans,
  pickComponent,
  uploadRows,
} from './common.js';

export interface GaussianMixtureOptions {
  /** Component means, K rows of length d. */
  means: ArrayLike<ArrayLike<number>>;
  /** Component weights, positive, normalized internally (default equal). */
  weights?: ArrayLike<number>;
  /** Isotropic component variance: shared, or one per component (default 1). */
  variance?: number | ArrayLike<number>;
  /** Target name (default 'gaussian-mixture'). */
  name?: string;
}

export class GaussianMixtureTarget implements Target {
  readonly name: string;
  readonly dim: number;
  readonly logZ = 0;
  readonly numComponents: number;
  /** Host copies in float64: means [K*d] row-major, normalized weights [K], variances [K]. */
  readonly means: Float64Array;
  readonly weights: Float64Array;
  readonly variances: Float64Array;
  private readonly meansT: Tensor; // [K, d]
  private readonly meansTransposedT: Tensor; // [d, K]
  private readonly invVarT: Tensor; // [K]
  private readonly biasT: Tensor; // [K]: log w_k - |mu_k|^2/(2 s_k) - d/2 log(2 pi s_k)
  private readonly native: NativeTargetSpec;

  constructor(options: GaussianMixtureOptions) {
    const name = options.name ?? 'gaussian-mixture';
    this.name = name;
    const K = options.means?.length ?? 0;
    if (K < 1) throw new TargetError(`target '${name}': need at least one component mean`);
    const d = (options.means[0] as ArrayLike<number>).length;
    checkDim(name, d);
    this.dim = d;
    this.numComponents = K;

    this.means = packComponentMeans(name, options.means, d);
    this.weights = normalizedWeights(name, options.weights, K);

    const v = options.variance ?? 1;
    this.variances =
      typeof v === 'number'
        ? new Float64Array(K).fill(v)
        : Float64Array.from(v as ArrayLike<number>);
    if (this.variances.length !== K) {
      throw new TargetError(
        `target '${name}': ${this.variances.length} variances for ${K} components`,
      );
    }
    for (let k = 0; k < K; k++) {
      const sk = this.variances[k] as number;
      if (!(Number.isFinite(sk) && sk > 0)) {
        throw new TargetError(
          `target '${name}': variances must be finite and > 0, got ${sk} at index ${k}`,
        );
      }
    }

    const meansTransposed = new Float64Array(d * K);
    const bias = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const m = this.means[k * d + j] as number;
        meansTransposed[j * K + k] = m;
        sq += m * m;
      }
      const sk = this.variances[k] as number;
      bias[k] =
        Math.log(this.weights[k] as number) - sq / (2 * sk) - 0.5 * d * (LOG_2PI + Math.log(sk));
    }
    this.meansT = keptConstant(this.means, [K, d]);
    this.meansTransposedT = keptConstant(meansTransposed, [d, K]);
    this.invVarT = keptConstant(
      this.variances.map((x) => 1 / x),
      [K],
    );
    this.biasT = keptConstant(bias, [K]);
    const params = new Float32Array(1 + 2 * K + K * d);
    params[0] = K;
    params.set(
      this.variances.map((x) => 1 / x),
      1,
    );
    params.set(bias, 1 + K);
    params.set(this.means, 1 + 2 * K);
    this.native = { id: NATIVE_TARGET['iso-gmm'], params };
  }

  nativeSpec(): NativeTargetSpec {
    return this.native;
  }

  /** log w_k + log N(z; mu_k, s_k I), [N, K]. */
  private componentLogits(z: Tensor2D): Tensor2D {
    const halfSq = tf.mul(0.5, tf.sum(tf.square(z), -1, true)); // [N, 1]
    const cross = tf.matMul(z, this.meansTransposedT as Tensor2D); // [N, K]
    return tf.add(tf.mul(tf.sub(cross, halfSq), this.invVarT), this.biasT) as Tensor2D;
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => logSumExpRows(this.componentLogits(z)));
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      // sum_k r_k (mu_k - z) / s_k with responsibilities r = softmax(logits):
      // (r / s) @ mu - z * sum_k r_k / s_k.
      const logits = this.componentLogits(z);
      const resp = tf.exp(tf.sub(logits, tf.expandDims(logSumExpRows(logits), 1)));
      const rs = tf.mul(resp, this.invVarT) as Tensor2D;
      return tf.sub(
        tf.matMul(rs, this.meansT as Tensor2D),
        tf.mul(z, tf.sum(rs, -1, true)),
      ) as Tensor2D;
    });
  }

  sample(n: number, rng: Rng): Tensor2D {
    checkSampleCount(this.name, n);
    const d = this.dim;
    const u = rng.uniformArray(n);
    const eps = rng.normalArray(n * d);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const k = pickComponent(this.weights, u[i] as number);
      const sd = Math.sqrt(this.variances[k] as number);
      for (let j = 0; j < d; j++) {
        out[i * d + j] = (this.means[k * d + j] as number) + sd * (eps[i * d + j] as number);
      }
    }
    return uploadRows(out, n, d);
  }

  dispose(): void {
    this.meansT.dispose();
    this.meansTransposedT.dispose();
    this.invVarT.dispose();
    this.biasT.dispose();
  }
}

/** A normalized Gaussian mixture with isotropic components. */
export function gaussianMixtureTarget(options: GaussianMixtureOptions): GaussianMixtureTarget {
  return new GaussianMixtureTarget(options);
}

export interface DsmcsMixtureOptions {
  /** Dimension (default 50). */
  dim?: number;
  /** Number of equal-weight components (default 8). */
  components?: number;
  /** Seed of the stream that draws the means (default 0). */
  meansSeed?: number;
  /** Means are drawn from N(loc * 1, I) (default loc 3). */
  loc?: number;
  /** Shared component variance (default 1). */
  sigma2?: number;
}

/**
 * The DSMCS static target: an equal-weight mixture of 8 unit-covariance Gaussians in 50 dims whose
 * means are drawn from N(3 * 1, I). The means come from Rng.fromSeed(meansSeed), so they are
 * reproducible here but are not the same numbers as the original PyTorch code's.
 */
export function dsmcsMixtureTarget(options: DsmcsMixtureOptions = {}): GaussianMixtureTarget {
  const name = 'dsmcs-mixture';
  const d = options.dim ?? 50;
  const K = options.components ?? 8;
  const seed = options.meansSeed ?? 0;
  const loc = options.loc ?? 3;
  checkDim(name, d);
  if (!Number.isInteger(K) || K < 1) {
    throw new TargetError(`target '${name}': components must be an integer >= 1, got ${K}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new TargetError(`target '${name}': meansSeed must be an integer, got ${seed}`);
  }
  if (!Number.isFinite(loc))
    throw new TargetError(`target '${name}': loc must be finite, got ${loc}`);
  const eps = Rng.fromSeed(seed).normalArray(K * d);
  const means = Array.from({ length: K }, (_, k) =>
    eps.subarray(k * d, (k + 1) * d).map((e) => loc + e),
  );
  return new GaussianMixtureTarget({ means, variance: options.sigma2 ?? 1, name });
}
