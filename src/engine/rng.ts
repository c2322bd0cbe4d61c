// Seeded random streams. Numbers are generated on the host with xoshiro128** (seeded through
// splitmix32 from the stream key and a draw counter) and uploaded as tensors, so the same seed gives
// the same numbers on every backend. A stream's whole state is (key, counter): serializable for
// checkpoints, and split() derives independent child streams. Rng.joint() ties child streams into
// lanes of one stream, one per batch of particles, so that a batch draws the same numbers whether
// it runs alone or beside others.
//
// Normals use Box-Muller with our own log and sin/cos polynomials (only +, -, *, / and sqrt, each
// correctly rounded), so the native generator (native/src/rng.cc), which evaluates the same
// polynomials in the same order, produces exactly the same doubles: a seed gives the same numbers
// with or without the native addon.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadNative } from './native.js';

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

const LN2 = 0.69314718055994529;
const SQRT2 = 1.4142135623730951;
const TWO_PI = 6.2831853071795862;
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer); // little-endian: U32[1] holds the sign and exponent

/** log(u) for u in (0, 1): u = 2^e m, m in (1/sqrt2, sqrt2], log m = 2 atanh((m - 1) / (m + 1)). */
function logOpenUnit(u: number): number {
  F64[0] = u;
  const hi = U32[1] as number;
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  U32[1] = (hi & 0x000fffff) | 0x3ff00000;
  let m = F64[0] as number;
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const f = m - 1;
  const s = f / (2 + f);
  const s2 = s * s;
  let p = 0.086956521739130432;
  p = 0.095238095238095233 + s2 * p;
  p = 0.10526315789473684 + s2 * p;
  p = 0.11764705882352941 + s2 * p;
  p = 0.13333333333333333 + s2 * p;
  p = 0.15384615384615385 + s2 * p;
  p = 0.18181818181818182 + s2 * p;
  p = 0.22222222222222221 + s2 * p;
  p = 0.2857142857142857 + s2 * p;
  p = 0.40000000000000002 + s2 * p;
  p = 0.66666666666666663 + s2 * p;
  return e * LN2 + (2 * s + s * s2 * p);
}

/** Writes cos(2 pi u) and sin(2 pi u) into out[0], out[1] (u in (0, 1)). */
function cosSin2Pi(u: number, out: Float64Array): void {
  const q = Math.floor(4 * u + 0.5);
  const r = u - q * 0.25;
  const x = r * TWO_PI;
  const x2 = x * x;
  let sp = 2.8114572543455206e-15;
  sp = -7.6471637318198164e-13 + x2 * sp;
  sp = 1.6059043836821613e-10 + x2 * sp;
  sp = -2.505210838544172e-8 + x2 * sp;
  sp = 0.0000027557319223985893 + x2 * sp;
  sp = -0.00019841269841269841 + x2 * sp;
  sp = 0.0083333333333333332 + x2 * sp;
  sp = -0.16666666666666666 + x2 * sp;
  const sn = x + x * x2 * sp;
  let cp = 4.7794773323873853e-14;
  cp = -1.1470745597729725e-11 + x2 * cp;
  cp = 2.08767569878681e-9 + x2 * cp;
  cp = -2.7557319223985888e-7 + x2 * cp;
  cp = 0.000024801587301587302 + x2 * cp;
  cp = -0.0013888888888888889 + x2 * cp;
  cp = 0.041666666666666664 + x2 * cp;
  cp = -0.5 + x2 * cp;
  const cs = 1 + x2 * cp;
  // q is 0..4; quadrant 4 is quadrant 0.
  out[0] = q === 1 ? -sn : q === 2 ? -cs : q === 3 ? sn : cs;
  out[1] = q === 1 ? cs : q === 2 ? -sn : q === 3 ? -cs : sn;
}

let nativeRandom = true;

/**
 * Draws with the native generator where the addon is loaded (default), or always in JavaScript.
 * Both give the same numbers; the switch exists for tests and benchmarks of the two paths.
 */
export function setNativeRandom(on: boolean): void {
  nativeRandom = on;
}

/** n streams: a tuple of n Rng for a literal n (up to 64), an array otherwise. */
export type Streams<N extends number> = number extends N ? Rng[] : TupleOf<N, []>;
export type TupleOf<N extends number, R extends Rng[]> = R['length'] extends N
  ? R
  : R['length'] extends 64
    ? Rng[]
    : TupleOf<N, [...R, Rng]>;

export class Rng {
  /**
   * One key per lane. A plain stream has one lane; a joint stream (Rng.joint) has one per batch,
   * all advancing together: each draw splits its leading dimension evenly over the lanes and
   * fills lane b's share from lane b's own stream, so a batch's numbers do not depend on which
   * other batches are drawn with it (the basis of bit-identical parallel runs).
   */
  private readonly keys: [number, number][];
  private counter: number;

  private constructor(keys: [number, number][], counter: number) {
    this.keys = keys;
    this.counter = counter;
  }

