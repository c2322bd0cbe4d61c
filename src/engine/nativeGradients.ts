// Gradients that take fewer passes over memory on the wasm backend with the native kernels, for the
// ops of a user's log density that run on arrays of particles x data rows:
//  - Softplus: dy * sigmoid(x) as one fused kernel (TF.js: a sigmoid, then a product).
//  - Sigmoid: dy * y (1 - y) as one fused kernel on the recomputed y (gradientFixes.ts recomputes
//    it for second-order correctness; TF.js's formula then takes three more passes).
//  - Sum: dy repeated over the summed axes by one native pass (TF.js multiplies by an array of
//    ones that it first fills and copies into the heap), where the summed axes are leading or
//    trailing ones (broadcastPlan.ts).
// The arithmetic is TF.js's, in its order, so values are bit for bit the same. The fused kernels
// have gradients of their own, so second-order differentiation (training a learned sampler on a
// user's target) goes through them. Anywhere else (another backend, the native kernels off) the
// gradients registered before these (gradientFixes.ts, TF.js) run unchanged.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { broadcastPlan } from './broadcastPlan.js';
import { applyGradientFixes } from './gradientFixes.js';

/** The fused backward kernels, registered for the wasm backend by nativeKernels.ts. */
export const NATIVE_GRAD_KERNELS = {
  softplus: 'AnnealSoftplusGrad',
  sigmoid: 'AnnealSigmoidGrad',
  /** x repeated to attrs.shape (a broadcast that broadcastPlan covers). */
  broadcast: 'AnnealBroadcastTo',
} as const;

let fusedPossible: () => boolean = () => false;
let enabled = true;
const fusedNow = () => enabled && fusedPossible();

/**
 * Turns the fused gradients off (the earlier registered ones run instead) or back on: for tests
 * that compare the two, and benchmarks that measure the difference.
 */
export function setNativeGradients(on: boolean): void {
  enabled = on;
}
const previous = new Map<string, GradConfig>();
/** Registered once: a second registration would wrap the wrappers. */
let registered = false;

const run = (kernel: string, inputs: Record<string, Tensor>) =>
  tf.engine().runKernel(kernel, inputs) as Tensor;
/** dy * sigmoid(x). */
const softplusGrad = (dy: Tensor, x: Tensor) => run(NATIVE_GRAD_KERNELS.softplus, { dy, x });
/** dy * y (1 - y). */
const sigmoidGrad = (dy: Tensor, y: Tensor) => run(NATIVE_GRAD_KERNELS.sigmoid, { dy, y });

/** The gradient registered before this module's, for when the fused path does not apply. */
function before(kernelName: string, dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) {
  const config = previous.get(kernelName);
  if (!config) throw new Error(`no gradient registered for ${kernelName}`);
  return config.gradFunc(dy, saved, attrs);
}

const GRADS: GradConfig[] = [
  {
    kernelName: 'Softplus',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (!fusedNow()) return before('Softplus', dy, saved, attrs);
      const [x] = saved as [Tensor];
      return { x: () => softplusGrad(dy as Tensor, x) };
    },
  },
  {
    kernelName: 'Sigmoid',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (!fusedNow()) return before('Sigmoid', dy, saved, attrs);
      const [x] = saved as [Tensor];
      return { x: () => sigmoidGrad(dy as Tensor, tf.sigmoid(x)) };
    },
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      if (!fusedNow() || x.dtype !== 'float32') return before('Sum', dy, saved, attrs);
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const kept = x.shape.map((n, i) => (axes.includes(i) ? 1 : n));
      if (!broadcastPlan(kept, x.shape)) return before('Sum', dy, saved, attrs);
      return {
        x: () =>
          tf
            .engine()
            .runKernel(
              NATIVE_GRAD_KERNELS.broadcast,
              { x: tf.reshape(dy as Tensor, kept) },
              { shape: x.shape },
            ) as Tensor,
      };
    },
  },
  // The fused kernels' own gradients.
  {
    kernelName: NATIVE_GRAD_KERNELS.softplus,
    inputsToSave: ['dy', 'x'],
    gradFunc: (g, saved) => {
      const [dy, x] = saved as [Tensor, Tensor];
      return {
        dy: () => softplusGrad(g as Tensor, x),
        x: () => sigmoidGrad(tf.mul(g as Tensor, dy), tf.sigmoid(x)),
      };
    },
  },
  {
    kernelName: NATIVE_GRAD_KERNELS.broadcast,
    inputsToSave: ['x'],
    gradFunc: (g, saved) => {
      const [x] = saved as [Tensor];
      const outShape = (g as Tensor).shape;
      const axes = tf.broadcast_util.getReductionAxes(x.shape, outShape);
      return { x: () => tf.reshape(tf.sum(g as Tensor, axes, true), x.shape) };
    },
  },
  {
    kernelName: NATIVE_GRAD_KERNELS.sigmoid,
    inputsToSave: ['dy', 'y'],
    gradFunc: (g, saved) => {
      const [dy, y] = saved as [Tensor, Tensor];
      return {
        dy: () => sigmoidGrad(g as Tensor, y),
        // d/dy of dy y (1 - y), as TF.js's own chain rule sums it: t (1 - y) - t y.
        y: () => {
          const t = tf.mul(g as Tensor, dy);
          return tf.sub(tf.mul(t, tf.sub(1, y)), tf.mul(t, y));
        },
      };
    },
  },
];

/**
 * Registers the gradients above (once); `fused` says whether the fused kernels can run now (the
 * wasm backend with the native kernels installed).
 */
export function installNativeGradients(fused: () => boolean): void {
  fusedPossible = fused;
  if (registered) return;
  registered = true;
  applyGradientFixes();
  for (const config of GRADS) {
    const current = tf.getGradient(config.kernelName);
    if (current) {
      previous.set(config.kernelName, current);
      tf.unregisterGradient(config.kernelName);
    }
    tf.registerGradient(config);
  }
}
