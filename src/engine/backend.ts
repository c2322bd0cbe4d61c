import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { applyGradientFixes, setMatMulGradientFix } from './gradientFixes.js';
import { EngineError } from './errors.js';

/**
 * Node backends: wasm (default, with the native kernels), cpu (TF.js's reference), webgpu (the GPU
 * through Dawn; needs the optional packages `webgpu` and `@tensorflow/tfjs-backend-webgpu`).
 */
export const BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

export interface EngineOptions {
  /** Backend to use; defaults to $ANNEAL_BACKEND, then 'wasm'. */
  backend?: BackendName;
  /**
   * Native kernels on the wasm backend where the addon is built (default true; $ANNEAL_NATIVE=0
   * turns them off). Results agree with TF.js's own kernels to float32 accuracy.
   */
  native?: boolean;
  /** Threads for large native matrix products; default $ANNEAL_THREADS, then the available cores. */
  threads?: number;
}

/** Resolves the backend from an explicit choice, then $ANNEAL_BACKEND, then the default. */
export function resolveBackendName(explicit?: string): BackendName {
  // An empty variable counts as unset, as shells make it easy to leave one empty.
  const fromEnv =
    typeof process === 'undefined' ? undefined : process.env.ANNEAL_BACKEND || undefined;
  const name = explicit ?? fromEnv ?? 'wasm';
  if (!isBackendName(name)) {
    throw new EngineError(
      `unknown backend '${name}' (from ${explicit ? 'option' : 'ANNEAL_BACKEND'}); valid: ${BACKENDS.join(', ')}`,
    );
  }
  return name;
}

/**
 * TF.js's gradients (and chained tensor methods, and the webgl backend) in Node. tfjs-core's Node
 * bundle registers no gradients; the umbrella package's bundle does (it also brings
 * layers/converter, ~0.3 s of import time, but no smaller working registration exists for Node's
 * ESM loader: tfjs-core's per-file ESM build uses extensionless imports). Imported when an engine
 * starts, not at the top, so that a page's bundle (initBrowserEngine registers its own parts)
 * leaves it out.
 */
export async function registerNodeGradients(): Promise<void> {
  await import('@tensorflow/tfjs');
}

export { EngineError } from './errors.js';

let started = false;

/** Records that a backend is running (initEngine, initBrowserEngine). */
export function markEngineStarted(): void {
  started = true;
}

/**
 * Throws unless initEngine (or initBrowserEngine) has run: without it TF.js's own message names
 * tf.ready(), and the gradient fixes the samplers rely on are missing.
 */
export function requireEngine(): void {
  if (!started)
    throw new EngineError(
      "the tensor engine is not started: call 'await initEngine()' once before using anneal",
    );
}

/**
 * Selects and initializes the tensor backend and installs the gradient fixes. Idempotent; call
 * (and await) before any tensor work.
 *
 * @returns the backend that runs
 * @example
 * ```ts
 * await initEngine(); // wasm, with the native kernels where they are built
 * await initEngine({ backend: 'cpu' }); // TF.js's reference backend
 * ```
 */
export function initEngine(options: EngineOptions = {}): Promise<BackendName> {
  // One start at a time: a start swaps the console around its awaits, and two interleaved would
  // leave the second's swap (the first's silencing function) in place for good.
  const run = starting.then(() => startEngine(options));
  starting = run.catch(() => undefined);
  return run;
}

/** The start in progress (or the last one), which the next waits for. */
let starting: Promise<unknown> = Promise.resolve();

