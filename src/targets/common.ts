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

/** Row-major transpose of a d x d matrix. */
export function transposeSquare(a: Float64Array, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j] as number;
  return t;
}
