// Neal's funnel: v ~ N(0, s^2), x_i | v ~ N(0, e^v) for i = 1..d-1; z = [v, x_1, ..., x_{d-1}].
// Normalized, so log Z = 0. The neck (v << 0) has scales e^{v/2} that differ by orders of
// magnitude from the mouth, which is what makes it hard for fixed-step samplers.
import {
  tf,
  type NativeTargetSpec,
  type Rng,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { NATIVE_TARGET } from './nativeIds.js';
import { checkParticles, type Target } from './target.js';
import { LOG_2PI, checkDim, checkPositive, checkSampleCount } from './common.js';

export interface FunnelOptions {
  /** Dimension d >= 2 (default 10): one neck coordinate v and d - 1 coordinates x. */
  dim?: number;
  /** Standard deviation of v (default 3). */
  scale?: number;
}

export class FunnelTarget implements Target {
  readonly name = 'funnel';
  readonly dim: number;
  readonly logZ = 0;
  readonly scale: number;

  constructor(options: FunnelOptions = {}) {
    this.dim = options.dim ?? 10;
    this.scale = options.scale ?? 3;
    checkDim(this.name, this.dim, 2);
    checkPositive(this.name, 'scale', this.scale);
  }

  /** Splits z into v [N] and x [N, d-1], plus e^{-v} [N] and sum x^2 [N]. */
  private parts(z: Tensor2D) {
    const n = z.shape[0];
    const v = tf.reshape(tf.slice(z, [0, 0], [n, 1]), [n]);
    const x = tf.slice(z, [0, 1], [n, this.dim - 1]);
    return { v, x, expNegV: tf.exp(tf.neg(v)), sumSq: tf.sum(tf.square(x), -1) };
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const m = this.dim - 1;
      const { v, expNegV, sumSq } = this.parts(z);
      const s2 = this.scale * this.scale;
      // log N(v; 0, s^2) + sum_i log N(x_i; 0, e^v)
      const logPv = tf.sub(tf.mul(-0.5 / s2, tf.square(v)), 0.5 * Math.log(2 * Math.PI * s2));
      const logPx = tf.sub(
        tf.mul(-0.5, tf.add(tf.mul(sumSq, expNegV), tf.mul(m, v))),
        0.5 * m * LOG_2PI,
      );
      return tf.add(logPv, logPx) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const n = z.shape[0];
      const m = this.dim - 1;
      const { v, x, expNegV, sumSq } = this.parts(z);
      // d/dv = -v/s^2 + 0.5 e^{-v} sum x^2 - (d-1)/2;  d/dx_i = -x_i e^{-v}
      const dv = tf.sub(
        tf.add(tf.mul(-1 / (this.scale * this.scale), v), tf.mul(0.5, tf.mul(sumSq, expNegV))),
        0.5 * m,
      );
      const dx = tf.neg(tf.mul(x, tf.reshape(expNegV, [n, 1])));
      return tf.concat([tf.reshape(dv, [n, 1]), dx], 1) as Tensor2D;
    });
  }

  nativeSpec(): NativeTargetSpec {
    return { id: NATIVE_TARGET.funnel, params: Float32Array.of(this.scale) };
  }

  sample(n: number, rng: Rng): Tensor2D {
    checkSampleCount(this.name, n);
    return tf.tidy(() => {
      const eps = rng.normal([n, this.dim]) as Tensor2D;
      const v = tf.mul(this.scale, tf.slice(eps, [0, 0], [n, 1]));
      const x = tf.mul(tf.exp(tf.mul(0.5, v)), tf.slice(eps, [0, 1], [n, this.dim - 1]));
      return tf.concat([v, x], 1) as Tensor2D;
    });
  }
}

/** Neal's funnel (default d = 10, v ~ N(0, 3^2)). */
export function funnelTarget(options: FunnelOptions = {}): FunnelTarget {
  return new FunnelTarget(options);
}
