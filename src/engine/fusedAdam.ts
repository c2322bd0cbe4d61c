// Adam's update of one parameter as one native kernel (native/src/fused_adam.cc), with the arithmetic
// of TF.js's AdamOptimizer, in place of about fifteen small kernels per variable.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TensorInfo, Variable } from '@tensorflow/tfjs-core';
import { runFusedOp } from './fused.js';
import { loadNative } from './native.js';
import { NATIVE_OP } from './nativeIds.js';

export interface AdamStepSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t, as float32 values (TF.js computes them in float32). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  /** Factor applied to the gradient first (global-norm clipping); 1 for none. */
  gradScale: number;
}

const ADAM_OP = NATIVE_OP.Adam;

interface WasmMemory {
  refCount(dataId: unknown): number;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/**
 * The update written into the variables' own memory, where nothing else shares it (the backend's
 * reference count is 1: no reshape, clone or saved copy of the variable is alive). Three fewer
 * arrays allocated, written and freed per parameter; false where it cannot apply.
 */
function updateInPlace(
  tensors: [Variable, Variable, Variable, Tensor],
  scalars: number[],
): boolean {
  const addon = loadNative();
  if (!addon || tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as WasmMemory;
  if (tensors.some((t) => t.dtype !== 'float32')) return false;
  if (tensors.slice(0, 3).some((t) => backend.refCount(t.dataId) !== 1)) return false;
  const views = tensors.map((t) => backend.typedArrayFromHeap(t));
  addon.fused(ADAM_OP, Int32Array.of(tensors[0].size), Float64Array.from(scalars), [
    ...views,
    ...views.slice(0, 3),
  ]);
  return true;
}

/** Updates value and its moment estimates m, v in place from one gradient. */
export function fusedAdamUpdate(
  value: Variable,
  m: Variable,
  v: Variable,
  gradient: Tensor,
  s: AdamStepSettings,
): void {
  const shape = [...value.shape];
  const scalars = [
    s.learningRate,
    s.beta1,
    s.beta2,
    s.epsilon,
    s.oneMinusAccBeta1,
    s.oneMinusAccBeta2,
    s.gradScale,
  ];
  if (updateInPlace([value, m, v, gradient], scalars)) return;
  const outs = runFusedOp(
    ADAM_OP,
    [value.size],
    scalars,
    [],
    [value, m, v, gradient],
    [shape, shape, shape],
  );
  const [nextValue, nextM, nextV] = outs as [Tensor, Tensor, Tensor];
  value.assign(nextValue);
  m.assign(nextM);
  v.assign(nextV);
  nextValue.dispose();
  nextM.dispose();
  nextV.dispose();
}
