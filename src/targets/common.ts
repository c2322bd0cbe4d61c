// Shared helpers for targets: option validation with one-line TargetErrors, kept constant tensors,
// and small float64 host linear algebra.
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import { TargetError } from './target.js';

export const LOG_2PI = Math.log(2 * Math.PI);

/**
 * A float32 constant owned by a target until its dispose(). tf.keep lets a target be built inside
 * a caller's tf.tidy without its constants being freed at the end of that scope.
 */
export function keptConstant(values: ArrayLike<number>, shape: number[]): Tensor {
  return tf.keep(tf.tensor(Float32Array.from(values), shape, 'float32'));
}

/** Uploads host samples (row-major [n, dim]) as a float32 tensor. */
export function uploadRows(values: ArrayLike<number>, n: number, dim: number): Tensor2D {
  return tf.tensor2d(Float32Array.from(values), [n, dim], 'float32');
}

export function checkDim(target: string, dim: number, min = 1): void {
  if (!Number.isInteger(dim) || dim < min) {
    throw new TargetError(`target '${target}': dim must be an integer >= ${min}, got ${dim}`);
  }
}

export function checkPositive(target: string, label: string, x: number): void {
  if (!(Number.isFinite(x) && x > 0)) {
    throw new TargetError(`target '${target}': ${label} must be a finite number > 0, got ${x}`);
  }
}

export function checkFinite(target: string, label: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) {
      throw new TargetError(
        `target '${target}': ${label} must be finite, got ${xs[i]} at index ${i}`,
      );
    }
  }
}

export function checkSampleCount(target: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new TargetError(`target '${target}': sample count must be a positive integer, got ${n}`);
  }
}

/**
 * Lower Cholesky factor of a symmetric d x d matrix (row-major), or the failing row when the
 * matrix is not positive definite.
 */
export function cholesky(a: Float64Array, d: number): { L: Float64Array } | { failedRow: number } {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (L[i * d + k] as number) * (L[j * d + k] as number);
      if (i === j) {
        if (!(s > 0)) return { failedRow: i };
        L[i * d + i] = Math.sqrt(s);
      } else {
        L[i * d + j] = s / (L[j * d + j] as number);
      }
    }
  }
  return { L };
}

/** Inverse of a lower-triangular matrix (row-major), by forward substitution per column. */
export function invertLower(L: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= (L[i * d + k] as number) * (inv[k * d + c] as number);
      inv[i * d + c] = s / (L[i * d + i] as number);
    }
  }
  return inv;
}

/** Solves (L L^T) x = b for a lower Cholesky factor L (row-major): forward, then back substitution. */
export function solveCholesky(L: Float64Array, b: ArrayLike<number>, d: number): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (L[i * d + k] as number) * (y[k] as number);
    y[i] = s / (L[i * d + i] as number);
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < d; k++) s -= (L[k * d + i] as number) * (x[k] as number);
    x[i] = s / (L[i * d + i] as number);
  }
  return x;
}

/** Row-major transpose of a d x d matrix. */
export function transposeSquare(a: Float64Array, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j] as number;
  return t;
}

/** Packs K component means (rows of length d) row-major, checking lengths and finiteness. */
export function packComponentMeans(
  target: string,
  means: ArrayLike<ArrayLike<number>>,
  d: number,
  label = 'mean',
): Float64Array {
  const K = means.length;
  const out = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    const row = means[k] as ArrayLike<number>;
    if (row.length !== d) {
      throw new TargetError(
        `target '${target}': ${label} ${k} has length ${row.length}, expected ${d}`,
      );
    }
    out.set(row, k * d);
  }
  checkFinite(target, 'means', out);
  return out;
}

/** Mixture weights normalized to sum 1 (equal when absent); each must be finite and > 0. */
export function normalizedWeights(
  target: string,
  weights: ArrayLike<number> | undefined,
  K: number,
): Float64Array {
  const w = weights ? Float64Array.from(weights) : new Float64Array(K).fill(1);
  if (w.length !== K) {
    throw new TargetError(`target '${target}': ${w.length} weights for ${K} components`);
  }
  let total = 0;
  for (let k = 0; k < K; k++) {
    const wk = w[k] as number;
    if (!(Number.isFinite(wk) && wk > 0)) {
      throw new TargetError(
        `target '${target}': weights must be finite and > 0, got ${wk} at index ${k}`,
      );
    }
    total += wk;
  }
  return w.map((x) => x / total);
}

/** Component index for a uniform u by inverse CDF over normalized weights; the last catches round-off. */
export function pickComponent(weights: ArrayLike<number>, u: number): number {
  let k = 0;
  let c = weights[0] as number;
  while (k < weights.length - 1 && u > c) c += weights[++k] as number;
  return k;
}
