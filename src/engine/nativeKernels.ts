// Native kernels in place of some of the wasm backend's own: matrix products (a packed,
// register-blocked GEMM, threaded for large products), sums over leading axes, slices, splits,
// concatenations and tiles as block copies (copyBlocks.ts), and the
// transcendental element-wise ops that
// tfjs-backend-wasm runs as scalar code (tanh, exp, log, sigmoid, softplus: 10-30 ns per element
// there, under 1 ns here). They read and write the wasm heap in place, so tensors stay where TF.js
// keeps them, gradients and scopes work unchanged, and uninstalling restores the original kernels.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  NATIVE_BINARY,
  NATIVE_BROADCAST,
  NATIVE_UNARY,
  type NativeAddon,
  type WasmBackend,
} from './native.js';
import { broadcastPlan } from './broadcastPlan.js';
import { installNativeGradients, NATIVE_GRAD_KERNELS } from './nativeGradients.js';
import { NATIVE_OP } from './nativeIds.js';
import { copyKernels } from './copyBlocks.js';

type KernelArgs = Parameters<KernelFunc>[0];

const originals = new Map<string, KernelConfig>();

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function heap(backend: WasmBackend, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t);
}

/**
 * The original kernel's function, its set-up run once first (see uninstallNativeKernels); looked
 * up at the first call, so it may be made before the override that records the original.
 */
function fallback(kernelName: string): KernelFunc {
  let original: KernelConfig | undefined;
  return (args: KernelArgs) => {
    if (!original) {
      original = originals.get(kernelName) as KernelConfig;
      original.setupFunc?.(args.backend as never);
    }
    return original.kernelFunc(args);
  };
}

function unaryKernel(addon: NativeAddon, kernelName: string, op: number): KernelFunc {
  const original = fallback(kernelName);
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== 'float32') return original(args);
    const backend = args.backend as unknown as WasmBackend;
    // Views are taken after makeOutput: an allocation can grow (and so move) the heap.
    const out = backend.makeOutput([...x.shape], 'float32');
    if (size(x.shape) > 0) addon.unary(op, heap(backend, x), heap(backend, out));
    return out;
  };
}

/** Below this many output elements TF.js's own kernel is as fast (no view set-up). */
const BINARY_FROM = 256;

/**
 * An element-wise binary op: the addon's kernel where both operands are float32 and cover the
 * output as a full array, a repeated row or column, or one value (broadcastPlan), TF.js's
 * otherwise. `names` are the kernel's input names (a, b for TF.js's arithmetic).
 */
function binaryKernel(
  addon: NativeAddon,
  op: number,
  original: KernelFunc | null,
  names: readonly [string, string] = ['a', 'b'],
): KernelFunc {
  return (args: KernelArgs) => {
    const a = args.inputs[names[0]] as TensorInfo;
    const b = args.inputs[names[1]] as TensorInfo;
    const plan =
      a.dtype === 'float32' && b.dtype === 'float32' ? broadcastPlan(a.shape, b.shape) : null;
    if (original && (!plan || plan.rows * plan.cols < BINARY_FROM)) return original(args);
    if (!plan)
      throw new Error(`${names.join(', ')}: shapes ${a.shape} and ${b.shape} do not match`);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(plan.shape, 'float32');
    if (plan.rows * plan.cols > 0) {
      addon.binary(
        op,
        heap(backend, a),
        plan.aMode,
        heap(backend, b),
        plan.bMode,
        heap(backend, out),
        plan.rows,
        plan.cols,
      );
    }
    return out;
  };
}

const ONE = Float32Array.of(1);

/**
 * x repeated to `shape` (x * 1 with x broadcast as broadcastPlan covers it: exact), or null where
 * broadcastPlan does not cover it.
 */
function nativeBroadcast(
  addon: NativeAddon,
  backend: WasmBackend,
  x: TensorInfo,
  shape: readonly number[],
): TensorInfo | null {
  const plan = x.dtype === 'float32' ? broadcastPlan(x.shape, shape) : null;
  if (!plan || plan.shape.some((n, i) => n !== shape[i])) return null;
  const out = backend.makeOutput([...shape], 'float32');
  if (plan.rows * plan.cols > 0) {
    addon.binary(
      NATIVE_BINARY.Multiply,
      heap(backend, x),
      plan.aMode,
      ONE,
      NATIVE_BROADCAST.scalar,
      heap(backend, out),
      plan.rows,
      plan.cols,
    );
  }
  return out;
}

/** x repeated to attrs.shape (the fused gradient of sums). */
function broadcastKernel(addon: NativeAddon): KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    const shape = args.attrs?.shape as number[];
    const out = nativeBroadcast(addon, args.backend as unknown as WasmBackend, x, shape);
    if (!out) throw new Error(`broadcast: cannot repeat shape ${x.shape} to ${shape}`);
    return out;
  };
}

/**
 * Tile (and so tf.broadcastTo): a repeated row, column or value as a native broadcast (TF.js's
 * own computes an index per element: 5 ms for [100, 1] to [100, 784]), other repeats of the
 * first axis as block copies (copyBlocks.ts), the rest TF.js's.
 */
function tileKernel(addon: NativeAddon, blocks: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    const reps = args.attrs?.reps as number[];
    if (reps.every((r, i) => r === 1 || x.shape[i] === 1)) {
      const shape = x.shape.map((d, i) => d * (reps[i] as number));
      const out = nativeBroadcast(addon, args.backend as unknown as WasmBackend, x, shape);
      if (out) return out;
    }
    return blocks(args);
  };
}

