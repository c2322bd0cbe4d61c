// Fused annealing operations on the native addon: a whole ULA, HMC or UHA transition of the
// geometric path (initial N(mean, diag(exp(logScale))^2), closed-form target), the path's
// evaluation at new particles, the per-step weight statistics, and whole stretches of AIS chains,
// each as one TF.js kernel in place of 40-400 small ones. They compute what the op-by-op code in
// src/annealing computes, in float32, and carry no gradients: callers use them only where no
// gradient tape is recording (fusedAvailable()), and fall back to the op-by-op path elsewhere.
// The differentiable UHA move, which has a gradient, is in fusedMove.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { loadNative, type NativeAddon, type WasmBackend } from './native.js';
import { nativeKernelsInstalled } from './nativeKernels.js';
import { NATIVE_OP } from './nativeIds.js';

/** A target the native code evaluates itself (closed-form log density, score and Hessian). */
export interface NativeTargetSpec {
  /** The native target id (native/src/op_ids.h, TargetKind; src/targets/nativeIds.ts). */
  id: number;
  /** The target's parameters (native/src/targets.h documents each layout). */
  params: Float32Array;
}

const KERNEL = 'AnnealFused';

interface FusedAttrs {
  op: number;
  ints: Int32Array;
  scalars: Float64Array;
  /** Host arrays passed before the inputs (target parameters). */
  host: Float32Array[];
  outShapes: number[][];
}

export type { WasmBackend };

let registeredFor: NativeAddon | null = null;

function ensureKernel(addon: NativeAddon): void {
  if (registeredFor === addon) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as FusedAttrs;
    const wasm = backend as unknown as WasmBackend;
    // Allocate every output before taking heap views: an allocation can move the heap.
    const outs = a.outShapes.map((shape) => wasm.makeOutput(shape, 'float32'));
    const ins = Object.keys(inputs)
      .sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))
      .map((k) => wasm.typedArrayFromHeap(inputs[k] as TensorInfo));
    addon.fused(a.op, a.ints, a.scalars, [
      ...a.host,
      ...ins,
      ...outs.map((o) => wasm.typedArrayFromHeap(o)),
    ]);
    return outs;
  };
  if (tf.getKernel(KERNEL, 'wasm')) tf.unregisterKernel(KERNEL, 'wasm');
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc });
  registeredFor = addon;
}

/**
 * Whether fused operations can run now: the addon is loaded, the native kernels are on, the
 * backend is wasm and no gradient tape is recording (the fused kernels have no gradients).
 */
export function fusedAvailable(options: { differentiable?: boolean } = {}): boolean {
  return fusedUnavailableReason(options) === null;
}

/** Why fused operations cannot run now, in words for a report line; null when they can. */
export function fusedUnavailableReason(options: { differentiable?: boolean } = {}): string | null {
  if (tf.getBackend() !== 'wasm') return `the backend is ${tf.getBackend()}, not wasm`;
  if (!nativeKernelsInstalled()) return 'the native kernels are off';
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  if (state.gradientDepth > 0 && !options.differentiable) return 'a gradient tape is recording';
  const addon = loadNative();
  if (!addon) return 'the native addon is not built';
  ensureKernel(addon);
  return null;
}

/**
 * Runs fused native op `op` (native/src/fused.h) as one TF.js kernel: `host` arrays and the inputs'
 * heap views go to the addon in that order, followed by outputs of the given shapes.
 */
export function runFusedOp(
  op: number,
  ints: number[],
  scalars: number[],
  host: Float32Array[],
  inputs: Tensor[],
  outShapes: number[][],
): Tensor[] {
  const named: Record<string, Tensor> = {};
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float32')
      throw new TypeError(`fused op: input ${i} is ${t.dtype}, not float32`);
    named[`x${i}`] = t;
  });
  const attrs = {
    op,
    ints: Int32Array.from(ints),
    scalars: Float64Array.from(scalars),
    host,
    outShapes,
  };
  return tf
    .engine()
    .runKernel(
      KERNEL,
      named as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    ) as unknown as Tensor[];
}

/** The path's two ends evaluated at particles z: [logTarget, scoreTarget, logInitial, scoreInitial]. */
export interface FusedPath {
  target: NativeTargetSpec;
  /** Initial mean and log-scale, [dim] each. */
  mean: Tensor;
  logScale: Tensor;
}

