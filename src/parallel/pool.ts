// Jobs on worker threads, each worker with its own TF.js engine (TF.js's wasm backend runs one
// thread under Node, so parallel work needs separate engines). A job names a module exporting
// `runJob(payload, report)`; each worker imports it, runs one payload and posts back the result.
// Results come back in task order, so a caller that gives every task its own random streams gets
// the same answer whatever the number of workers.
import os from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../engine/index.js';

/** What a job module exports. `report` sends progress messages to the caller. */
export type JobFunction<P, R> = (payload: P, report: (message: unknown) => void) => Promise<R> | R;

export interface WorkerSettings {
  backend: BackendName;
  /** Native threads per worker (default: the cores shared out over the workers). */
  threads?: number;
}

/** Messages between a worker and the pool. */
export type WorkerMessage =
  | { type: 'progress'; message: unknown }
  | { type: 'done'; result: unknown }
  | { type: 'error'; name: string; message: string; stack?: string };

/** The cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

/**
 * Runs one task per worker thread: task i imports `jobModule` (a file URL), runs its payload, and
 * its result is element i of the returned array. Progress messages go to onProgress(i, message).
 * A failing task rejects with an Error of the same name and message once every worker has stopped.
 */
export async function runInWorkers<P, R>(
  jobModule: string,
  payloads: readonly P[],
  settings: WorkerSettings,
  onProgress?: (task: number, message: unknown) => void,
): Promise<R[]> {
  const threads =
    settings.threads ?? Math.max(1, Math.floor(availableCores() / Math.max(1, payloads.length)));
  const entry = workerEntry();
  const workers = payloads.map(
    (payload) =>
      new Worker(entry.script, {
        eval: entry.eval,
        workerData: { jobModule, payload, backend: settings.backend, threads },
        // A worker's own output would interleave with the caller's progress bar.
        stdout: false,
        stderr: false,
      }),
  );
  const outcomes = await Promise.allSettled(
    workers.map(
      (worker, i) =>
        new Promise<R>((resolve, reject) => {
          let settled = false;
          worker.on('message', (m: WorkerMessage) => {
            if (m.type === 'progress') onProgress?.(i, m.message);
            else if (m.type === 'done') {
              settled = true;
              resolve(m.result as R);
            } else {
              settled = true;
              const error = new Error(m.message);
              error.name = m.name;
              if (m.stack) error.stack = m.stack;
              reject(error);
            }
          });
          worker.on('error', (e) => {
            settled = true;
            reject(e);
          });
          worker.on('exit', (code) => {
            if (!settled) reject(new Error(`worker ${i + 1} stopped (exit code ${code})`));
          });
        }),
    ),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<R>).value);
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
