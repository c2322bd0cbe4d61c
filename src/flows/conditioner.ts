// The conditioner of a coupling layer: a tanh MLP from the masked input to the shift (and log
// scale) of the transformed coordinates. Weights are [in, out] so every layer is a plain matMul;
// the output layers start at zero (the coupling starts as the identity) unless asked otherwise.
import {
  tf,
  addMany,
  dense,
  matMulTransposeB,
  type Rng,
  type Tensor,
  type Tensor2D,
} from '../engine/index.js';
import type { ParamStore } from '../nets/params.js';

export interface ConditionerConfig {
  /** Hidden widths (default [64, 64]). */
  hidden: number[];
  /** Standard deviation of the output layers' initial weights; 0 (default) starts at identity. */
  outputInitScale: number;
  /** With biases (default). Without, a tanh MLP is an odd function: the Z2-equivariant NICE. */
  bias: boolean;
}

export const CONDITIONER_DEFAULTS: ConditionerConfig = {
  hidden: [64, 64],
  outputInitScale: 0,
  bias: true,
};

export class Conditioner {
  private readonly layers: string[] = [];

  /**
   * @param heads output heads, each of size `outDim` (['t'] for additive, ['s', 't'] for affine)
   * @param outDim size of each head (default: the input size `dim`)
   */
  constructor(
    private readonly store: ParamStore,
    private readonly prefix: string,
    readonly dim: number,
    readonly heads: readonly string[],
    readonly config: ConditionerConfig,
    rng: Rng,
    trainable = true,
    readonly outDim = dim,
  ) {
    let fanIn = dim;
    config.hidden.forEach((h, i) => {
      this.dense(`h${i}`, fanIn, h, Math.sqrt(1 / fanIn), rng, trainable);
      this.layers.push(`h${i}`);
      fanIn = h;
    });
    for (const head of heads) {
      this.dense(head, fanIn, outDim, config.outputInitScale, rng, trainable);
    }
  }

  private dense(
    name: string,
    fanIn: number,
    fanOut: number,
    scale: number,
    rng: Rng,
    trainable: boolean,
  ) {
    const w = tf.tidy(() =>
      scale === 0 ? tf.zeros([fanIn, fanOut]) : tf.mul(rng.normal([fanIn, fanOut]), scale),
    );
    this.store.add(`${this.prefix}.${name}.w`, w, trainable);
    w.dispose();
    if (!this.config.bias) return;
    const b = tf.zeros([fanOut]);
    this.store.add(`${this.prefix}.${name}.b`, b, trainable);
    b.dispose();
  }

  private affine(name: string, x: Tensor, activation: 'tanh' | 'linear' = 'linear'): Tensor {
    const w = this.store.get(`${this.prefix}.${name}.w`);
    if (this.config.bias)
      return dense(x, w, this.store.get(`${this.prefix}.${name}.b`), activation);
    const xw = tf.matMul(x, w);
    return activation === 'tanh' ? tf.tanh(xw) : xw;
  }

  /** Head outputs for input rows [N, dim] (already masked by the caller). */
  apply(x: Tensor2D): Record<string, Tensor2D> {
    return tf.tidy(() => {
      let h: Tensor = x;
      for (const name of this.layers) h = this.affine(name, h, 'tanh');
      const out: Record<string, Tensor2D> = {};
      for (const head of this.heads) out[head] = this.affine(head, h) as Tensor2D;
      return out;
    });
  }

  /**
   * Head outputs and, in the same pass, the vector-Jacobian product with respect to the input for
   * cotangents that may depend on the outputs: `vjp` backpropagates by hand through the stored
   * tanh activations (no second forward pass, no tape). Values only: not differentiable w.r.t. the
   * weights. The caller disposes `out` and the vjp result; `release` frees the activations.
   */
  applyWithVjp(x: Tensor2D): {
    out: Record<string, Tensor2D>;
    vjp: (cotangents: Record<string, Tensor2D>) => Tensor2D;
    release: () => void;
  } {
    const activations: Tensor[] = [];
    const out = tf.tidy(() => {
      let h: Tensor = x;
      for (const name of this.layers) {
        h = this.affine(name, h, 'tanh');
        activations.push(tf.keep(h));
      }
      const o: Record<string, Tensor2D> = {};
      for (const head of this.heads) o[head] = this.affine(head, h) as Tensor2D;
      return o;
    });
    const weight = (name: string) => this.store.get(`${this.prefix}.${name}.w`);
    const vjp = (cotangents: Record<string, Tensor2D>) =>
      tf.tidy(() => {
        let delta: Tensor = addMany(
          this.heads.map((head) => matMulTransposeB(cotangents[head] as Tensor2D, weight(head))),
        );
        for (let i = this.layers.length - 1; i >= 0; i--) {
          const a = activations[i] as Tensor;
          delta = tf.mul(delta, tf.sub(1, tf.square(a)));
          delta = matMulTransposeB(delta, weight(this.layers[i] as string));
        }
        return delta as Tensor2D;
      });
    return { out, vjp, release: () => tf.dispose(activations) };
  }
}
