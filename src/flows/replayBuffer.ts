// The prioritized replay buffer of flow annealed importance sampling bootstrap (FAB, Midgley et
// al. 2023), on the host: AIS draws x targeting g = p^alpha q^(1 - alpha) with their log weights
// log w and the flow's log q(x) when they were made. Minibatches are drawn in proportion to w,
// without replacement (Gumbel top-k); after the flow has moved on, a drawn point's weight is
// brought up to date, w <- w (q_new(x) / q_old(x))^(1 - alpha), since g itself moved with q, and
// log q_old becomes log q_new. The oldest points are overwritten when the buffer is full.
import type { Rng } from '../engine/index.js';
import { permutation } from '../data/batches.js';
import { FlowError } from './bijection.js';

export interface ReplayBufferState {
  dim: number;
  capacity: number;
  /** Points written so far (the next write goes to filled % capacity). */
  filled: number;
  /** Base64 of the float32 rows, of the float64 log weights and float32 log q. */
  x: string;
  logW: string;
  logQ: string;
}

// Base64 by btoa/atob (in Node and browsers alike), in chunks that fit an argument list.
function encode(a: Float32Array | Float64Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function decode<T extends Float32Array | Float64Array>(
  text: string,
  make: (b: ArrayBuffer) => T,
  length: number,
  what: string,
): T {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new FlowError(`the saved replay buffer's ${what} are not base64`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const per = make(new ArrayBuffer(0)).BYTES_PER_ELEMENT;
  if (bytes.length !== length * per)
    throw new FlowError(
      `the saved replay buffer's ${what} have ${bytes.length / per} values, not ${length}`,
    );
  return make(bytes.buffer);
}

export class ReplayBuffer {
  readonly x: Float32Array;
  /** -Infinity marks an empty or discarded slot (never drawn). */
  readonly logW: Float64Array;
  readonly logQ: Float32Array;
  /** Points written so far, discarded ones included. */
  filled = 0;

  constructor(
    readonly dim: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(capacity) || capacity < 1)
      throw new FlowError(`a replay buffer needs a positive dim and capacity`);
    this.x = new Float32Array(capacity * dim);
    this.logW = new Float64Array(capacity).fill(-Infinity);
    this.logQ = new Float32Array(capacity);
  }

  /** Slots that hold a point with a finite weight. */
  get size(): number {
    let n = 0;
    for (const w of this.logW) if (w > -Infinity) n++;
    return n;
  }

  /**
   * Appends rows (x row-major [n, dim]), overwriting the oldest when full. A row with a non-finite
   * coordinate, weight or log q is dropped (its slot keeps what it held), as FAB's buffer does.
   */
  add(x: ArrayLike<number>, logW: ArrayLike<number>, logQ: ArrayLike<number>): void {
    const n = logW.length;
    if (x.length !== n * this.dim || logQ.length !== n)
      throw new FlowError('replay buffer: rows, weights and log q disagree in length');
    const d = this.dim;
    for (let i = 0; i < n; i++) {
      const slot = (this.filled + i) % this.capacity;
      const w = logW[i] as number;
      const q = logQ[i] as number;
      let ok = Number.isFinite(w) && Number.isFinite(q);
      for (let j = 0; ok && j < d; j++) ok = Number.isFinite(x[i * d + j] as number);
      if (!ok) continue;
      for (let j = 0; j < d; j++) this.x[slot * d + j] = x[i * d + j] as number;
      this.logW[slot] = w;
      this.logQ[slot] = q;
    }
    this.filled += n;
  }

  /**
   * n distinct slots drawn in proportion to their weights without replacement (Gumbel top-k:
   * the n largest log w + Gumbel noise), in random order. Needs n points with finite weight.
   */
  sample(n: number, rng: Rng): Int32Array {
    const m = this.capacity;
    if (n > this.size)
      throw new FlowError(`replay buffer holds ${this.size} points, fewer than the ${n} asked for`);
    const u = rng.uniformArray(m);
    const keys = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const w = this.logW[i] as number;
      // Gumbel noise -log(-log u); u = 0 maps to -Infinity, never drawn.
      keys[i] = w === -Infinity ? -Infinity : w - Math.log(-Math.log(u[i] as number));
    }
    const picked = topK(keys, n);
    // In random order, so that consecutive minibatches mix heavy and light points.
    return Int32Array.from(permutation(n, rng), (i) => picked[i] as number);
  }

  /** Rows of the given slots, row-major [n, dim]. */
  rows(slots: ArrayLike<number>): Float32Array {
    const d = this.dim;
    const out = new Float32Array(slots.length * d);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] as number;
      out.set(this.x.subarray(s * d, (s + 1) * d), i * d);
    }
    return out;
  }

  /**
   * Brings drawn points up to date with the flow that took its gradient from them: log w += the
   * adjustment (1 - alpha)(log q_new - log q_old), log q_old <- log q_new. A non-finite adjustment
   * or log q discards the point.
   */
  adjust(
    slots: ArrayLike<number>,
    logWAdjust: ArrayLike<number>,
    logQNew: ArrayLike<number>,
  ): void {
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] as number;
      const a = logWAdjust[i] as number;
      const q = logQNew[i] as number;
      if (Number.isFinite(a) && Number.isFinite(q)) {
        this.logW[s] = (this.logW[s] as number) + a;
        this.logQ[s] = q;
      } else {
        this.logW[s] = -Infinity;
      }
    }
  }

  save(): ReplayBufferState {
    return {
      dim: this.dim,
      capacity: this.capacity,
      filled: this.filled,
      x: encode(this.x),
      logW: encode(this.logW),
      logQ: encode(this.logQ),
    };
  }

  load(state: ReplayBufferState): void {
    if (state.dim !== this.dim || state.capacity !== this.capacity)
      throw new FlowError(
        `the saved replay buffer holds ${state.capacity} points of dim ${state.dim}, this one ${this.capacity} of dim ${this.dim}`,
      );
    this.x.set(decode(state.x, (b) => new Float32Array(b), this.x.length, 'points'));
    this.logW.set(decode(state.logW, (b) => new Float64Array(b), this.capacity, 'weights'));
    this.logQ.set(decode(state.logQ, (b) => new Float32Array(b), this.capacity, 'log q'));
    this.filled = state.filled;
  }
}

/** Indices of the k largest keys (ties and -Infinity last), by a size-k min-heap. */
function topK(keys: Float64Array, k: number): Int32Array {
  const heap = new Int32Array(k);
  let size = 0;
  const less = (a: number, b: number) => (keys[a] as number) < (keys[b] as number);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && less(heap[l] as number, heap[m] as number)) m = l;
      if (r < size && less(heap[r] as number, heap[m] as number)) m = r;
      if (m === i) return;
      const t = heap[i] as number;
      heap[i] = heap[m] as number;
      heap[m] = t;
      i = m;
    }
  };
  for (let i = 0; i < keys.length; i++) {
    if (size < k) {
      heap[size] = i;
      size++;
      for (let c = size - 1; c > 0;) {
        const p = (c - 1) >> 1;
        if (!less(heap[c] as number, heap[p] as number)) break;
        const t = heap[c] as number;
        heap[c] = heap[p] as number;
        heap[p] = t;
        c = p;
      }
    } else if ((keys[i] as number) > (keys[heap[0] as number] as number)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap;
}
