// A native fused op with a native gradient, as a pair of TF.js kernels: the forward kernel runs
// native op `forward` on its named inputs; its registered gradient runs native op `backward` on
// the same inputs, then the op's saved outputs (below), then the visible outputs' adjoints, and
// returns one gradient per input (in input order, except those listed in `noGradient`, which get
// zeros). Inputs are float32 tensors in the wasm heap; scalars are passed as [] tensors.
//
// An op may end its outputs with `saved` work arrays (intermediates of the forward pass that its
// gradient would otherwise recompute): the tape keeps them for the gradient, and the caller never
// sees them.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { fusedAvailable, type WasmBackend } from './fused.js';
import { loadNative, type NativeAddon } from './native.js';

export interface NativeOpSpec {
  name: string;
  forward: number;
  /** The gradient's native op (unused when every input is in noGradient). */
  backward: number;
  inputs: readonly string[];
  /** Inputs without a gradient (noise): their adjoint is zeros and the native op skips them. */
  noGradient?: readonly string[];
  /** Trailing outputs kept only for the gradient, after `visible` outputs the caller gets. */
  saved?: { visible: number; count: number };
  /** Output shapes (visible, then saved) from the input shapes and the integer arguments. */
  outShapes: (shapes: Record<string, number[]>, ints: Int32Array) => number[][];
}

interface OpAttrs {
  ints: Int32Array;
  /** Host arrays passed to the native op before the inputs (e.g. a target's parameters). */
  host: Float32Array[];
}

/**
 * Whether native ops with native gradients can run here: the native kernels are on, and at most
 * one tape records (an op's gradient is a native kernel without a gradient of its own, so a
 * second-order tape over it would miss terms).
 */
export function nativeOpsAvailable(): boolean {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  return state.gradientDepth <= 1 && fusedAvailable({ differentiable: true });
}

const registered = new Map<string, NativeAddon>();

function ensure(spec: NativeOpSpec, addon: NativeAddon): void {
  if (registered.get(spec.name) === addon) return;
  const gradName = `${spec.name}Grad`;
  const withGrad = spec.inputs.filter((k) => !spec.noGradient?.includes(k));
  const heapOf = (wasm: WasmBackend, t: TensorInfo) => wasm.typedArrayFromHeap(t);
  const shapesOf = (inputs: Record<string, unknown>) =>
    Object.fromEntries(spec.inputs.map((k) => [k, [...(inputs[k] as TensorInfo).shape]]));
  const forward: KernelFunc = ({ inputs, backend, attrs }) => {
    const { ints, host } = attrs as unknown as OpAttrs;
    const wasm = backend as unknown as WasmBackend;
    // Every output allocated before any heap view is taken: an allocation can move the heap.
    const outs = spec.outShapes(shapesOf(inputs), ints).map((s) => wasm.makeOutput(s, 'float32'));
    const views = [
      ...host,
      ...spec.inputs.map((k) => heapOf(wasm, inputs[k] as TensorInfo)),
      ...outs.map((o) => heapOf(wasm, o)),
    ];
    addon.fused(spec.forward, ints, new Float64Array(0), views);
    return outs.length === 1 ? (outs[0] as TensorInfo) : outs;
  };
  const backward: KernelFunc = ({ inputs, backend, attrs }) => {
    const { ints, host } = attrs as unknown as OpAttrs;
    const wasm = backend as unknown as WasmBackend;
    const outs = withGrad.map((k) =>
      wasm.makeOutput([...(inputs[k] as TensorInfo).shape], 'float32'),
    );
    const numbered = (prefix: string) =>
      Object.keys(inputs)
        .filter((k) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)))
        .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
    const views = [
      ...host,
      ...spec.inputs.map((k) => heapOf(wasm, inputs[k] as TensorInfo)),
      ...numbered('saved').map((k) => heapOf(wasm, inputs[k] as TensorInfo)),
      ...numbered('dy').map((k) => heapOf(wasm, inputs[k] as TensorInfo)),
      ...outs.map((o) => heapOf(wasm, o)),
    ];
    addon.fused(spec.backward, ints, new Float64Array(0), views);
    return outs;
  };
  for (const [name, kernelFunc] of [
    [spec.name, forward],
    [gradName, backward],
  ] as const) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  }
  if (tf.getGradient(spec.name)) tf.unregisterGradient(spec.name);
  const numSaved = spec.saved?.count ?? 0;
  tf.registerGradient({
    kernelName: spec.name,
    inputsToSave: [...spec.inputs],
    outputsToSave: spec.saved
      ? Array.from({ length: spec.saved.visible + numSaved }, (_, i) => i >= spec.saved!.visible)
      : undefined,
    gradFunc: (dy, saved, attrs) => {
      const named: Record<string, Tensor> = {};
      spec.inputs.forEach((k, i) => (named[k] = saved[i] as Tensor));
      saved.slice(spec.inputs.length).forEach((t, i) => (named[`saved${i}`] = t as Tensor));
      const dys = Array.isArray(dy) ? dy : [dy];
      dys.slice(0, dys.length - numSaved).forEach((t, i) => (named[`dy${i}`] = t));
      // An op whose inputs all go without a gradient (indices, decisions) runs no backward kernel.
      const out = withGrad.length
        ? tf
            .engine()
            .runKernel(gradName, named as unknown as tf.NamedTensorMap, attrs as NamedAttrMap)
        : [];
      const grads = Array.isArray(out) ? (out as Tensor[]) : [out as Tensor];
      return Object.fromEntries(
        spec.inputs.map((k) => {
          const i = withGrad.indexOf(k);
          return [k, i >= 0 ? () => grads[i] as Tensor : () => tf.zerosLike(named[k] as Tensor)];
        }),
      );
    },
  });
  registered.set(spec.name, addon);
}

/** Runs the op (registering its kernels on first use); the addon must be loaded. */
export function runNativeOp(
  spec: NativeOpSpec,
  inputs: Record<string, Tensor>,
  ints: number[],
  host: Float32Array[] = [],
): Tensor | Tensor[] {
  const addon = loadNative();
  if (!addon) throw new Error(`${spec.name} needs the native addon (see nativeStatus())`);
  ensure(spec, addon);
  for (const k of spec.inputs) {
    const t = inputs[k];
    if (!t || t.dtype !== 'float32')
      throw new TypeError(`${spec.name}: input ${k} must be a float32 tensor`);
  }
  // Anything else would be recorded on the tape as an input without a gradient.
  const extra = Object.keys(inputs).filter((k) => !spec.inputs.includes(k));
  if (extra.length) throw new TypeError(`${spec.name}: unexpected inputs ${extra.join(', ')}`);
  const attrs: OpAttrs = { ints: Int32Array.from(ints), host };
  const out = tf
    .engine()
    .runKernel(
      spec.name,
      inputs as unknown as tf.NamedTensorMap,
      attrs as unknown as NamedAttrMap,
    ) as Tensor | Tensor[];
  const numSaved = spec.saved?.count ?? 0;
  if (!numSaved || !Array.isArray(out)) return out;
  // The tape holds its own references to the saved outputs.
  tf.dispose(out.slice(out.length - numSaved));
  const visible = out.slice(0, out.length - numSaved);
  return visible.length === 1 ? (visible[0] as Tensor) : visible;
}
