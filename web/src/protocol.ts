// Messages between the page and the compute worker (worker.ts). Every request but 'stop' carries
// an id that its replies repeat.
import type { BrowserEngine } from '../../src/browser.js';
import type { RunResult } from './targets.js';
import type { Settings } from './settings.js';

export type Request =
  | { id: number; type: 'apply'; settings: Settings }
  | { id: number; type: 'run' }
  | { id: number; type: 'train'; iterations: number }
  | { type: 'stop' };

export type Reply =
  | {
      id: number;
      type: 'applied';
      engine: Pick<BrowserEngine, 'backend' | 'gpu' | 'skipped'>;
      /** Whether a new (untrained) sampler was built; then density holds the target's grid. */
      rebuilt: boolean;
      density: Float32Array | null;
      learned: string;
      exactLogZ: number | null;
    }
  | { id: number; type: 'ran'; result: RunResult }
  | { id: number; type: 'progress'; elbos: number[]; done: number; of: number }
  | { id: number; type: 'trained'; done: number; learned: string }
  | { id: number; type: 'error'; message: string };

export type Applied = Extract<Reply, { type: 'applied' }>;
export type Trained = Extract<Reply, { type: 'trained' }>;