/** The common integer arguments of path ops: [target id, N, d]. */
export function prefix(path: FusedPath, z: Tensor): { ints: number[]; n: number; d: number } {
  const [n, d] = z.shape as [number, number];
  return { ints: [path.target.id, n, d], n, d };
}

/**
 * A fused op of the path (op id from NATIVE_OP) at particles [N, d]: the native side receives the
 * integers [target id, N, d, ...ints], the scalars, the target's parameters, the initial mean and
 * log-scale, then `inputs` and outputs of `outShapes`. A kernel's native fast path calls its op
 * through this, so adding one needs no wrapper here.
 */
export function fusedPathOp(
  path: FusedPath,
  op: number,
  ints: number[],
  scalars: number[],
  inputs: Tensor[],
  outShapes: (n: number, d: number) => number[][],
): Tensor[] {
  const p = prefix(path, inputs[0] as Tensor);
  return runFusedOp(
    op,
    [...p.ints, ...ints],
    scalars,
    [path.target.params],
    [path.mean, path.logScale, ...inputs],
    outShapes(p.n, p.d),
  );
}

/** Output shapes of an op that returns a particle state: [z, logT, sT, logI, sI]. */
export const stateShapes = (n: number, d: number): number[][] => [[n, d], [n], [n, d], [n], [n, d]];

/** [logTarget [N], scoreTarget [N, d], logInitial [N], scoreInitial [N, d]] at z [N, d]. */
export function fusedEvaluate(path: FusedPath, z: Tensor): Tensor[] {
  const { ints, n, d } = prefix(path, z);
  return runFusedOp(
    NATIVE_OP.Evaluate,
    ints,
    [],
    [path.target.params],
    [path.mean, path.logScale, z],
    [[n], [n, d], [n], [n, d]],
  );
}

/** Cached values of a particle state, in the order the fused ops take them. */
export type FusedState = [
  z: Tensor,
  logTarget: Tensor,
  scoreTarget: Tensor,
  logInitial: Tensor,
  scoreInitial: Tensor,
];

/** One ULA transition: [z', logT', sT', logI', sI', logCorrection]. */
export function fusedUlaStep(
  path: FusedPath,
  state: FusedState,
  eps: Tensor,
  beta: number,
  stepSize: number,
): Tensor[] {
  const { ints, n, d } = prefix(path, state[0]);
  return runFusedOp(
    NATIVE_OP.UlaStep,
    ints,
    [beta, stepSize],
    [path.target.params],
    [path.mean, path.logScale, ...state, eps],
    [...stateShapes(n, d), [n]],
  );
}

/**
 * One HMC transition (L leapfrog steps, accept/reject): [z', logT', sT', logI', sI', tally], the
 * tally [2] holding the mean acceptance probability and the count of diverged (NaN) proposals.
 * `scale` [d] multiplies the step size per coordinate (an empty tensor for identity mass).
 */
export function fusedHmcStep(
  path: FusedPath,
  state: FusedState,
  momentum: Tensor,
  uniforms: Tensor,
  beta: number,
  stepSize: number,
  leapfrogSteps: number,
  scale: Tensor,
): Tensor[] {
  const { ints, n, d } = prefix(path, state[0]);
  return runFusedOp(
    NATIVE_OP.HmcStep,
    [...ints, leapfrogSteps],
    [beta, stepSize],
    [path.target.params],
    [path.mean, path.logScale, ...state, momentum, uniforms, scale],
    [...stateShapes(n, d), [2]],
  );
}

/** One UHA transition: [z', v', logT', sT', logI', sI', logCorrection]. */
export function fusedUhaStep(
  path: FusedPath,
  state: FusedState,
  v: Tensor,
  xi: Tensor,
  mass: Tensor,
  beta: number,
  stepSize: number,
  eta: number,
  leapfrogSteps: number,
): Tensor[] {
  const { ints, n, d } = prefix(path, state[0]);
  const [z, ...caches] = state;
  return runFusedOp(
    NATIVE_OP.UhaStep,
    [...ints, leapfrogSteps],
    [beta, stepSize, eta],
    [path.target.params],
    [path.mean, path.logScale, mass, z, v, ...caches, xi],
    [[n, d], [n, d], [n], [n, d], [n], [n, d], [n]],
  );
}

/**
 * What a chain records per step, in order (-1 where a reading does not apply): reverse ESS
 * fraction, running log Z, mean acceptance, count of NaN and +Inf log-weights, fraction of
 * systems resampled, diverged proposals. native/src/fused.cc writes the same row (kReadings).
 */
