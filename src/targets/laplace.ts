// The Laplace approximation N(mode, H^-1) of any target, from its score alone: Newton's method on
// the host in float64, each iteration one batched evaluation of the score at the point and at
// 2d points a small step away along each axis (central differences of the exact score give the
// Hessian), damped where the Hessian is not negative definite and backtracked on the log density
// (one batched evaluation of the candidate steps). A start for samplers on posteriors far narrower
// or more correlated than N(0, I), through the whitened target (the target seen in coordinates
// where the approximation is N(0, I)), and a first estimate of log Z.
import { tf, type Tensor2D } from '../engine/index.js';
import { affineTarget, type AffineTarget } from './affine.js';
import { cholesky, invertLower, solveCholesky } from './common.js';
import type { LaplaceApproximation } from './logisticRegression.js';
import { targetLogProbAndScore } from './score.js';
import { TargetError, type Target } from './target.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface LaplaceOptions {
  /** Where Newton starts; default the origin. */
  start?: ArrayLike<number>;
  /** Newton iterations at most; default 100. */
  maxIterations?: number;
}

/** The keys laplaceApproximation takes (checked against LaplaceOptions by the compiler). */
const LAPLACE_OPTION_KEYS = keyList<LaplaceOptions>()(['start', 'maxIterations']);

/** Largest dimension whose d x d Hessian the host factors. */
const MAX_DIM = 2000;

/** Backtracking fractions of the Newton step, tried in one batched evaluation. */
const FRACTIONS = Array.from({ length: 12 }, (_, i) => 2 ** -i);

/**
 * The mode of `target` by damped Newton, and the negative Hessian of its log density there: the
 * Laplace approximation N(mode, H^-1), with its log Z estimate log gamma(mode) + d/2 log 2 pi -
 * 1/2 log det H. Raises a TargetError when no mode is found (the log density grows without bound,
 * or a non-finite value is met) or the Hessian at the point found is not positive definite.
 *
 * @example
 * ```ts
 * const laplace = laplaceApproximation(target);
 * const whitened = whitenedTarget(target, laplace); // near N(0, I); log Z unchanged
 * const r = estimateLogZ({ target: whitened, sampler: 'smc-hmc' });
 * whitened.dispose();
 * ```
 */
export function laplaceApproximation(
  target: Target,
  options: LaplaceOptions = {},
): LaplaceApproximation {
  checkOptionKeys('laplaceApproximation', options, LAPLACE_OPTION_KEYS, (m) => new TargetError(m));
  const d = target.dim;
  const where = `target '${target.name}': Laplace`;
  if (d > MAX_DIM)
    throw new TargetError(`${where}: dimension ${d} is above ${MAX_DIM} (a d x d Hessian)`);
  const maxIterations = options.maxIterations ?? 100;
  if (!Number.isInteger(maxIterations) || maxIterations < 1)
    throw new TargetError(
      `${where}: maxIterations must be a positive integer, got ${maxIterations}`,
    );
  if (options.start && options.start.length !== d)
    throw new TargetError(`${where}: start has length ${options.start.length}, expected ${d}`);
  const x = options.start ? Float64Array.from(options.start) : new Float64Array(d);
  if (!x.every(Number.isFinite)) throw new TargetError(`${where}: start is not finite`);
  // Difference steps per axis: small against the current guess of each coordinate's spread.
  const h = new Float64Array(d).fill(1e-3);
  let local = curvature(target, x, h, where);
  for (let iteration = 0; ; iteration++) {
    const { step, decrement, converged } = newtonStep(local, x);
    if (converged) break;
    if (iteration >= maxIterations)
      throw new TargetError(
        `${where}: no mode found in ${maxIterations} Newton iterations (the log density may grow without bound, or have no single peak)`,
      );
    const t = backtrack(target, x, step, local.logProb);
    if (t === null) {
      // The rise a Newton step promises (half the decrement) is below float32's resolution of
      // the log density: the point is the mode as far as the target's arithmetic can tell.
      if (decrement / 2 < 1e-5 * Math.max(1, Math.abs(local.logProb))) break;
      throw new TargetError(
        `${where}: Newton found no step that raises the log density (it may be flat, or not smooth, there)`,
      );
    }
    for (let j = 0; j < d; j++) x[j] = (x[j] as number) + t * (step[j] as number);
    for (let j = 0; j < d; j++) {
      const hjj = local.hessian[j * d + j] as number;
      h[j] =
        hjj > 0
          ? Math.min(1e-2 / Math.sqrt(hjj), 1e-2 * Math.max(1, Math.abs(x[j] as number)))
          : 1e-3;
    }
    local = curvature(target, x, h, where);
  }
  const chol = cholesky(local.hessian, d);
  if ('failedRow' in chol)
    throw new TargetError(
      `${where}: the Hessian at the point found is not positive definite (coordinate ${chol.failedRow}): no single peak there; fit a start instead (fitStart)`,
    );
  let logDet = 0;
  for (let j = 0; j < d; j++) logDet += 2 * Math.log(chol.L[j * d + j] as number);
  return {
    mode: x,
    hessian: local.hessian,
    logZ: local.logProb + 0.5 * d * LOG_2PI - 0.5 * logDet,
  };
}