async function startEngine(options: EngineOptions): Promise<BackendName> {
  const name = resolveBackendName(options.backend);
  await registerNodeGradients();
  applyGradientFixes();
  const before = processListeners();
  // The wasm glue and TF.js report a failed start on the console in several lines (with advice
  // about bundlers); they are kept and the first becomes the reason in one error line.
  const said: string[] = [];
  const consoleBefore = { error: console.error, warn: console.warn, log: console.log };
  const keep = (...args: unknown[]) => void said.push(args.map(String).join(' '));
  console.error = keep;
  console.warn = keep;
  console.log = keep;
  try {
    if (tf.getBackend() !== name) {
      if (name === 'webgpu') await (await import('./webgpu.js')).prepareWebgpu();
      const ok = await tf.setBackend(name);
      if (!ok) {
        const reason = said.find((l) => /memory|failed/i.test(l)) ?? said[0];
        const memory = reason && /out of memory|cannot allocate/i.test(reason);
        throw new EngineError(
          `backend '${name}' failed to start${reason ? `: ${reason.split('\n')[0]?.replace(/^.*?(RangeError|Error): /, '')}` : ''}${memory ? ' (the memory limit is below what the wasm heap needs: raise it, or use the cpu backend)' : ''}`,
        );
      }
    }
    await tf.ready();
    if (name === 'webgpu') await (await import('./webgpu.js')).verifyWebgpu(tf);
  } finally {
    Object.assign(console, consoleBefore);
    restoreProcessListeners(before);
  }
  // Anything else said during a successful start goes out as it would have.
  if (said.length && tf.getBackend() === name) for (const line of said) consoleBefore.warn(line);
  if (name === 'cpu') silenceCpuNotice();
  await useNativeKernels(options.native ?? true, options.threads);
  markEngineStarted();
  return name;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ProcessListeners = Map<string, Set<unknown>>;
// Node's typings overload listeners() per event name; the two events share a shape.
const listenersOf = (event: (typeof PROCESS_EVENTS)[number]): unknown[] =>
  process.listeners(event as 'uncaughtException');

/** The process's error listeners now (none outside Node). */
function processListeners(): ProcessListeners | null {
  if (typeof process === 'undefined' || typeof process.listeners !== 'function') return null;
  return new Map(PROCESS_EVENTS.map((e) => [e, new Set<unknown>(listenersOf(e))]));
}

/**
 * Removes error listeners added since `before`. The wasm backend's emscripten glue installs
 * handlers that rethrow every uncaught error from inside its minified bundle (Node then prints
 * tens of kilobytes of that code and exits with 7); without them errors surface as the program's
 * own, with Node's usual message and exit code.
 */
function restoreProcessListeners(before: ProcessListeners | null): void {
  if (!before) return;
  for (const event of PROCESS_EVENTS) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)?.has(listener))
        process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

/**
 * Turns the native kernels on or off for the wasm backend (where the addon is built; see
 * nativeStatus()). Returns whether they are on. The matMul gradient takes explicit transposes
 * only where TF.js's own wasm matMul runs (its transposed products are slow; the native one's
 * are not).
 */
export async function useNativeKernels(on: boolean, threads?: number): Promise<boolean> {
  // Loaded lazily: browser bundles never reach this module's Node-only loader.
  const { loadNative } = await import('./native.js');
  const { installNativeKernels, uninstallNativeKernels } = await import('./nativeKernels.js');
  const addon = on ? loadNative() : null;
  // Overrides go in only once the wasm backend has initialized: its own kernels' set-up runs at
  // initialization, and the originals stay in use for the cases the addon does not cover.
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  const wasmReady = registry.wasm !== undefined;
  if (addon && wasmReady) {
    addon.setThreads(resolveThreads(threads));
    installNativeKernels(addon);
  } else {
    uninstallNativeKernels();
  }
  setMatMulGradientFix(!addon);
  return addon !== null && wasmReady;
}

function resolveThreads(explicit?: number): number {
  const fromEnv = typeof process === 'undefined' ? undefined : process.env.ANNEAL_THREADS;
  const value = explicit ?? (fromEnv ? Number(fromEnv) : undefined);
  if (value === undefined) {
    const os = (
      process as unknown as { getBuiltinModule?: (m: string) => { availableParallelism(): number } }
    ).getBuiltinModule?.('node:os');
    return Math.max(1, Math.min(os?.availableParallelism() ?? 1, 256));
  }
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    throw new EngineError(
      `threads must be an integer in 1..256, got ${explicit ?? `ANNEAL_THREADS=${fromEnv}`}`,
    );
  }
  return value;
}

/**
 * The cpu backend advertises tfjs-node (which cannot install here) on its first write; where cpu
 * is chosen on purpose (the reference backend, or a browser's last resort) the notice is noise.
 */
export function silenceCpuNotice(): void {
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

export function currentBackend(): string {
  return tf.getBackend();
}
