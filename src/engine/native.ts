// The optional native kernels: a Node-API addon built from native/ by `npm run build` (node-gyp,
// g++). Where it is missing or disabled everything runs on TF.js's own kernels, with the same
// results to float32 accuracy; `nativeStatus()` says which path runs and why.
//
// Loaded through process.getBuiltinModule (Node >= 20.16), so that browser bundles, which never
// call it, carry no Node imports.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { NATIVE_OP } from './nativeIds.js';

/**
 * The part of tfjs-backend-wasm's backend object that native kernels use: outputs allocated on
 * its heap and float32 views of tensors there (taken after every allocation: one can move the heap).
 */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/** The addon's entry points (native/src/addon.cc). Arrays are Float32Array views; nothing copies. */
export interface NativeAddon {
  gemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    strideA: number,
    strideB: number,
  ): void;
  unary(op: number, x: Float32Array, y: Float32Array): void;
  /** out[rows x cols] = op(a, b), each operand broadcast as its mode (NATIVE_BROADCAST) says. */
  binary(
    op: number,
    a: Float32Array,
    aMode: number,
    b: Float32Array,
    bMode: number,
    out: Float32Array,
    rows: number,
    cols: number,
  ): void;
  /** One draw of anneal's Rng: normals from stream key (k0, k1) at draw `counter` (rng.ts). */
  normals(k0: number, k1: number, counter: number, out: Float32Array | Float64Array): void;
  uniforms(
    k0: number,
    k1: number,
    counter: number,
    lo: number,
    hi: number,
    out: Float32Array,
  ): void;
  /** A fused annealing operation (native/src/fused.h; src/engine/fused.ts builds the layouts). */
  fused(op: number, ints: Int32Array, scalars: Float64Array, arrays: Float32Array[]): void;
  setThreads(threads: number): void;
  info(): { simd: string; threads: number };
}

/** Indices of anneal::Unary in native/src/elementwise.h. */
export const NATIVE_UNARY = {
  Tanh: 0,
  Exp: 1,
  Log: 2,
  Sigmoid: 3,
  Softplus: 4,
  Neg: 5,
  Square: 6,
} as const;

/**
 * Indices of anneal::Binary in native/src/elementwise.h: the arithmetic kernels (by TF.js kernel
 * name) and two fused backward passes, dy * sigmoid(x) (softplus) and dy * y (1 - y) (sigmoid).
 */
export const NATIVE_BINARY = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  SoftplusGrad: 4,
  SigmoidGrad: 5,
} as const;

/** Indices of anneal::Broadcast: how an operand covers a rows x cols output. */
export const NATIVE_BROADCAST = { full: 0, row: 1, column: 2, scalar: 3 } as const;

let loaded: NativeAddon | null | undefined;
let reason = '';

export interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

export function nodeProcess(): NodeProcess | undefined {
  return typeof process === 'undefined' ? undefined : (process as unknown as NodeProcess);
}

/**
 * The addon, or null where it cannot run: not Node, ANNEAL_NATIVE=0, or not built (a machine
 * without a C++ compiler). Loaded once.
 */
export function loadNative(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const proc = nodeProcess();
  if (!proc?.versions?.node || !proc.getBuiltinModule) {
    reason = 'not running in Node';
    return null;
  }
  if (proc.env?.ANNEAL_NATIVE === '0') {
    reason = 'disabled by ANNEAL_NATIVE=0';
    return null;
  }
  const { createRequire } = proc.getBuiltinModule('node:module') as {
    createRequire: (url: string) => (id: string) => unknown;
  };
  const require = createRequire(import.meta.url);
  // src/engine/ and dist/engine/ are both two levels below the package root. The path is a
  // variable so that a browser bundler does not copy the Node addon into the page's assets.
  const addon = '../../native/build/Release/anneal_native.node';
  const file = new URL(addon, import.meta.url);
  try {
    loaded = require(decodeURIComponent(file.pathname)) as NativeAddon;
    reason = '';
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    reason = /cannot find module/i.test(message ?? '')
      ? 'not built (npm run build:native)'
      : `failed to load: ${message}`;
  }
  return loaded;
}

/** 'avx512, 2 threads' when the addon runs, else 'off (why)'. */
/**
 * The addon's measured single-precision FMA throughput in GFLOP/s, of one thread and of all its
 * threads together (independent fused multiply-adds at the build's vector width, nothing loaded):
 * the ceiling matrix products are measured against. Null without the addon. Takes ~50 ms.
 */
export function measureFmaPeak(): {
  oneThread: number;
  allThreads: number;
  threads: number;
} | null {
  const addon = loadNative();
  if (!addon) return null;
  const out = new Float32Array(2);
  addon.fused(NATIVE_OP.FmaPeak, new Int32Array(0), new Float64Array(0), [out]);
  return {
    oneThread: out[0] as number,
    allThreads: out[1] as number,
    threads: addon.info().threads,
  };
}

export function nativeStatus(): string {
  const addon = loadNative();
  if (!addon) return `off (${reason})`;
  const { simd, threads } = addon.info();
  return `${simd}, ${threads} thread${threads === 1 ? '' : 's'}`;
}