/**
 * The target in coordinates u where the Laplace approximation is N(0, I): z = mode + u R^-1 with
 * H = R R^T (R lower Cholesky). Its log Z is the target's; the caller disposes it (not the target).
 */
export function whitenedTarget(target: Target, laplace: LaplaceApproximation): AffineTarget {
  const d = target.dim;
  const chol = cholesky(Float64Array.from(laplace.hessian), d);
  if ('failedRow' in chol)
    throw new TargetError(`target '${target.name}': Laplace Hessian not positive definite`);
  return affineTarget(target, {
    shift: laplace.mode,
    matrix: invertLower(chol.L, d),
    name: `${target.name}-whitened`,
  });
}

interface Local {
  logProb: number;
  gradient: Float64Array;
  /** Negative Hessian of the log density, symmetrized, row-major. */
  hessian: Float64Array;
}

/** log density, score and negative Hessian at x: one batched call on x and x +- h_j e_j. */
function curvature(target: Target, x: Float64Array, h: Float64Array, where: string): Local {
  const d = x.length;
  const rows = new Float32Array((2 * d + 1) * d);
  for (let r = 0; r < 2 * d + 1; r++) rows.set(x, r * d);
  for (let j = 0; j < d; j++) {
    rows[(1 + 2 * j) * d + j] = (x[j] as number) + (h[j] as number);
    rows[(2 + 2 * j) * d + j] = (x[j] as number) - (h[j] as number);
  }
  const { logProb, score } = tf.tidy(() => {
    const out = targetLogProbAndScore(target, tf.tensor2d(rows, [2 * d + 1, d]) as Tensor2D);
    return { logProb: out.logProb.dataSync(), score: out.score.dataSync() };
  });
  if (!Number.isFinite(logProb[0]) || !score.every(Number.isFinite))
    throw new TargetError(
      `${where}: the log density or its score is not finite near the point reached`,
    );
  const gradient = Float64Array.from(score.subarray(0, d));
  const hessian = new Float64Array(d * d);
  for (let j = 0; j < d; j++)
    for (let k = 0; k < d; k++)
      hessian[j * d + k] =
        -((score[(1 + 2 * j) * d + k] as number) - (score[(2 + 2 * j) * d + k] as number)) /
        (2 * (h[j] as number));
  for (let j = 0; j < d; j++)
    for (let k = 0; k < j; k++) {
      const mean = 0.5 * ((hessian[j * d + k] as number) + (hessian[k * d + j] as number));
      hessian[j * d + k] = mean;
      hessian[k * d + j] = mean;
    }
  return { logProb: logProb[0] as number, gradient, hessian };
}

/** float32's spacing relative to a value: points closer than this are one particle. */
const FLOAT32_RESOLUTION = 2 ** -23;

/**
 * The Newton step H^-1 g, with H damped (Levenberg-Marquardt) until positive definite; converged,
 * at an undamped H, when the step is below 1e-4 of a standard deviation (g^T H^-1 g tiny) or
 * below what float32 particles can resolve.
 */
function newtonStep(
  local: Local,
  x: Float64Array,
): { step: Float64Array; decrement: number; converged: boolean } {
  const d = x.length;
  const scale = Math.max(
    ...Array.from({ length: d }, (_, j) => Math.abs(local.hessian[j * d + j] as number)),
    1e-8,
  );
  for (let damping = 0; ; damping = damping === 0 ? 1e-6 * scale : damping * 10) {
    const a = Float64Array.from(local.hessian);
    for (let j = 0; j < d; j++) a[j * d + j] = (a[j * d + j] as number) + damping;
    const chol = cholesky(a, d);
    if ('failedRow' in chol) continue;
    const step = solveCholesky(chol.L, local.gradient, d);
    const decrement = step.reduce((s, v, j) => s + v * (local.gradient[j] as number), 0);
    const unresolved = step.every(
      (v, j) => Math.abs(v) <= 4 * FLOAT32_RESOLUTION * Math.max(Math.abs(x[j] as number), 1e-30),
    );
    return { step, decrement, converged: damping === 0 && (decrement < 1e-8 || unresolved) };
  }
}

/** The largest fraction of the step that does not lower the log density; null when none. */
function backtrack(
  target: Target,
  x: Float64Array,
  step: Float64Array,
  current: number,
): number | null {
  const d = x.length;
  const rows = new Float32Array(FRACTIONS.length * d);
  FRACTIONS.forEach((t, r) => {
    for (let j = 0; j < d; j++) rows[r * d + j] = (x[j] as number) + t * (step[j] as number);
  });
  const values = tf.tidy(() =>
    target.logProb(tf.tensor2d(rows, [FRACTIONS.length, d]) as Tensor2D).dataSync(),
  );
  const best = FRACTIONS.findIndex((_, r) => (values[r] as number) >= current);
  return best < 0 ? null : (FRACTIONS[best] as number);
}
