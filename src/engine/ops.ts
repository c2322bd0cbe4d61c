import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { nativeKernelsInstalled } from './nativeKernels.js';

// TF.js has no stopGradient; a custom gradient that returns zeros works, also inside second-order
// differentiation.
const stopGradientOp = tf.customGrad(((x: Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Identity in the forward pass; blocks gradients flowing back through x. */
export function stopGradient<T extends Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

// Identity forward; the gradient w.r.t. x is multiplied by c (c itself gets none). c is saved
// so that it outlives the forward pass's scope until the backward pass.
const scaleGradientOp = tf.customGrad(((x: Tensor, c: Tensor, save: (ts: Tensor[]) => void) => {
  save([c]);
  return {
    value: x.clone(),
    gradFunc: (dy: Tensor, saved: Tensor[]) => [
      tf.mul(dy, saved[0] as Tensor),
      tf.zerosLike(saved[0] as Tensor),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * Identity in the forward pass; in the backward pass the gradient reaching x is scaled by c
 * (broadcast against x, e.g. one factor per row [N, 1]). Lets one forward pass give different
 * gradient weights to different paths (IWAE-DReG's squared weights on the reparameterization path).
 */
export function scaleGradient<T extends Tensor>(x: T, c: Tensor): T {
  return scaleGradientOp(x, stopGradient(c)) as T;
}

/**
 * fn(...inputs) computed off the gradient tape, with zero gradient to every input. Ops inside a
 * custom-gradient op's forward pass are not recorded, so long auxiliary loops (a bisection) keep
 * no intermediates alive for the backward pass — inside tf.grad, plain stopGradient'ed inputs do
 * not prevent that.
 */
export function withoutGradient<T extends Tensor>(inputs: Tensor[], fn: (...xs: Tensor[]) => T): T {
  const op = tf.customGrad(((...args: Tensor[]) => {
    const xs = args.slice(0, inputs.length);
    return {
      value: fn(...xs),
      gradFunc: () => xs.map((x) => tf.zerosLike(x)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(...inputs) as T;
}

/**
 * Each row of x repeated k times in a row (data-major: row b * k + j is row b of x), by a row
 * gather: the layout of per-data-point particles [B*K, ...] (tile and broadcastTo are slow on wasm).
 */
export function repeatRows<T extends Tensor>(x: T, k: number): T {
  const b = x.shape[0] as number;
  return tf.tidy(() => {
    const index = tf.tensor1d(
      Int32Array.from({ length: b * k }, (_, i) => Math.floor(i / k)),
      'int32',
    );
    return gatherRows(x, index);
  });
}

/** log sigmoid(x) = -softplus(-x); TF.js's logSigmoid gradient crashes in some graphs. */
export function logSigmoid<T extends Tensor>(x: T): T {
  return tf.neg(tf.softplus(tf.neg(x))) as T;
}

/** Sum of squares along the last axis: [N, d] -> [N]. */
export function sumSquares(x: Tensor): Tensor {
  return tf.sum(tf.square(x), -1);
}

/**
 * Rows of x at the given indices (x[indices], along axis 0). On wasm, GatherNd is about 12x faster
 * than GatherV2 (tf.gather) for row gathers; its gradient is a scatter-add (gradientFixes.ts).
 */
export function gatherRows<T extends Tensor>(x: T, indices: Tensor): T {
  // In a scope: the reshaped index tensor would otherwise outlive the call.
  return tf.tidy(() => tf.gatherND(x, tf.reshape(indices, [-1, 1]))) as T;
}

/**
 * a b^T. With the native kernels a transposed operand costs nothing; on TF.js's wasm kernels a
 * transposed matMul is several times slower than an explicit transpose followed by a plain one.
 */
export function matMulTransposeB(a: Tensor, b: Tensor): Tensor {
  return nativeKernelsInstalled() && tf.getBackend() === 'wasm'
    ? tf.matMul(a, b, false, true)
    : tf.matMul(a, tf.transpose(b));
}

/**
 * Most inputs of one AddN: WebGPU guarantees 8 storage buffers per shader stage (one is the
 * output), and TF.js's WebGPU AddN binds every input at once.
 */
const ADD_N_INPUTS = 7;

/** tf.addN over any number of same-shape tensors, in groups every backend can run. */
export function addMany<T extends Tensor>(xs: readonly T[]): T {
  if (xs.length === 0) throw new RangeError('addMany needs at least one tensor');
  return tf.tidy(() => {
    let level: Tensor[] = [...xs];
    while (level.length > 1) {
      const next: Tensor[] = [];
      for (let i = 0; i < level.length; i += ADD_N_INPUTS) {
        const group = level.slice(i, i + ADD_N_INPUTS);
        next.push(group.length === 1 ? (group[0] as Tensor) : tf.addN(group));
      }
      level = next;
    }
    // A lone input comes back as a new tensor, as tf.addN's would.
    return xs.length === 1 ? (level[0] as Tensor).clone() : (level[0] as Tensor);
  }) as T;
}
