// The worker-thread side of runInWorkers: starts this thread's engine, imports the job module,
// runs the payload, and posts back the result or the error (name and message, for the caller's
// one-line report).
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine, type BackendName } from '../engine/index.js';
import type { JobFunction, WorkerMessage } from './pool.js';

interface Data {
  jobModule: string;
  payload: unknown;
  backend: BackendName;
  threads: number;
}

const data = workerData as Data;
const post = (m: WorkerMessage) => parentPort?.postMessage(m);
try {
  await initEngine({ backend: data.backend, threads: data.threads });
  const mod = (await import(data.jobModule)) as { runJob: JobFunction<unknown, unknown> };
  const result = await mod.runJob(data.payload, (message) => post({ type: 'progress', message }));
  post({ type: 'done', result });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message, stack: e.stack });
}