  /** A stream from an integer seed. */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const st = { s: lo ^ 0x5bd1e995 };
    const st2 = { s: hi ^ 0x1b873593 };
    return new Rng([[splitmix32(st) ^ splitmix32(st2), splitmix32(st2) ^ splitmix32(st)]], 0);
  }

  static fromState(state: RngState): Rng {
    return new Rng([[state.key[0] >>> 0, state.key[1] >>> 0]], state.counter);
  }

  /**
   * The streams as lanes of one joint stream (they must be plain streams at the same position):
   * draws of shape [m, ...] take rows [b m / L, (b + 1) m / L) from stream b of the L streams.
   */
  static joint(streams: readonly Rng[]): Rng {
    if (streams.length === 0) throw new RangeError('a joint stream needs at least one stream');
    const counter = (streams[0] as Rng).counter;
    for (const s of streams) {
      if (s.keys.length !== 1 || s.counter !== counter)
        throw new RangeError('a joint stream needs plain streams at the same position');
    }
    return new Rng(
      streams.map((s) => [...(s.keys[0] as [number, number])] as [number, number]),
      counter,
    );
  }

  /** Number of lanes: 1 for a plain stream. */
  get lanes(): number {
    return this.keys.length;
  }

  private plain(what: string): [number, number] {
    if (this.keys.length !== 1)
      throw new RangeError(`a joint stream of ${this.keys.length} lanes cannot ${what}`);
    return this.keys[0] as [number, number];
  }

  state(): RngState {
    const key = this.plain('be saved as one stream state');
    return { key: [key[0], key[1]], counter: this.counter };
  }

  /** Each lane's share of a draw of n numbers (which must split evenly). */
  private share(n: number, shape?: number[]): number {
    const lanes = this.keys.length;
    if (lanes === 1) return n;
    const lead = shape ? (shape[0] ?? 1) : n;
    if (lead % lanes !== 0)
      throw new RangeError(
        `a joint stream of ${lanes} lanes cannot draw [${shape ? shape.join(', ') : n}]: ` +
          'the leading dimension must split evenly over the lanes (one batch each)',
      );
    return n / lanes;
  }

  private generator(lane: number, counter: number): Xoshiro128 {
    const key = this.keys[lane] as [number, number];
    return new Xoshiro128(key[0], key[1], counter);
  }

  /**
   * Hands the next `draws` draws to native code that reproduces them (the fused chains): returns
   * the lanes' keys and the current counter and advances the counter past them, as if drawn here.
   */
  reserve(draws: number): { keys: [number, number][]; counter: number } {
    if (!Number.isInteger(draws) || draws < 0) {
      throw new RangeError(`draws must be a non-negative integer, got ${draws}`);
    }
    const out = {
      keys: this.keys.map((k) => [k[0], k[1]] as [number, number]),
      counter: this.counter,
    };
    this.counter += draws;
    return out;
  }

  /**
   * The n child streams that split(n) would return, without advancing this stream: a run's batches
   * can be drawn in any number of groups, each from the same children.
   */
  children<N extends number>(n: N): Streams<N> {
    this.plain('split');
    return new Rng([...this.keys], this.counter).split(n);
  }

  /**
   * n independent child streams; the parent advances by one draw. With a literal n the result is
   * a tuple (`const [a, b] = rng.split(2)` gives two Rng, not Rng | undefined).
   */
  split<N extends number>(n: N): Streams<N> {
    this.plain('split');
    const g = this.generator(0, this.counter);
    this.counter += 1;
    return Array.from(
      { length: n },
      () => new Rng([[g.nextUint32(), g.nextUint32()]], 0),
    ) as Streams<N>;
  }

  /** Uniform numbers in (0, 1) on the host. */
  uniformArray(n: number): Float64Array {
    const per = this.share(n);
    const counter = this.counter;
    this.counter += 1;
    const out = new Float64Array(n);
    for (let lane = 0; lane < this.keys.length; lane++) {
      const g = this.generator(lane, counter);
      for (let i = lane * per; i < (lane + 1) * per; i++) out[i] = g.nextOpenUnit();
    }
    return out;
  }

  /** Standard normal numbers on the host (Box-Muller). */
  normalArray(n: number): Float64Array {
    return this.normalsInto(new Float64Array(n));
  }

  /** Fills `out` with one draw of standard normals (natively where the addon is loaded). */
  private normalsInto<T extends Float32Array | Float64Array>(out: T, shape?: number[]): T {
    const per = this.share(out.length, shape);
    const counter = this.counter;
    this.counter += 1;
    const native = nativeRandom ? loadNative() : null;
    for (let lane = 0; lane < this.keys.length; lane++) {
      const part = out.subarray(lane * per, (lane + 1) * per) as T;
      const key = this.keys[lane] as [number, number];
      if (native) {
        native.normals(key[0] >>> 0, key[1] >>> 0, counter, part);
        continue;
      }
      const g = this.generator(lane, counter);
      const cs = new Float64Array(2);
      for (let i = 0; i < per; i += 2) {
        const r = Math.sqrt(-2 * logOpenUnit(g.nextOpenUnit()));
        cosSin2Pi(g.nextOpenUnit(), cs);
        part[i] = r * (cs[0] as number);
        if (i + 1 < per) part[i + 1] = r * (cs[1] as number);
      }
    }
    return out;
  }

  /** A float32 tensor of standard normals. */
  normal(shape: number[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.normalsInto(new Float32Array(n), shape), shape, 'float32');
  }

  /** A float32 tensor of uniforms in [lo, hi). */
  uniform(shape: number[], lo = 0, hi = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const per = this.share(n, shape);
    const counter = this.counter;
    this.counter += 1;
    const out = new Float32Array(n);
    const native = nativeRandom ? loadNative() : null;
    for (let lane = 0; lane < this.keys.length; lane++) {
      const part = out.subarray(lane * per, (lane + 1) * per);
      const key = this.keys[lane] as [number, number];
      if (native) {
        native.uniforms(key[0] >>> 0, key[1] >>> 0, counter, lo, hi, part);
        continue;
      }
      const g = this.generator(lane, counter);
      for (let i = 0; i < per; i++) part[i] = lo + (hi - lo) * g.nextOpenUnit();
    }
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
