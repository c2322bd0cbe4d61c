// The page's handle on the compute worker: each request is a promise of its final reply, and
// training reports its progress through a callback as the worker streams it.
import type { RunResult } from './targets.js';
import type { Applied, Reply, Request, Trained } from './protocol.js';
import type { Settings } from './settings.js';

type Pending = {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  onProgress?: (elbos: number[], done: number, of: number) => void;
};

export class Compute {
  private readonly worker = new Worker(new URL('./worker.ts', import.meta.url), {
    type: 'module',
  });
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(onCrash: (message: string) => void) {
    this.worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      const p = this.pending.get(reply.id);
      if (!p) return;
      if (reply.type === 'progress') {
        p.onProgress?.(reply.elbos, reply.done, reply.of);
        return;
      }
      this.pending.delete(reply.id);
      if (reply.type === 'error') p.reject(new Error(reply.message));
      else p.resolve(reply);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      const message = event.message || 'the compute worker failed to start';
      for (const p of this.pending.values()) p.reject(new Error(message));
      this.pending.clear();
      onCrash(message);
    };
  }

  private ask(
    request: Exclude<Request, { type: 'stop' }> extends infer R
      ? R extends { id: number }
        ? Omit<R, 'id'>
        : never
      : never,
    onProgress?: Pending['onProgress'],
  ): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...request, id } as Request);
    });
  }

  /** Builds (or adjusts) the sampler for these settings, starting the backend they name. */
  async apply(settings: Settings): Promise<Applied> {
    return (await this.ask({ type: 'apply', settings })) as Applied;
  }

  /** One traced run of the current sampler. */
  async run(): Promise<RunResult> {
    return ((await this.ask({ type: 'run' })) as Extract<Reply, { type: 'ran' }>).result;
  }

  /** Training iterations; progress arrives every few iterations. */
  async train(
    iterations: number,
    onProgress: (elbos: number[], done: number, of: number) => void,
  ): Promise<Trained> {
    return (await this.ask({ type: 'train', iterations }, onProgress)) as Trained;
  }

  /** Ends a training run after the iteration in progress. */
  stop(): void {
    this.worker.postMessage({ type: 'stop' } satisfies Request);
  }
}
