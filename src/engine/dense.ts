// A dense layer y = act(x W + b) as one kernel where the native kernels run (GEMM with the bias
// and activation applied to the output in cache), else TF.js's matMul, add and tanh. Its
// gradient is built from differentiable ops, so it works to any order: in a plain first-order
// backward pass it reuses the saved output (tanh' = 1 - y^2, one native kernel); when an outer
// tape records the backward pass (second order), it recomputes y from the inputs instead, since
// TF.js drops the gradient path through a kernel's saved outputs (docs/engine.md).
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { runFusedOp, fusedAvailable, type WasmBackend } from './fused.js';
import { loadNative, type NativeAddon } from './native.js';
import { NATIVE_OP } from './nativeIds.js';

export type DenseActivation = 'linear' | 'tanh';

const DENSE = 'AnnealDense';
const DENSE_OP = NATIVE_OP.Dense;
const TANH_BACKWARD_OP = NATIVE_OP.TanhBackward;
const ACTIVATION: Record<DenseActivation, number> = { linear: 0, tanh: 1 };

let registeredFor: NativeAddon | null = null;

function tapeRecording(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

function ensureDense(addon: NativeAddon): void {
  if (registeredFor === addon) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const w = inputs.w as TensorInfo;
    const [m, k] = x.shape as [number, number];
    const n = w.shape[1] as number;
    const wasm = backend as unknown as WasmBackend;
    const y = wasm.makeOutput([m, n], 'float32');
    const heap = (t: TensorInfo) => wasm.typedArrayFromHeap(t);
    addon.fused(
      DENSE_OP,
      Int32Array.of(m, k, n, ACTIVATION[(attrs as { activation: DenseActivation }).activation]),
      new Float64Array(0),
      [heap(x), heap(w), heap(inputs.b as TensorInfo), heap(y)],
    );
    return y;
  };
  if (tf.getKernel(DENSE, 'wasm')) tf.unregisterKernel(DENSE, 'wasm');
  tf.registerKernel({ kernelName: DENSE, backendName: 'wasm', kernelFunc });
  if (tf.getGradient(DENSE)) tf.unregisterGradient(DENSE);
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ['x', 'w', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, b, y] = saved as [Tensor, Tensor, Tensor, Tensor];
      const g = dy as Tensor;
      // Computed once, here: each input's closure runs in a scope of its own.
      let dPre: Tensor = g;
      if ((attrs as { activation?: string }).activation === 'tanh') {
        if (tapeRecording()) {
          // Second order: y as a differentiable function of the inputs.
          const yy = dense(x, w, b, 'tanh');
          dPre = tf.mul(g, tf.sub(1, tf.square(yy)));
        } else {
          dPre = runFusedOp(
            TANH_BACKWARD_OP,
            [g.size],
            [],
            [],
            [g, y],
            [[...g.shape]],
          )[0] as Tensor;
        }
      }
      return {
        x: () => tf.matMul(dPre, w, false, true),
        w: () => tf.matMul(x, dPre, true, false),
        b: () => tf.sum(dPre, 0),
      };
    },
  });
  registeredFor = addon;
}

/** act(x W + b) for x [N, in], W [in, out], b [out]. */
export function dense(x: Tensor, w: Tensor, b: Tensor, activation: DenseActivation): Tensor {
  const addon = fusedAvailable({ differentiable: true }) ? loadNative() : null;
  if (addon && x.rank === 2 && w.rank === 2 && b.rank === 1 && x.dtype === 'float32') {
    ensureDense(addon);
    return tf
      .engine()
      .runKernel(DENSE, { x, w, b }, { activation } as unknown as tf.NamedAttrMap) as Tensor;
  }
  return tf.tidy(() => {
    const pre = tf.add(tf.matMul(x, w), b);
    return activation === 'tanh' ? tf.tanh(pre) : pre;
  });
}
