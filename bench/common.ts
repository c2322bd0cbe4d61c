// Shared pieces of the benchmarks: the row format every bench module returns, run options, and a
// timer that takes the median of repeated runs and fails on tensor leaks.
import {
  tf,
  initEngine,
  matMulGradientFixEnabled,
  measureFmaPeak,
  useNativeKernels,
  type BackendName,
  type Tensor,
} from '../src/engine/index.js';
import { nativeKernelsInstalled } from '../src/engine/nativeKernels.js';

export interface BenchOptions {
  quick: boolean;
  /** Progress lines on stderr (only useful on a terminal). */
  log: (line: string) => void;
}

export interface BenchRow {
  bench: string;
  backend: BackendName;
  workload: string;
  /** 'on' | 'off', or '-' where the matMul gradient fix cannot matter (no backward pass). */
  matMulFix: 'on' | 'off' | '-';
  /** Whose kernels ran: the native addon's (fused annealing, GEMM, transcendentals) or TF.js's. */
  kernels: 'native' | 'tfjs';
  medianMs: number;
  reps: number;
  /** The row the others in the same bench are compared with (ratio 1.00x). */
  baseline?: boolean;
}

export interface Reps {
  warmup: number;
  reps: number;
}

/** Fewer reps on cpu: there one second-order pass takes seconds, and its spread is small anyway. */
export function repsFor(backend: BackendName, quick: boolean): Reps {
  if (backend === 'cpu') return quick ? { warmup: 1, reps: 1 } : { warmup: 1, reps: 3 };
  return quick ? { warmup: 1, reps: 3 } : { warmup: 2, reps: 10 };
}

/**
 * Median wall time of fn in ms. The outputs are read back with dataSync() inside the timed region,
 * so queued backend work is counted; they are disposed outside it. Throws if the live tensor
 * count grows across reps (a leak would also skew later timings through memory pressure).
 */
export function timeMedian(fn: () => Tensor | Tensor[], { warmup, reps }: Reps): number {
  const runOnce = (): number => {
    const start = performance.now();
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    for (const t of outs) t.dataSync();
    const ms = performance.now() - start;
    tf.dispose(outs);
    return ms;
  };
  for (let i = 0; i < warmup; i++) runOnce();
  const before = tf.memory().numTensors;
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    times.push(runOnce());
    const now = tf.memory().numTensors;
    if (now !== before)
      throw new Error(`tensor leak: ${before} -> ${now} live tensors after rep ${i + 1}`);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2
    ? (times[mid] as number)
    : ((times[mid - 1] as number) + (times[mid] as number)) / 2;
}

/** Median of a list of times in ms. */
export function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Median wall time of one training iteration. trainer.step() ends with a host read of the loss,
 * so its wall time includes all queued device work.
 */
export function timeTrainerSteps(trainer: { step(): unknown }, { warmup, reps }: Reps): number {
  for (let i = 0; i < warmup; i++) trainer.step();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    trainer.step();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** The engine settings a row was measured with; `backward` false where no gradient is taken. */
export function engineState(backward = true): Pick<BenchRow, 'matMulFix' | 'kernels'> {
  return {
    matMulFix: backward ? (matMulGradientFixEnabled() ? 'on' : 'off') : '-',
    kernels: nativeKernelsInstalled() ? 'native' : 'tfjs',
  };
}

/**
 * Runs fn with the native kernels off (TF.js's own kernels, the op-by-op annealing path), then
 * turns them back on: the reference rows of the fused paths.
 */
export async function onReferencePath<T>(fn: () => Promise<T> | T): Promise<T> {
  await useNativeKernels(false);
  try {
    return await fn();
  } finally {
    await useNativeKernels(true);
  }
}

/** Matrix-product speeds beside the machine's measured arithmetic ceiling (the bench header). */
export interface ComputeCeiling {
  /** GFLOP/s of independent FMAs: one thread, and all the native threads together. */
  fmaPeak: { oneThread: number; allThreads: number; threads: number };
  /** GFLOP/s of tf.matMul on wasm with the native kernels, per product shape "m x k x n". */
  matMul: Record<string, number>;
}

/**
 * The ceiling and two products measured against it: a large square one, and the first layer of
 * the VAE benches (batch 100, 784 -> 200). Null without the native addon.
 */
export async function computeCeiling(): Promise<ComputeCeiling | null> {
  await initEngine({ backend: 'wasm', native: true });
  const fmaPeak = measureFmaPeak();
  if (!fmaPeak || !nativeKernelsInstalled()) return null;
  const matMul: Record<string, number> = {};
  for (const [m, k, n, reps] of [
    [1024, 1024, 1024, 5],
    [100, 784, 200, 200],
  ] as const) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const ms = timeMedian(() => tf.matMul(a, b), { warmup: 3, reps });
    matMul[`${m}x${k}x${n}`] = (2 * m * k * n) / ms / 1e6;
    tf.dispose([a, b]);
  }
  return { fmaPeak, matMul };
}

export function describeCeiling(c: ComputeCeiling): string {
  const peak = c.fmaPeak.allThreads;
  const products = Object.entries(c.matMul)
    .map(([shape, g]) => `${shape} ${g.toFixed(0)} GFLOP/s (${((100 * g) / peak).toFixed(0)}%)`)
    .join(', ');
  return `compute: matMul ${products} of the measured FMA peak, ${peak.toFixed(0)} GFLOP/s on ${c.fmaPeak.threads} threads (${c.fmaPeak.oneThread.toFixed(0)} on one)`;
}