function batchMatMulKernel(addon: NativeAddon): KernelFunc {
  const original = fallback('BatchMatMul');
  return (args: KernelArgs) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2) {
      return original(args);
    }
    const m = a.shape[transposeA ? ra - 1 : ra - 2] as number;
    const k = a.shape[transposeA ? ra - 2 : ra - 1] as number;
    const kb = b.shape[transposeB ? rb - 1 : rb - 2] as number;
    const n = b.shape[transposeB ? rb - 2 : rb - 1] as number;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    // Mismatches and general broadcasting keep TF.js's own kernel (and its error messages).
    if (k !== kb || (batchA !== batchB && batchA !== 1 && batchB !== 1)) {
      return original(args);
    }
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(
      a.shape.slice(0, -2),
      b.shape.slice(0, -2),
    );
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput([...outer, m, n], 'float32');
    if (m * n > 0) {
      addon.gemm(
        heap(backend, a),
        heap(backend, b),
        heap(backend, out),
        Math.max(batchA, batchB),
        m,
        n,
        k,
        transposeA,
        transposeB,
        batchA === 1 ? 0 : m * k,
        batchB === 1 ? 0 : k * n,
      );
    }
    return out;
  };
}

/**
 * Sum over leading axes (the bias gradient of a dense layer: a sum over rows), which TF.js's wasm
 * Sum computes by transposing first, as one pass of column sums; other reductions stay TF.js's.
 */
function sumKernel(addon: NativeAddon): KernelFunc {
  const original = fallback('Sum');
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    const rank = x.shape.length;
    const raw = args.attrs?.axis as number | number[] | undefined;
    const axes = (raw === undefined ? [...Array(rank).keys()] : Array.isArray(raw) ? raw : [raw])
      .map((a) => (a < 0 ? a + rank : a))
      .sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original(args);
    const rows = size(x.shape.slice(0, axes.length));
    const cols = size(x.shape.slice(axes.length));
    const keepDims = Boolean(args.attrs?.keepDims);
    const shape = keepDims
      ? x.shape.map((d, i) => (i < axes.length ? 1 : d))
      : x.shape.slice(axes.length);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput([...shape], 'float32');
    addon.fused(COLUMN_SUMS_OP, Int32Array.of(rows, cols), new Float64Array(0), [
      heap(backend, x),
      heap(backend, out),
    ]);
    return out;
  };
}

const COLUMN_SUMS_OP = NATIVE_OP.ColumnSums;

/**
 * Identity that shares the input's memory (a reference count) instead of copying it, as the wasm
 * backend's own Reshape does. TF.js clones every tensor it saves for a gradient through Identity,
 * so under a tape each recorded kernel copied its inputs: for SMC training on 2048 particles,
 * hundreds of 400 kB copies per iteration. Sharing is safe because no kernel writes into its
 * inputs; variables change by taking new memory (assign).
 */
function identityKernel(): KernelFunc {
  const original = fallback('Identity');
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as { incRef(dataId: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

function override(kernelName: string, make: () => KernelFunc): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (!current) return;
  if (!originals.has(kernelName)) originals.set(kernelName, current);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: make() });
}

let installed = false;

/**
 * Routes the wasm backend's matrix products and transcendental element-wise ops to the addon.
 * Call after the wasm backend is initialized (its own kernels' set-up must have run, since the
 * originals stay in use for the cases the addon does not cover). Idempotent.
 */
export function installNativeKernels(addon: NativeAddon): void {
  if (installed) return;
  override('BatchMatMul', () => batchMatMulKernel(addon));
  override('Sum', () => sumKernel(addon));
  override('Identity', identityKernel);
  const copies = copyKernels(addon, fallback);
  for (const name of ['Slice', 'SplitV', 'Concat'] as const)
    override(name, () => copies[name] as KernelFunc);
  override('Tile', () => tileKernel(addon, copies.Tile as KernelFunc));
  for (const [name, op] of Object.entries(NATIVE_UNARY)) {
    override(name, () => unaryKernel(addon, name, op));
  }
  for (const name of ['Add', 'Sub', 'Multiply', 'RealDiv'] as const) {
    override(name, () => binaryKernel(addon, NATIVE_BINARY[name], fallback(name)));
  }
  // The fused backward passes exist only here; nativeGradients.ts runs them on this backend.
  for (const [name, [op, inputs]] of Object.entries({
    [NATIVE_GRAD_KERNELS.softplus]: [NATIVE_BINARY.SoftplusGrad, ['dy', 'x']],
    [NATIVE_GRAD_KERNELS.sigmoid]: [NATIVE_BINARY.SigmoidGrad, ['dy', 'y']],
  } as const)) {
    if (!tf.getKernel(name, 'wasm'))
      tf.registerKernel({
        kernelName: name,
        backendName: 'wasm',
        kernelFunc: binaryKernel(addon, op, null, inputs),
      });
  }
  if (!tf.getKernel(NATIVE_GRAD_KERNELS.broadcast, 'wasm'))
    tf.registerKernel({
      kernelName: NATIVE_GRAD_KERNELS.broadcast,
      backendName: 'wasm',
      kernelFunc: broadcastKernel(addon),
    });
  installNativeGradients(() => installed && tf.getBackend() === 'wasm');
  installed = true;
}

/** Restores the wasm backend's own kernels (for tests and benchmarks of the reference path). */
export function uninstallNativeKernels(): void {
  if (!installed) return;
  const backend = wasmBackend();
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
    // Its set-up (binding the wasm function) runs when the backend is activated; make sure it has
    // run even if the override was in place at that moment.
    if (backend) config.setupFunc?.(backend as never);
  }
  installed = false;
}

function wasmBackend(): unknown {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm;
}

export function nativeKernelsInstalled(): boolean {
  return installed;
}
