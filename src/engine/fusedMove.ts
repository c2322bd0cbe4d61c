// The differentiable UHA move on the native addon (native/src/moves.cc): one transition of
// uncorrected Hamiltonian annealing as a single TF.js kernel whose registered gradient is the
// native vector-Jacobian product, so training differentiates through chains with one kernel per
// step each way.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { loadNative, type NativeAddon } from './native.js';
import { prefix, type FusedPath, type FusedState, type WasmBackend } from './fused.js';

const MOVE = 'AnnealUhaMove';
const MOVE_GRAD = 'AnnealUhaMoveGrad';
const MOVE_INPUTS = [
  'mean',
  'logScale',
  'mass',
  'beta',
  'eps',
  'eta',
  'z',
  'v',
  'vr',
  'xi',
  'r',
  'logT',
  'sT',
  'logI',
  'sI',
] as const;
type MoveInput = (typeof MOVE_INPUTS)[number];

interface MoveAttrs {
  ints: Int32Array;
  params: Float32Array;
}

let moveRegisteredFor: NativeAddon | null = null;

function ensureMoveKernels(addon: NativeAddon): void {
  if (moveRegisteredFor === addon) return;
  const heapOf = (wasm: WasmBackend, t: TensorInfo) => wasm.typedArrayFromHeap(t);
  const forward: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as MoveAttrs;
    const wasm = backend as unknown as WasmBackend;
    const z = inputs.z as TensorInfo;
    const [n, d] = z.shape as [number, number];
    const outs = [[n, d], [n, d], [n], [n, d], [n], [n, d], [n]].map((s) =>
      wasm.makeOutput(s, 'float32'),
    );
    const ins = MOVE_INPUTS.map((k) => heapOf(wasm, inputs[k] as TensorInfo));
    addon.fused(6, a.ints, new Float64Array(0), [
      a.params,
      ...ins,
      ...outs.map((o) => heapOf(wasm, o)),
    ]);
    return outs;
  };
  const backward: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as MoveAttrs;
    const wasm = backend as unknown as WasmBackend;
    const shape = (k: MoveInput) => [...(inputs[k] as TensorInfo).shape];
    const outShapes = [
      shape('mean'),
      shape('logScale'),
      shape('mass'),
      shape('beta'),
      shape('eps'),
      shape('eta'),
      shape('z'),
      shape('v'),
      shape('vr'),
      shape('r'),
      shape('logT'),
      shape('sT'),
      shape('logI'),
      shape('sI'),
    ];
    const outs = outShapes.map((s) => wasm.makeOutput(s, 'float32'));
    const ins = [
      ...MOVE_INPUTS.map((k) => inputs[k] as TensorInfo),
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => inputs[`dy${i}`] as TensorInfo),
    ].map((t) => heapOf(wasm, t));
    addon.fused(7, a.ints, new Float64Array(0), [
      a.params,
      ...ins,
      ...outs.map((o) => heapOf(wasm, o)),
    ]);
    return outs;
  };
  for (const [name, kernelFunc] of [
    [MOVE, forward],
    [MOVE_GRAD, backward],
  ] as const) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  }
  if (tf.getGradient(MOVE)) tf.unregisterGradient(MOVE);
  tf.registerGradient({
    kernelName: MOVE,
    inputsToSave: [...MOVE_INPUTS],
    gradFunc: (dy, saved, attrs) => {
      const named: Record<string, Tensor> = {};
      MOVE_INPUTS.forEach((k, i) => (named[k] = saved[i] as Tensor));
      (dy as Tensor[]).forEach((t, i) => (named[`dy${i}`] = t));
      const g = tf
        .engine()
        .runKernel(
          MOVE_GRAD,
          named as unknown as tf.NamedTensorMap,
          attrs as unknown as tf.NamedAttrMap,
        ) as unknown as Tensor[];
      const at = (i: number) => () => g[i] as Tensor;
      return {
        mean: at(0),
        logScale: at(1),
        mass: at(2),
        beta: at(3),
        eps: at(4),
        eta: at(5),
        z: at(6),
        v: at(7),
        vr: at(8),
        xi: () => tf.zerosLike(named.xi as Tensor),
        r: at(9),
        logT: at(10),
        sT: at(11),
        logI: at(12),
        sI: at(13),
      };
    },
  });
  moveRegisteredFor = addon;
}

export interface FusedMoveInputs {
  /** Scalars [] (beta, leapfrog step size, damping) and the diagonal mass [d]. */
  beta: Tensor;
  eps: Tensor;
  eta: Tensor;
  mass: Tensor;
  v: Tensor;
  /** Standard normal refresh noise [N, d]. */
  xi: Tensor;
  /**
   * UHA-MCD: the refreshed momentum and the learned correction r(z, v') [N, d], both computed
   * outside; absent for plain UHA, where the move refreshes the momentum itself.
   */
  refreshed?: { vr: Tensor; r: Tensor };
  leapfrogSteps: number;
}

/**
 * One differentiable UHA transition (refresh, leapfrog steps, log-weight correction) as a single
 * kernel with an exact native gradient: [z', v', logT', sT', logI', sI', logCorrection]. Runs
 * under a gradient tape; gradients reach the state, the path's initial mean and log-scale, beta,
 * the step size, eta, the mass and, for MCD, the correction r.
 */
export function fusedUhaMove(
  path: FusedPath,
  state: FusedState,
  inputs: FusedMoveInputs,
): Tensor[] {
  const addon = loadNative();
  if (!addon) throw new Error('fusedUhaMove needs the native addon (see nativeStatus())');
  ensureMoveKernels(addon);
  const { ints } = prefix(path, state[0]);
  const empty = tf.zeros([0]);
  try {
    const [z, logT, sT, logI, sI] = state;
    const named: Record<MoveInput, Tensor> = {
      mean: path.mean,
      logScale: path.logScale,
      mass: inputs.mass,
      beta: inputs.beta,
      eps: inputs.eps,
      eta: inputs.eta,
      z,
      v: inputs.v,
      vr: inputs.refreshed?.vr ?? empty,
      xi: inputs.xi,
      r: inputs.refreshed?.r ?? empty,
      logT,
      sT,
      logI,
      sI,
    };
    const attrs: MoveAttrs = {
      ints: Int32Array.from([
        ...ints,
        inputs.leapfrogSteps,
        inputs.refreshed ? 0 : 1,
        inputs.refreshed ? 1 : 0,
      ]),
      params: path.target.params,
    };
    return tf
      .engine()
      .runKernel(
        MOVE,
        named as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as unknown as Tensor[];
  } finally {
    empty.dispose();
  }
}
