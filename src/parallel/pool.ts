// Tasks on worker threads, each worker with its own TF.js engine (TF.js's wasm backend runs one
// thread under Node, so parallel work needs separate engines). A task names a module exporting
// `runJob(payload, report)`. A pool of workers starts once (engine and module each loaded once per
// worker) and takes tasks from a queue, so a sweep of many cells pays the start-up per worker, not
// per cell. Results come back in task order, so a caller that gives every task its own random
// streams gets the same answer whatever the number of workers; with one worker the tasks run in
// this thread, through the same module.
import os from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../engine/index.js';

/** What a job module exports. `report` sends progress messages to the caller. */
export type JobFunction<P, R> = (payload: P, report: (message: unknown) => void) => Promise<R> | R;

export interface PoolSettings {
  /** Worker threads (at most one per task); 1 runs every task in this thread. */
  workers: number;
  backend: BackendName;
  /** Native threads per worker (default: the cores shared out over the workers). */
  threads?: number;
  /**
   * Expected relative cost of each task: workers take the costliest first (longest-processing-
   * time order), which keeps one long task from starting last. Default: in task order.
   */
  costs?: readonly number[];
}

/** The order in which tasks are handed out: by descending cost where costs are given. */
export function taskOrder(count: number, costs?: readonly number[]): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (!costs) return order;
  if (costs.length !== count || !costs.every((c) => Number.isFinite(c) && c >= 0))
    throw new RangeError(`costs must be ${count} finite numbers >= 0, one per task`);
  return order.sort((a, b) => (costs[b] as number) - (costs[a] as number) || a - b);
}

export interface PoolHooks<R> {
  /** A task's progress message (what its job passed to `report`). */
  onProgress?: (task: number, message: unknown) => void;
  /** A task finished (in completion order; the returned array is in task order). */
  onResult?: (task: number, result: R) => void;
}

/** Messages from a worker to the pool. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; task: number; message: unknown }
  | { type: 'done'; task: number; result: unknown }
  | { type: 'error'; name: string; message: string; stack?: string };

/** Messages from the pool to a worker: a task, or null to stop. */
export type TaskMessage = { task: number; payload: unknown } | null;

/** The cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

/**
 * Runs every payload through `jobModule` (a file URL) on `settings.workers` worker threads, or in
 * this thread when that is 1 (the engine must then be started already). Result i is payload i's.
 * A failing task stops the pool and rejects with an Error of the same name and message.
 */
export async function runTasks<P, R>(
  jobModule: string,
  payloads: readonly P[],
  settings: PoolSettings,
  hooks: PoolHooks<R> = {},
): Promise<R[]> {
  const workers = Math.min(Math.max(1, Math.floor(settings.workers)), payloads.length);
  if (workers <= 1) return runHere(jobModule, payloads, hooks);
  const threads = settings.threads ?? Math.max(1, Math.floor(availableCores() / workers));
  const entry = workerEntry();
  const results = new Array<R>(payloads.length);
  const order = taskOrder(payloads.length, settings.costs);
  let next = 0;
  const pool = Array.from(
    { length: workers },
    () =>
      new Worker(entry.script, {
        eval: entry.eval,
        workerData: { jobModule, backend: settings.backend, threads },
        // A worker's own output would interleave with the caller's progress bar.
        stdout: false,
        stderr: false,
      }),
  );
  try {
    await Promise.all(
      pool.map(
        (worker, w) =>
          new Promise<void>((resolve, reject) => {
            // Busy from start-up until told to stop: an exit in between is a failure.
            let busy = true;
            const give = () => {
              if (next >= payloads.length) {
                busy = false;
                worker.postMessage(null satisfies TaskMessage);
                resolve();
                return;
              }
              const task = order[next++] as number;
              worker.postMessage({ task, payload: payloads[task] } satisfies TaskMessage);
            };
            worker.on('message', (m: WorkerMessage) => {
              if (m.type === 'ready') give();
              else if (m.type === 'progress') hooks.onProgress?.(m.task, m.message);
              else if (m.type === 'done') {
                results[m.task] = m.result as R;
                hooks.onResult?.(m.task, m.result as R);
                give();
              } else {
                const error = new Error(m.message);
                error.name = m.name;
                if (m.stack) error.stack = m.stack;
                reject(error);
              }
            });
            worker.on('error', reject);
            worker.on('exit', (code) => {
              if (busy) reject(new Error(`worker ${w + 1} stopped (exit code ${code})`));
            });
          }),
      ),
    );
  } finally {
    // On failure the other workers stop mid-task; their results are not needed.
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

/** The tasks one after another in this thread, through the same job module. */
async function runHere<P, R>(
  jobModule: string,
  payloads: readonly P[],
  hooks: PoolHooks<R>,
): Promise<R[]> {
  const mod = (await import(jobModule)) as { runJob: JobFunction<P, R> };
  const results: R[] = [];
  for (let i = 0; i < payloads.length; i++) {
    const result = await mod.runJob(payloads[i] as P, (m) => hooks.onProgress?.(i, m));
    results.push(result);
    hooks.onResult?.(i, result);
  }
  return results;
}

/**
 * The worker script beside this module. Compiled, it is a plain file; run from TypeScript sources
 * (tests, scripts under tsx), the worker first registers tsx's loader, then imports it.
 */
function workerEntry(): { script: string | URL; eval: boolean } {
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./worker${ext}`, import.meta.url);
  if (ext !== '.ts') return { script: url, eval: false };
  const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return { script: code, eval: true };
}
