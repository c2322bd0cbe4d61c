// The MCD score network: a residual MLP on [z, (v), context, time features] -> R^dim. Time enters through
// fixed sinusoidal features of t = k / K, so one network serves every step; the output layer starts
// at zero, so a fresh network outputs exactly 0 and MCD starts as its ULA/UHA counterpart. z enters
// multiplied by a fixed input scale (the learned sampler's default: 1 / its initial scale), so a
// target far wider than 1 does not saturate the first tanh layer from the start.
import { tf, dense, type Rng, type Tensor, type Tensor2D } from '../engine/index.js';
import type { ParamStore } from './params.js';
import { z } from 'zod';
import { SCORE_NET_DEFAULTS } from './scoreNetDefaults.js';

export { SCORE_NET_DEFAULTS };

const positiveInt = z.number().int().positive();

/** The config of the score network: one zod schema, its type inferred from it. */
export const ScoreNetConfigSchema = z.strictObject({
  /** Hidden width (default 64). */
  hidden: positiveInt.default(SCORE_NET_DEFAULTS.hidden),
  /** Residual blocks after the input layer (default 2). */
  blocks: z.number().int().nonnegative().default(SCORE_NET_DEFAULTS.blocks),
  /** Number of sinusoidal time features, even (default 8). */
  timeFeatures: positiveInt
    .refine((n) => n % 2 === 0, 'must be even')
    .default(SCORE_NET_DEFAULTS.timeFeatures),
  /**
   * Multiplies z before the first layer (absent: the learned sampler uses 1 / initialScale for its
   * Gaussian start, 1 for a fixed initial distribution).
   */
  inputScale: z.number().positive().optional(),
});

export type ScoreNetConfig = z.infer<typeof ScoreNetConfigSchema>;

export class ResidualScoreNet {
  readonly inputDim: number;
  /** The factor z is multiplied by before the first layer. */
  readonly inputScale: number;

  /**
   * @param dim particle dimension (the output size)
   * @param withMomentum whether the momentum v is an input (UHA-MCD)
   * @param contextDim width of a per-particle context input (amortized samplers: the encoder's
   *   output for the particle's data point); 0 for none
   * @param inputScale multiplies z before the first layer (config.inputScale wins where set)
   */
  constructor(
    private readonly store: ParamStore,
    private readonly prefix: string,
    readonly dim: number,
    readonly withMomentum: boolean,
    readonly config: ScoreNetConfig,
    trainable: boolean,
    rng: Rng,
    readonly contextDim = 0,
    inputScale = 1,
  ) {
    if (config.timeFeatures % 2 !== 0) throw new RangeError('timeFeatures must be even');
    this.inputScale = config.inputScale ?? inputScale;
    if (!(this.inputScale > 0 && Number.isFinite(this.inputScale)))
      throw new RangeError(
        `the score network's input scale must be positive, got ${this.inputScale}`,
      );
    this.inputDim = dim * (withMomentum ? 2 : 1) + contextDim + config.timeFeatures;
    const h = config.hidden;
    // Glorot-style normal initialization from the seeded stream; weights are [in, out] so the
    // forward pass is a plain matMul.
    const dense = (name: string, fanIn: number, fanOut: number, zero: boolean) => {
      const w = tf.tidy(() =>
        zero
          ? tf.zeros([fanIn, fanOut])
          : tf.mul(rng.normal([fanIn, fanOut]), Math.sqrt(1 / fanIn)),
      );
      store.add(`${prefix}.${name}.w`, w, trainable);
      w.dispose();
      const b = tf.zeros([fanOut]);
      store.add(`${prefix}.${name}.b`, b, trainable);
      b.dispose();
    };
    dense('in', this.inputDim, h, false);
    for (let i = 0; i < config.blocks; i++) dense(`block${i}`, h, h, false);
    dense('out', h, dim, true);
  }

  private layer(name: string, x: Tensor, activation: 'tanh' | 'linear' = 'linear'): Tensor {
    const w = this.store.get(`${this.prefix}.${name}.w`);
    const b = this.store.get(`${this.prefix}.${name}.b`);
    return dense(x, w, b, activation);
  }

  /** Sinusoidal features of t = step / steps, [timeFeatures]. */
  timeFeatures(step: number, steps: number): number[] {
    const t = step / steps;
    const out: number[] = [];
    for (let j = 0; j < this.config.timeFeatures / 2; j++) {
      const freq = Math.PI * 2 ** j;
      out.push(Math.sin(freq * t), Math.cos(freq * t));
    }
    return out;
  }

  /** r(z, v, c, k): [N, dim]. */
  apply(
    z: Tensor2D,
    v: Tensor2D | null,
    step: number,
    steps: number,
    context?: Tensor2D,
  ): Tensor2D {
    return tf.tidy(() => {
      const n = z.shape[0];
      const time = tf.tile(tf.tensor2d([this.timeFeatures(step, steps)]), [n, 1]);
      const parts: Tensor[] = [this.inputScale === 1 ? z : tf.mul(z, this.inputScale)];
      if (this.withMomentum) {
        if (!v) throw new Error('this score network needs the momentum');
        parts.push(v);
      }
      if (this.contextDim > 0) {
        if (!context || context.shape[1] !== this.contextDim || context.shape[0] !== n) {
          throw new RangeError(`this score network needs a [${n}, ${this.contextDim}] context`);
        }
        parts.push(context);
      }
      parts.push(time);
      let h = this.layer('in', tf.concat(parts, 1), 'tanh');
      for (let i = 0; i < this.config.blocks; i++)
        h = tf.add(h, this.layer(`block${i}`, h, 'tanh'));
      return this.layer('out', h) as Tensor2D;
    });
  }
}
