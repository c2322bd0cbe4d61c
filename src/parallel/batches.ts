// A run of batches shared out over worker threads: runBatches(request, workers) gives each worker a
// consecutive group of the run's batches, which it builds from the request and runs (batchJob.ts),
// and combines their runs into the run's summary. Every batch draws from its own random stream, so
// any number of workers gives the numbers of a run in this thread, bit for bit.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBackend, type BackendName } from '../engine/index.js';
import { combineBatchRuns, poolReadings, type BatchRun } from '../eval/estimateLogZ.js';
import type { StepDiagnostics } from '../annealing/ais.js';
import {
  openBatchRunner,
  type BatchJob,
  type BatchProgress,
  type BatchRunner,
  type BatchSummary,
  type OnReading,
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
   * Each step's readings over the whole run, in step order, e.g. for a live plot: with workers, a
   * step's readings are pooled (as the run's per-step diagnostics are) once every worker has
   * reported it. Each worker then reads its readings off the device at every step.
   */
  onReading?: OnReading;
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
      run = runner.run(0, batches, {
        ...(options.onStep ? { onStep: options.onStep } : {}),
        ...(options.onReading ? { onReading: options.onReading } : {}),
      });
    } else {
      const groups = batchGroups(batches, n);
      const progress = workerProgress(
        groups.map((g) => g.count),
        options,
      );
      const runs = await runTasks<BatchJob, BatchRun>(
        jobModule(),
        groups.map((g) => ({ request, ...g, readings: options.onReading !== undefined })),
        {
          workers: n,
          backend: options.backend ?? (currentBackend() as BackendName),
          ...(options.threads !== undefined ? { threads: options.threads } : {}),
        },
        { onProgress: (w, message) => progress(w, message as BatchProgress) },
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

/**
 * The caller's progress from the workers' messages: the step every worker has reached, and each
 * step's readings pooled over the workers once all of them have reported it, in step order.
 */
function workerProgress(
  counts: readonly number[],
  options: { onStep?: OnStep; onReading?: OnReading },
): (worker: number, message: BatchProgress) => void {
  const at = new Array<number>(counts.length).fill(0);
  const pending = new Map<number, (StepDiagnostics | undefined)[]>();
  let reported = 0;
  let previousLogZ = 0;
  return (worker, { step, steps, reading }) => {
    at[worker] = step;
    const slowest = Math.min(...at);
    options.onStep?.(slowest, steps);
    if (!options.onReading || !reading) return;
    const row = pending.get(step) ?? new Array<StepDiagnostics | undefined>(counts.length);
    row[worker] = reading;
    pending.set(step, row);
    // Steps reach every worker in order, so the next step to report is complete when the slowest
    // worker has passed it.
    for (let k = reported + 1; k <= slowest; k++) {
      const readings = pending.get(k);
      pending.delete(k);
      if (!readings || readings.some((r) => r === undefined)) continue;
      const pooled = poolReadings(readings as StepDiagnostics[], counts, previousLogZ);
      previousLogZ = pooled.logZ;
      options.onReading(pooled, steps);
      reported = k;
    }
  };
}
