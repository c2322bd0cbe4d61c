// Gaussian target N(mean, Sigma), diagonal or full covariance. The density is deliberately left
// unnormalized, gamma(z) = exp(-0.5 (z - mean)^T Sigma^{-1} (z - mean)), so its log Z is nonzero
// and known in closed form: a good first check for log Z estimators.
import { tf, type Rng, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { checkParticles, TargetError, type Target } from './target.js';
import {
  LOG_2PI,
  checkDim,
  checkFinite,
  checkSampleCount,
  cholesky,
  invertLower,
  keptConstant,
  transposeSquare,
} from './common.js';

export interface GaussianTargetOptions {
  /** Mean vector; its length sets the dimension. */
  mean: ArrayLike<number>;
  /** Diagonal covariance: one variance for every coordinate, or one per coordinate. */
  variance?: number | ArrayLike<number>;
  /** Full covariance, d x d, as rows or row-major flat; symmetric positive definite. */
  covariance?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /** Target name (default 'gaussian'). */
  name?: string;
}

export class GaussianTarget implements Target {
  readonly name: string;
  readonly dim: number;
  readonly logZ: number;
  /** True when the covariance is diagonal (no matrix products needed). */
  readonly diagonal: boolean;
  /** Host copies in float64: mean [d] and covariance [d*d] row-major. */
  readonly mean: Float64Array;
  readonly covariance: Float64Array;
  private readonly meanT: Tensor;
  // Diagonal: invVar and std, [d]. Full: precision [d, d] (symmetric, so z @ P needs no transpose)
  // and cholT = L^T [d, d], precomputed so sampling is eps @ L^T without a transpose flag.
  private readonly precisionT: Tensor;
  private readonly scaleT: Tensor;

  constructor(options: GaussianTargetOptions) {
    const name = options.name ?? 'gaussian';
    this.name = name;
    const d = options.mean?.length ?? 0;
    checkDim(name, d);
    this.dim = d;
    this.mean = Float64Array.from(options.mean);
    checkFinite(name, 'mean', this.mean);
    if (options.variance !== undefined && options.covariance !== undefined) {
      throw new TargetError(`target '${name}': give either variance or covariance, not both`);
    }
    if (options.covariance !== undefined) {
      const cov = readSquare(name, options.covariance, d);
      const chol = cholesky(cov, d);
      if ('failedRow' in chol) {
        throw new TargetError(
          `target '${name}': covariance is not positive definite (Cholesky failed at row ${chol.failedRow})`,
        );
      }
      const { L } = chol;
      const Linv = invertLower(L, d);
      // P = L^{-T} L^{-1}; fill both triangles from one sum so P is exactly symmetric.
      const P = new Float64Array(d * d);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let k = i; k < d; k++)
            s += (Linv[k * d + i] as number) * (Linv[k * d + j] as number);
          P[i * d + j] = s;
          P[j * d + i] = s;
        }
      }
      let logDet = 0;
      for (let i = 0; i < d; i++) logDet += 2 * Math.log(L[i * d + i] as number);
      this.diagonal = false;
      this.covariance = cov;
      this.logZ = 0.5 * d * LOG_2PI + 0.5 * logDet;
      this.precisionT = keptConstant(P, [d, d]);
      this.scaleT = keptConstant(transposeSquare(L, d), [d, d]);
    } else {
      const v = options.variance ?? 1;
      const variances =
        typeof v === 'number'
          ? new Float64Array(d).fill(v)
          : Float64Array.from(v as ArrayLike<number>);
      if (variances.length !== d) {
        throw new TargetError(
          `target '${name}': variance has length ${variances.length}, mean has length ${d}`,
        );
      }
      for (let i = 0; i < d; i++) {
        const vi = variances[i] as number;
        if (!(Number.isFinite(vi) && vi > 0)) {
          throw new TargetError(
            `target '${name}': variances must be finite and > 0, got ${vi} at index ${i}`,
          );
        }
      }
      this.diagonal = true;
      this.covariance = new Float64Array(d * d);
      let logDet = 0;
      for (let i = 0; i < d; i++) {
        this.covariance[i * d + i] = variances[i] as number;
        logDet += Math.log(variances[i] as number);
      }
      this.logZ = 0.5 * d * LOG_2PI + 0.5 * logDet;
      this.precisionT = keptConstant(
        variances.map((x) => 1 / x),
        [d],
      );
      this.scaleT = keptConstant(variances.map(Math.sqrt), [d]);
    }
    this.meanT = keptConstant(this.mean, [d]);
  }

  /** Sigma^{-1} diff for rows diff = z - mean, [N, d]. */
  private precisionTimes(diff: Tensor): Tensor {
    return this.diagonal
      ? tf.mul(diff, this.precisionT)
      : tf.matMul(diff as Tensor2D, this.precisionT as Tensor2D);
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const diff = tf.sub(z, this.meanT);
      const quad = tf.sum(tf.mul(this.precisionTimes(diff), diff), -1);
      return tf.mul(-0.5, quad) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => tf.neg(this.precisionTimes(tf.sub(z, this.meanT))) as Tensor2D);
  }

  sample(n: number, rng: Rng): Tensor2D {
    checkSampleCount(this.name, n);
    return tf.tidy(() => {
      const eps = rng.normal([n, this.dim]) as Tensor2D;
      const noise = this.diagonal
        ? tf.mul(eps, this.scaleT)
        : tf.matMul(eps, this.scaleT as Tensor2D);
      return tf.add(this.meanT, noise) as Tensor2D;
    });
  }

  dispose(): void {
    this.meanT.dispose();
    this.precisionT.dispose();
    this.scaleT.dispose();
  }
}

/** Reads a d x d matrix given as rows or row-major flat; checks shape, finiteness, symmetry. */
function readSquare(
  name: string,
  m: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  d: number,
): Float64Array {
  const out = new Float64Array(d * d);
  if (m.length === d * d && (d === 1 || typeof m[0] === 'number')) {
    out.set(m as ArrayLike<number>);
  } else if (m.length === d && typeof m[0] === 'object') {
    for (let i = 0; i < d; i++) {
      const row = (m as ArrayLike<ArrayLike<number>>)[i] as ArrayLike<number>;
      if (row.length !== d) {
        throw new TargetError(
          `target '${name}': covariance row ${i} has length ${row.length}, expected ${d}`,
        );
      }
      for (let j = 0; j < d; j++) out[i * d + j] = row[j] as number;
    }
  } else {
    throw new TargetError(
      `target '${name}': covariance must be ${d}x${d} (rows or ${d * d} flat values)`,
    );
  }
  checkFinite(name, 'covariance', out);
  let scale = 0;
  for (let i = 0; i < d; i++) scale = Math.max(scale, Math.abs(out[i * d + i] as number));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = out[i * d + j] as number;
      const b = out[j * d + i] as number;
      if (Math.abs(a - b) > 1e-9 * Math.max(scale, 1e-300)) {
        throw new TargetError(
          `target '${name}': covariance is not symmetric at (${i}, ${j}): ${a} vs ${b}`,
        );
      }
      // Average away round-off so the host matrix is exactly symmetric.
      out[i * d + j] = out[j * d + i] = 0.5 * (a + b);
    }
  }
  return out;
}

/** A Gaussian target N(mean, Sigma) with diagonal (variance) or full (covariance) covariance. */
export function gaussianTarget(options: GaussianTargetOptions): GaussianTarget {
  return new GaussianTarget(options);
}