export const STEP_READING_NAMES = [
  'essFraction',
  'logZ',
  'acceptance',
  'nonFinite',
  'resampled',
  'diverged',
] as const;
/** Numbers a chain records per step (STEP_READING_NAMES). */
export const STEP_READINGS = STEP_READING_NAMES.length;

/**
 * One step's readings (STEP_READINGS) of log-weights [N], the ESS a mean over systems of
 * groupSize; `mh` is a Metropolis kernel's mean acceptance and count of diverged proposals.
 */
export function fusedWeightStats(
  logW: Tensor,
  groupSize: number,
  mh: { acceptance: Tensor; diverged: Tensor } | null,
): Tensor {
  const n = logW.shape[0] as number;
  const inputs = mh
    ? [logW, tf.tidy(() => tf.concat([mh.acceptance.reshape([1]), mh.diverged.reshape([1])]))]
    : [logW, tf.zeros([0])];
  try {
    return runFusedOp(NATIVE_OP.WeightStats, [n, groupSize, mh ? 1 : 0], [], [], inputs, [
      [STEP_READINGS],
    ])[0] as Tensor;
  } finally {
    tf.dispose(inputs.slice(1));
  }
}

/** The transition of a fused AIS chain and its parameters, step by step. */
export interface FusedChainKernel {
  /** The native loop's kernel id (native/src/op_ids.h, ChainKernel). */
  id: number;
  /** Step size of each step of the stretch. */
  stepSizes: number[];
  leapfrogSteps: number;
  /** Kernels that carry momentum: damping and diagonal mass [d]. */
  eta?: number;
  mass?: Tensor;
}

export interface FusedChainResult {
  state: FusedState;
  /** Momentum, for kernels that carry it. */
  v: Tensor | null;
  logW: Tensor;
  /** STEP_READINGS numbers per step (resampled fraction -1). */
  stats: Float32Array;
}

/**
 * A stretch of an AIS chain in one native call: for each step s, the AIS increment at
 * betas[s] - betas[s - 1], one transition with noise from the random stream (lane keys, counter)
 * drawn exactly as Rng would draw it, the kernel's correction, and the weight statistics over
 * systems of groupSize particles. betas has one more entry than steps; a kernel with momentum
 * (mass given) takes and returns v.
 */
export function fusedAisChain(
  path: FusedPath,
  state: FusedState,
  v: Tensor | null,
  logW: Tensor,
  kernel: FusedChainKernel,
  betas: number[],
  stream: { keys: [number, number][]; counter: number },
  groupSize: number,
): FusedChainResult {
  const { ints, n, d } = prefix(path, state[0]);
  const steps = betas.length - 1;
  const momentum = kernel.mass !== undefined;
  if (kernel.stepSizes.length !== steps) {
    throw new RangeError(`fused chain: ${kernel.stepSizes.length} step sizes for ${steps} steps`);
  }
  if (momentum && (!v || kernel.eta === undefined)) {
    throw new RangeError('fused chain: a kernel with mass needs momentum and eta');
  }
  const empty = tf.zeros([0]);
  try {
    const outs = runFusedOp(
      NATIVE_OP.AisChain,
      [...ints, kernel.id, kernel.leapfrogSteps, steps, groupSize],
      [
        ...betas,
        ...kernel.stepSizes,
        kernel.eta ?? 0,
        stream.counter,
        ...stream.keys.flatMap(([k0, k1]) => [k0 >>> 0, k1 >>> 0]),
      ],
      [path.target.params],
      [
        path.mean,
        path.logScale,
        momentum ? (kernel.mass as Tensor) : empty,
        ...state,
        momentum ? (v as Tensor) : empty,
        logW,
      ],
      [...stateShapes(n, d), momentum ? [n, d] : [0], [n], [steps * STEP_READINGS]],
    );
    const [z, lt, st, li, si, vOut, logWOut, stats] = outs as Tensor[];
    const table = (stats as Tensor).dataSync() as Float32Array;
    (stats as Tensor).dispose();
    if (!momentum) (vOut as Tensor).dispose();
    return {
      state: [z, lt, st, li, si] as FusedState,
      v: momentum ? (vOut as Tensor) : null,
      logW: logWOut as Tensor,
      stats: table,
    };
  } finally {
    empty.dispose();
  }
}
