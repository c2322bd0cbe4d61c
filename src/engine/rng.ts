// Seeded random streams. Numbers are generated on the host with xoshiro128** (seeded through
// splitmix32 from the stream key and a draw counter) and uploaded as tensors, so the same seed gives
// the same numbers on every backend. A stream's whole state is (key, counter): serializable for
// checkpoints, and split() derives independent child streams.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';

export interface RngState {
  key: [number, number];
  counter: number;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A xoshiro128** generator for one draw. */
class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(k0: number, k1: number, counter: number) {
    const st = { s: (k0 ^ Math.imul(counter + 1, 0x632be5ab)) | 0 };
    const st2 = { s: (k1 ^ Math.imul(counter + 7, 0x2545f491)) | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st2);
    this.c = splitmix32(st);
    this.d = splitmix32(st2) | 1;
  }
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
  /** Uniform in (0, 1) with 53 random bits, never exactly 0 or 1. */
  nextOpenUnit(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  private readonly key: [number, number];
  private counter: number;

  private constructor(key: [number, number], counter: number) {
    this.key = key;
    this.counter = counter;
  }

  /** A stream from an integer seed. */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const st = { s: lo ^ 0x5bd1e995 };
    const st2 = { s: hi ^ 0x1b873593 };
    return new Rng([splitmix32(st) ^ splitmix32(st2), splitmix32(st2) ^ splitmix32(st)], 0);
  }

  static fromState(state: RngState): Rng {
    return new Rng([state.key[0] >>> 0, state.key[1] >>> 0], state.counter);
  }

  state(): RngState {
    return { key: [this.key[0], this.key[1]], counter: this.counter };
  }

  private nextGenerator(): Xoshiro128 {
    const g = new Xoshiro128(this.key[0], this.key[1], this.counter);
    this.counter += 1;
    return g;
  }

  /** n independent child streams; the parent advances by one draw. */
  split(n: number): Rng[] {
    const g = this.nextGenerator();
    return Array.from({ length: n }, () => new Rng([g.nextUint32(), g.nextUint32()], 0));
  }

  /** Uniform numbers in (0, 1) on the host. */
  uniformArray(n: number): Float64Array {
    const g = this.nextGenerator();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = g.nextOpenUnit();
    return out;
  }

  /** Standard normal numbers on the host (Box-Muller). */
  normalArray(n: number): Float64Array {
    const g = this.nextGenerator();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(g.nextOpenUnit()));
      const theta = 2 * Math.PI * g.nextOpenUnit();
      out[i] = r * Math.cos(theta);
      if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
    }
    return out;
  }

  /** A float32 tensor of standard normals. */
  normal(shape: number[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Float32Array.from(this.normalArray(n)), shape, 'float32');
  }

  /** A float32 tensor of uniforms in [lo, hi). */
  uniform(shape: number[], lo = 0, hi = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const u = this.uniformArray(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * (u[i] as number);
    return tf.tensor(out, shape, 'float32');
  }

  /**
   * Categorical draws from unnormalized log-probabilities [B, K]: returns int32 indices [B, S],
   * computed on the device by inverting the cumulative distribution (no host round-trip).
   */
  categorical(logits: Tensor, numSamples: number): Tensor {
    return tf.tidy(() => {
      const u = this.uniform([logits.shape[0] as number, numSamples]);
      const m = tf.max(logits, -1, true);
      const p = tf.exp(tf.sub(logits, m));
      const cdf = tf.cumsum(p, 1); // cumsum mishandles negative axes
      const total = tf.sum(p, -1, true);
      const scaled = tf.mul(u, total).expandDims(2); // [B, S, 1]
      const below = tf.less(cdf.expandDims(1), scaled); // [B, S, K]
      const idx = tf.sum(tf.cast(below, 'int32'), -1);
      // Guard against float round-off pushing an index past the end.
      return tf.minimum(idx, (logits.shape[1] as number) - 1);
    });
  }
}
