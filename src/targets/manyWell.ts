// Many-Well: d/2 independent copies of the 2-d double well
//   log p(x1, x2) = -x1^4 + 6 x1^2 + 0.5 x1 - 0.5 x2^2,
// on consecutive coordinate pairs (z_0, z_1), (z_2, z_3), ... (x1 at even indices, as in the FAB
// code). Unnormalized with known log Z = (d/2) (ln Z1 + 0.5 ln 2 pi), Z1 = int exp(-x^4 + 6x^2 + 0.5x).
// The x1 marginal has two wells (at ~ +1.75 and ~ -1.71, mass ~ 0.84 / 0.16) separated by a
// barrier ~ e^10 lower, so there are 2^(d/2) modes.
import {
  tf,
  type NativeTargetSpec,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { NATIVE_TARGET } from './nativeIds.js';
import { checkParticles, TargetError, type Target } from './target.js';
import { LOG_2PI, checkSampleCount, keptConstant, uploadRows } from './common.js';

/** Log density of the double-well coordinate x1, up to its normalizer Z1. */
function doubleWellLog(x: number): number {
  const x2 = x * x;
  return -x2 * x2 + 6 * x2 + 0.5 * x;
}

let cachedLogZ1: number | undefined;

/**
 * ln Z1 by the trapezoidal rule on [-8, 8] with step 1e-3. The integrand is analytic and below
 * e^-3000 of its peak at +-8, where the trapezoidal rule converges geometrically: steps of 0.1 and
 * 0.001 agree to all printed digits (Z1 = 11784.509265...).
 */
export function doubleWellLogZ1(): number {
  if (cachedLogZ1 === undefined) {
    const h = 1e-3;
    const n = Math.round(16 / h);
    const peak = 10; // above the maximum of doubleWellLog (~9.9): keeps exp() in range
    let s = 0;
    for (let i = 0; i <= n; i++) {
      const w = i === 0 || i === n ? 0.5 : 1;
      s += w * Math.exp(doubleWellLog(-8 + i * h) - peak);
    }
    cachedLogZ1 = Math.log(s * h) + peak;
  }
  return cachedLogZ1;
}

/** Root of d/dx doubleWellLog = -4x^3 + 12x + 0.5 near x0 (Newton). */
function stationaryPoint(x0: number): number {
  let x = x0;
  for (let i = 0; i < 60; i++) x -= (-4 * x * x * x + 12 * x + 0.5) / (-12 * x * x + 12);
  return x;
}

interface Envelope {
  modes: [number, number];
  probFirst: number;
  sd: number;
  logM: number; // log sup f/g with margin, f the unnormalized x1 density, g the envelope density
}

let cachedEnvelope: Envelope | undefined;

/**
 * Rejection envelope for x1: a two-Gaussian mixture centred on the wells, weighted by the wells'
 * masses, sd 0.42 (narrower than ~0.39 lets the barrier region dominate the bound; this gives
 * acceptance ~0.49). M = sup f/g is taken on a grid of step 1e-3 over [-6, 6]: outside, -x^4
 * falls faster than the Gaussian tails, so f/g decreases. At a smooth interior maximum the grid
 * underestimates log M by at most |(log f/g)''| h^2 / 8 < 1e-5, so a margin of 0.01 in log M is
 * safe by three orders of magnitude; sampling also re-checks f/g <= M on every proposal.
 */
function envelope(): Envelope {
  if (cachedEnvelope) return cachedEnvelope;
  const right = stationaryPoint(1.7);
  const left = stationaryPoint(-1.7);
  const barrier = stationaryPoint(0);
  // Well masses: midpoint rule on each side of the barrier.
  let massRight = 0;
  let massLeft = 0;
  const h = 1e-3;
  for (let x = -8 + h / 2; x < 8; x += h) {
    const f = Math.exp(doubleWellLog(x) - 10);
    if (x < barrier) massLeft += f;
    else massRight += f;
  }
  const probFirst = massRight / (massRight + massLeft);
  const sd = 0.42;
  const partial: Envelope = { modes: [right, left], probFirst, sd, logM: 0 };
  let logM = -Infinity;
  for (let i = 0; i <= 12000; i++) {
    const x = -6 + i * 1e-3;
    logM = Math.max(logM, doubleWellLog(x) - envelopeLog(partial, x));
  }
  cachedEnvelope = { ...partial, logM: logM + 0.01 };
  return cachedEnvelope;
}

function envelopeLog(e: Envelope, x: number): number {
  const a = (x - e.modes[0]) / e.sd;
  const b = (x - e.modes[1]) / e.sd;
  const g = e.probFirst * Math.exp(-0.5 * a * a) + (1 - e.probFirst) * Math.exp(-0.5 * b * b);
  return Math.log(g) - Math.log(e.sd) - 0.5 * LOG_2PI;
}

/** Exact draws of x1 by rejection sampling from the two-Gaussian envelope. */
function sampleDoubleWell(count: number, rng: Rng): Float64Array {
  const e = envelope();
  const out = new Float64Array(count);
  let have = 0;
  while (have < count) {
    // Acceptance is ~0.49: propose ~2.2x what is missing so one round usually suffices.
    const batch = Math.ceil(2.2 * (count - have)) + 16;
    const pick = rng.uniformArray(batch);
    const eps = rng.normalArray(batch);
    const u = rng.uniformArray(batch);
    for (let i = 0; i < batch && have < count; i++) {
      const x =
        ((pick[i] as number) < e.probFirst ? e.modes[0] : e.modes[1]) + e.sd * (eps[i] as number);
      const logRatio = doubleWellLog(x) - envelopeLog(e, x) - e.logM;
      if (logRatio > 0) {
        throw new TargetError(
          `many-well: rejection bound violated at x = ${x} (log ratio ${logRatio})`,
        );
      }
      if (Math.log(u[i] as number) < logRatio) out[have++] = x;
    }
  }
  return out;
}

export interface ManyWellOptions {
  /** Even dimension (default 32): dim/2 independent double wells. */
  dim?: number;
}

export class ManyWellTarget implements Target {
  readonly name = 'many-well';
  readonly dim: number;
  readonly logZ: number;
  // 1 on double-well coordinates (even indices), 0 on Gaussian ones, and its complement:
  // elementwise masks avoid reshapes and keep the graph cheap for second-order gradients.
  private readonly wellMask: Tensor;
  private readonly gaussMask: Tensor;

  constructor(options: ManyWellOptions = {}) {
    const d = options.dim ?? 32;
    if (!Number.isInteger(d) || d < 2 || d % 2 !== 0) {
      throw new TargetError(`target '${this.name}': dim must be an even integer >= 2, got ${d}`);
    }
    this.dim = d;
    this.logZ = (d / 2) * (doubleWellLogZ1() + 0.5 * LOG_2PI);
    const mask = Float64Array.from({ length: d }, (_, i) => (i % 2 === 0 ? 1 : 0));
    this.wellMask = keptConstant(mask, [d]);
    this.gaussMask = keptConstant(
      mask.map((m) => 1 - m),
      [d],
    );
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const sq = tf.square(z);
      // -x^4 + 6x^2 + 0.5x = x^2 (6 - x^2) + 0.5x
      const well = tf.add(tf.mul(sq, tf.sub(6, sq)), tf.mul(0.5, z));
      const gauss = tf.mul(-0.5, sq);
      return tf.sum(
        tf.add(tf.mul(this.wellMask, well), tf.mul(this.gaussMask, gauss)),
        -1,
      ) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      // d/dx1 = -4x^3 + 12x + 0.5 = 4x (3 - x^2) + 0.5;  d/dx2 = -x2
      const well = tf.add(tf.mul(tf.mul(4, z), tf.sub(3, tf.square(z))), 0.5);
      return tf.sub(tf.mul(this.wellMask, well), tf.mul(this.gaussMask, z)) as Tensor2D;
    });
  }

  nativeSpec(): NativeTargetSpec {
    return { id: NATIVE_TARGET['many-well'], params: new Float32Array(0) };
  }

  sample(n: number, rng: Rng): Tensor2D {
    checkSampleCount(this.name, n);
    const d = this.dim;
    const half = d / 2;
    const x1 = sampleDoubleWell(n * half, rng);
    const x2 = rng.normalArray(n * half);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n * half; i++) {
      out[2 * i] = x1[i] as number;
      out[2 * i + 1] = x2[i] as number;
    }
    return uploadRows(out, n, d);
  }

  dispose(): void {
    this.wellMask.dispose();
    this.gaussMask.dispose();
  }
}

/** Many-Well (default d = 32: 16 double wells, log Z = 164.6957). */
export function manyWellTarget(options: ManyWellOptions = {}): ManyWellTarget {
  return new ManyWellTarget(options);
}
