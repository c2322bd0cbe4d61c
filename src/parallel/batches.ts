// A run of batches shared out over worker threads: runBatches(request, workers) gives each worker a
// consecutive group of the run's batches, which it builds from the request and runs (batchJob.ts),
// and combines their runs into the run's summary. Every batch draws from its own random stream, so
// any number of workers gives the numbers of a run in this thread, bit for bit.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBackend, type BackendName } from '../engine/index.js';
import { combineBatchRuns, type BatchRun } from '../eval/estimateLogZ.js';
import {
  openBatchRunner,
  type BatchJob,
  type BatchRunner,
  type BatchSummary,
  type OnStep,
} from '../runs/batches.js';
import type { BatchRequest } from '../runs/request.js';
import { runTasks } from './pool.js';

export interface RunBatchesOptions<S> {
  /**
   * Progress: the chain's step (of steps) that every batch has reached, i.e. the slowest worker's.
   */
  onStep?: OnStep;
  /**
   * The request's run, built in this thread already (openBatchRunner, or estimateRunner and
   * samplerRunner for objects at hand): it runs the batches when they stay in this thread, and it
   * summarizes the run. It stays the caller's to dispose. Default: built from the request, and freed.
   */
  runner?: BatchRunner<S>;
  /** The workers' tensor backend; default this thread's. */
  backend?: BackendName;
  /** Native threads per worker; default the cores shared out over the workers. */
  threads?: number;
}

/** Batches [0, batches) as consecutive groups, one per worker (at most one worker per batch). */
export function batchGroups(batches: number, workers: number): { first: number; count: number }[] {
  const share = (w: number) => Math.floor((batches * w) / workers);
  return Array.from({ length: workers }, (_, w) => ({
    first: share(w),
    count: share(w + 1) - share(w),
  }));
}

/** The job module the workers load, beside this one (.ts under tsx, .js when compiled). */
function jobModule(): string {
  const ext = extname(fileURLToPath(import.meta.url));
  return new URL(`./batchJob${ext}`, import.meta.url).href;
}

/**
 * Runs a request's batches, in this thread (workers = 1) or shared out over worker threads in
 * consecutive groups (at most one worker per batch), and summarizes the run: a log Z estimate for
 * an estimate request, an evaluation for an evaluate request. Each worker starts its own engine on
 * this thread's backend and builds the run from the request, so a target module must be a path
 * that resolves in the workers too (an absolute one). The engine must be started.
 *
 * @example
 * ```ts
 * await initEngine();
 * const e = await runBatches(
 *   { kind: 'estimate', target: { name: 'funnel' }, sampler: 'ais-hmc', particles: 4000, batches: 8 },
 *   4,
 * );
 * console.log(e.logZ, e.logZStdErr);
 * ```
 */
export async function runBatches<R extends BatchRequest>(
  request: R,
  workers = 1,
  options: RunBatchesOptions<BatchSummary<R>> = {},
): Promise<BatchSummary<R>> {
  const runner = options.runner ?? (await openBatchRunner(request));
  try {
    const started = performance.now();
    const { batches } = runner;
    const n = Math.min(Math.max(1, Math.floor(workers)), batches);
    let run: BatchRun;
    if (n <= 1) {
      run = runner.run(0, batches, options.onStep);
    } else {
      const groups = batchGroups(batches, n);
      const at = new Array<number>(n).fill(0);
      const runs = await runTasks<BatchJob, BatchRun>(
        jobModule(),
        groups.map((g) => ({ request, ...g })),
        {
          workers: n,
          backend: options.backend ?? (currentBackend() as BackendName),
          ...(options.threads !== undefined ? { threads: options.threads } : {}),
        },
        {
          onProgress: (w, message) => {
            const [k, total] = message as [number, number];
            at[w] = k;
            options.onStep?.(Math.min(...at), total);
          },
        },
      );
      run = combineBatchRuns(
        runs,
        groups.map((g) => g.count),
      );
    }
    return runner.summarize(run, (performance.now() - started) / 1000);
  } finally {
    if (!options.runner) runner.dispose();
  }
}
