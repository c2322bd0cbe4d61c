// The playground's computation, off the page's thread: the tensor engine, the Playground (target,
// sampler, trainer) and every run and training step live here, so a long run never freezes the
// tab. WebGL works here through OffscreenCanvas. The page sends settings, run, train and stop;
// results come back as plain data, the particle frames as a transferred buffer.
import { initBrowserEngine, type BrowserEngine } from '../../src/browser.js';
import { GRID } from './view.js';
import { Playground } from './playground.js';
import type { Settings } from './settings.js';
import type { Reply, Request } from './protocol.js';
import { WASM_FILES } from './wasmFiles.js';

let playground: Playground | null = null;
let engine: BrowserEngine | null = null;
let settings: Settings | null = null;
let stopRequested = false;
/** Requests run one at a time, in order; 'stop' alone jumps the queue. */
let queue: Promise<void> = Promise.resolve();

const post = (reply: Reply, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(reply, transfer);

/** Structure-defining settings: a change builds a new (untrained) sampler. */
function sameSampler(a: Settings, b: Settings): boolean {
  const keys: (keyof Settings)[] = [
    'target',
    'sampler',
    'steps',
    'stepSize',
    'leapfrog',
    'schedule',
    'resampling',
    'ess',
    'layers',
    'initScale',
    'seed',
    'backend',
  ];
  return keys.every((k) => a[k] === b[k]);
}

async function apply(id: number, next: Settings): Promise<void> {
  const backendChanged = !engine || next.backend !== settings?.backend;
  const rebuild = !playground || !settings || !sameSampler(settings, next);
  if (backendChanged) {
    playground?.dispose();
    playground = null;
    engine = await initBrowserEngine({ backend: next.backend, wasmFiles: WASM_FILES });
  }
  settings = next;
  let density: Float32Array | null = null;
  if (rebuild || !playground) {
    playground?.dispose();
    playground = new Playground(next);
    density = playground.logDensityGrid(GRID);
  } else {
    // Run-time settings: the learned parameters stay; a new batch size or rate restarts Adam.
    const s = playground.settings;
    s.particles = next.particles;
    s.iters = next.iters;
    if (s.batch !== next.batch || s.lr !== next.lr) {
      s.batch = next.batch;
      s.lr = next.lr;
      playground.resetOptimizer();
    }
  }
  const e = engine as BrowserEngine;
  post(
    {
      id,
      type: 'applied',
      engine: { backend: e.backend, gpu: e.gpu, skipped: e.skipped },
      rebuilt: density !== null,
      density,
      learned: playground.learnedSummary(),
      exactLogZ: playground.target.logZ ?? null,
    },
    density ? [density.buffer] : [],
  );
}

function run(id: number): void {
  const result = (playground as Playground).run();
  post({ id, type: 'ran', result }, [result.frames.buffer]);
}

async function train(id: number, iterations: number): Promise<void> {
  const p = playground as Playground;
  stopRequested = false;
  let done = 0;
  let elbos: number[] = [];
  const flush = () => {
    if (elbos.length) post({ id, type: 'progress', elbos, done, of: iterations });
    elbos = [];
  };
  for (let i = 0; i < iterations && !stopRequested; i++) {
    const m = p.trainStep();
    if (!m) break;
    done += 1;
    elbos.push(m.elbo);
    if (done % 5 === 0 || done === iterations) {
      flush();
      // Lets a 'stop' from the page arrive between iterations.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  flush();
  post({ id, type: 'trained', done, learned: p.learnedSummary() });
}

self.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.type === 'stop') {
    stopRequested = true;
    return;
  }
  queue = queue.then(async () => {
    try {
      if (request.type === 'apply') await apply(request.id, request.settings);
      else if (!playground) throw new Error('the sampler is not built yet');
      else if (request.type === 'run') run(request.id);
      else await train(request.id, request.iterations);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      post({ id: request.id, type: 'error', message: text.split('\n')[0] ?? text });
    }
  });
};
