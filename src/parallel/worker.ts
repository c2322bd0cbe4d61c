// The worker-thread side of runTasks: starts this thread's engine and imports the job module once,
// then runs the tasks the pool sends, one at a time, posting back each result, or the first error
// (name and message, for the caller's one-line report), until the pool sends null.
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine, type BackendName } from '../engine/index.js';
import type { JobFunction, TaskMessage, WorkerMessage } from './pool.js';

interface Data {
  jobModule: string;
  backend: BackendName;
  threads: number;
}

const data = workerData as Data;
const port = parentPort;
const post = (m: WorkerMessage) => port?.postMessage(m);
const fail = (error: unknown) => {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message, stack: e.stack });
};
try {
  await initEngine({ backend: data.backend, threads: data.threads });
  const mod = (await import(data.jobModule)) as { runJob: JobFunction<unknown, unknown> };
  port?.on('message', (m: TaskMessage) => {
    if (m === null) {
      port.close();
      return;
    }
    Promise.resolve()
      .then(() =>
        mod.runJob(m.payload, (message) => post({ type: 'progress', task: m.task, message })),
      )
      .then((result) => post({ type: 'done', task: m.task, result }), fail);
  });
  post({ type: 'ready' });
} catch (error) {
  fail(error);
}
