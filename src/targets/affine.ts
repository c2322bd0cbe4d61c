// A target seen through an affine change of variables z = shift + u M (particles are rows, M is
// d x d and triangular). The density of u is gamma(shift + u M) |det M|, so log Z is unchanged.
// With M a Cholesky factor of an approximate posterior covariance (say a Laplace approximation's)
// the sampler sees a near-isotropic target: one step size suits every direction, which is how
// long reference runs on ill-conditioned posteriors stay cheap.
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { checkFinite, keptConstant, transposeSquare } from './common.js';
import { targetLogProbAndScore } from './score.js';
import { checkParticles, TargetError, type Target } from './target.js';

export interface AffineTargetOptions {
  /** Length d: where u = 0 lands. */
  shift: ArrayLike<number>;
  /** d x d row-major, lower or upper triangular with a non-zero diagonal. */
  matrix: ArrayLike<number>;
  /** Target name (default '<base>-affine'). */
  name?: string;
}

export class AffineTarget implements Target {
  readonly name: string;
  readonly dim: number;
  readonly logZ?: number;
  /** log |det M|, added to every log density. */
  readonly logAbsDet: number;
  private readonly shiftT: Tensor;
  private readonly matrixT: Tensor;
  // M^T, uploaded as its own constant so the score's product needs no transposed matMul.
  private readonly matrixTransposedT: Tensor;

  constructor(
    readonly base: Target,
    options: AffineTargetOptions,
  ) {
    const d = base.dim;
    this.name = options.name ?? `${base.name}-affine`;
    this.dim = d;
    if (options.shift.length !== d)
      throw new TargetError(
        `target '${this.name}': shift has length ${options.shift.length}, expected ${d}`,
      );
    if (options.matrix.length !== d * d)
      throw new TargetError(
        `target '${this.name}': matrix has ${options.matrix.length} entries, expected ${d}x${d}`,
      );
    checkFinite(this.name, 'shift', options.shift);
    checkFinite(this.name, 'matrix', options.matrix);
    const m = Float64Array.from(options.matrix);
    let lower = true;
    let upper = true;
    let logAbsDet = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (j > i && m[i * d + j] !== 0) lower = false;
        if (j < i && m[i * d + j] !== 0) upper = false;
      }
      const diagonal = Math.abs(m[i * d + i] as number);
      if (diagonal === 0)
        throw new TargetError(`target '${this.name}': matrix is singular (zero at diagonal ${i})`);
      logAbsDet += Math.log(diagonal);
    }
    if (!lower && !upper)
      throw new TargetError(`target '${this.name}': matrix must be lower or upper triangular`);
    this.logAbsDet = logAbsDet;
    if (base.logZ !== undefined) this.logZ = base.logZ;
    this.shiftT = keptConstant(options.shift, [d]);
    this.matrixT = keptConstant(m, [d, d]);
    this.matrixTransposedT = keptConstant(transposeSquare(m, d), [d, d]);
  }

  /** z = shift + u M. */
  toBase(u: Tensor2D): Tensor2D {
    checkParticles(this, u);
    return tf.tidy(() => tf.add(this.shiftT, tf.matMul(u, this.matrixT as Tensor2D)) as Tensor2D);
  }

  logProb(u: Tensor2D): Tensor1D {
    return tf.tidy(() => tf.add(this.base.logProb(this.toBase(u)), this.logAbsDet) as Tensor1D);
  }

  score(u: Tensor2D): Tensor2D {
    const { logProb, score } = this.logProbAndScore(u);
    logProb.dispose();
    return score;
  }

  /** The chain rule: grad_u = grad_z M^T. */
  logProbAndScore(u: Tensor2D): { logProb: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      const inner = targetLogProbAndScore(this.base, this.toBase(u));
      return {
        logProb: tf.add(inner.logProb, this.logAbsDet) as Tensor1D,
        score: tf.matMul(inner.score, this.matrixTransposedT as Tensor2D) as Tensor2D,
      };
    });
  }

  /** Frees this wrapper's constants (not the base target's). */
  dispose(): void {
    this.shiftT.dispose();
    this.matrixT.dispose();
    this.matrixTransposedT.dispose();
  }
}

/** The target in coordinates u where z = shift + u M; log Z is the base target's. */
export function affineTarget(base: Target, options: AffineTargetOptions): AffineTarget {
  return new AffineTarget(base, options);
}
