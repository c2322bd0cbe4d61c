// Log-space numerics. Weights are never exponentiated without subtracting the maximum, and
// -Infinity log-weights (zero weights) are handled: an all -Infinity input gives -Infinity, not NaN.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Scalar } from '@tensorflow/tfjs-core';
import { stopGradient } from './ops.js';

/** log sum exp(x) along an axis (default: all elements), stable at extremes. */
export function logSumExp(x: Tensor, axis: number | null = null, keepDims = false): Tensor {
  return tf.tidy(() => {
    const ax = axis === null ? undefined : axis;
    const m = tf.max(x, ax, true);
    // An all -Inf slice has max -Inf; shift by 0 there so exp gives 0 and log gives -Inf.
    const shift = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
    const s = tf.log(tf.sum(tf.exp(tf.sub(x, shift)), ax, true));
    const out = tf.add(s, shift);
    return keepDims ? out : ax === undefined ? out.reshape([]) : tf.squeeze(out, [ax]);
  });
}

/**
 * Row-wise log-sum-exp for finite logits [N, K] -> [N], cheap to differentiate: the max shift is a
 * constant for autodiff (its gradient cancels exactly), so the graph stays small and needs no
 * gradient of max or isFinite. Use logSumExp where entries may be -Infinity.
 */
export function logSumExpRows(x: Tensor2D): Tensor1D {
  return tf.tidy(() => {
    const m = stopGradient(tf.max(x, -1, true));
    return tf.squeeze(tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, m)), -1, true)), m), [1]) as Tensor1D;
  });
}

/** log mean exp(x) along an axis (default: all elements). */
export function logMeanExp(x: Tensor, axis: number | null = null, keepDims = false): Tensor {
  return tf.tidy(() => {
    const n = axis === null ? x.size : (x.shape[axis < 0 ? x.rank + axis : axis] as number);
    return tf.sub(logSumExp(x, axis, keepDims), Math.log(n));
  });
}

/**
 * Reverse effective sample size as a count in [1, N]: (sum w)^2 / sum w^2, from log-weights
 * along the last axis.
 */
export function essCount(logW: Tensor): Tensor {
  return tf.tidy(() =>
    tf.exp(tf.sub(tf.mul(2, logSumExp(logW, -1)), logSumExp(tf.mul(2, logW), -1))),
  );
}

/** Reverse effective sample size as a fraction in [1/N, 1]: essCount / N. */
export function essFraction(logW: Tensor): Tensor {
  return tf.tidy(() => tf.div(essCount(logW), logW.shape[logW.rank - 1] as number));
}

/** Normalized log-weights along the last axis: logW - logSumExp(logW). */
export function normalizeLogWeights(logW: Tensor): Tensor {
  return tf.tidy(() => tf.sub(logW, logSumExp(logW, -1, true)));
}

// ---- host (float64) versions, for results read back once at the end of a run ----

export function logSumExpHost(x: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    // NaN compares false with everything: test it, so that it propagates instead of vanishing.
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  if (m === Infinity) return Infinity;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp((x[i] as number) - m);
  return m + Math.log(s);
}

export function logMeanExpHost(x: ArrayLike<number>): number {
  return logSumExpHost(x) - Math.log(x.length);
}

export function essCountHost(logW: ArrayLike<number>): number {
  const twice = Array.from(logW, (v) => 2 * v);
  return Math.exp(2 * logSumExpHost(logW) - logSumExpHost(twice));
}

export function essFractionHost(logW: ArrayLike<number>): number {
  return essCountHost(logW) / logW.length;
}

/** A scalar tensor's value, for tests and final reporting (one host round-trip). */
export function scalarValue(x: Scalar | Tensor): number {
  return (x.dataSync() as Float32Array)[0] as number;
}
