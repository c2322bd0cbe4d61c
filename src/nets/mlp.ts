// A tanh MLP with linear output heads, its weights named in a ParamStore. Weights are [in, out]
// so every layer is a plain matMul (no transposed matMuls, slow on wasm). Hidden layers start
// with Glorot-uniform-scale normal weights, heads with `headInitScale` (0 = zeros).
import {
  tf,
  dense,
  matMulTransposeB,
  stopGradient,
  type Rng,
  type Tensor,
  type Tensor2D,
} from '../engine/index.js';
import type { ParamStore } from './params.js';

export interface MlpSpec {
  input: number;
  hidden: readonly number[];
  /** Output heads by name, each with its width. */
  heads: Readonly<Record<string, number>>;
  /** Standard deviation of the heads' initial weights (default: as the hidden layers). */
  headInitScale?: number;
}

export class Mlp {
  private readonly hiddenNames: string[];

  constructor(
    private readonly store: ParamStore,
    private readonly prefix: string,
    readonly spec: MlpSpec,
    rng: Rng,
  ) {
    let fanIn = spec.input;
    this.hiddenNames = spec.hidden.map((h, i) => {
      this.dense(`h${i}`, fanIn, h, Math.sqrt(2 / (fanIn + h)), rng);
      fanIn = h;
      return `h${i}`;
    });
    for (const [head, width] of Object.entries(spec.heads)) {
      this.dense(head, fanIn, width, spec.headInitScale ?? Math.sqrt(2 / (fanIn + width)), rng);
    }
  }

  private dense(name: string, fanIn: number, fanOut: number, scale: number, rng: Rng): void {
    const w = tf.tidy(() =>
      scale === 0 ? tf.zeros([fanIn, fanOut]) : tf.mul(rng.normal([fanIn, fanOut]), scale),
    );
    const b = tf.zeros([fanOut]);
    this.store.add(`${this.prefix}.${name}.w`, w, true);
    this.store.add(`${this.prefix}.${name}.b`, b, true);
    tf.dispose([w, b]);
  }

  /** Names of this network's parameters in the store. */
  paramNames(): string[] {
    return [...this.hiddenNames, ...Object.keys(this.spec.heads)].flatMap((n) => [
      `${this.prefix}.${n}.w`,
      `${this.prefix}.${n}.b`,
    ]);
  }

  /**
   * Head outputs for input rows [N, input]. With `frozen`, the weights enter as constants
   * (gradients flow to the input only), for estimators that stop some parameter paths.
   */
  apply(x: Tensor2D, frozen = false): Record<string, Tensor2D> {
    return tf.tidy(() => this.forward(x, frozen).out);
  }

  /** The hidden layers' and the heads' weights [in, out] and biases, as constants with `frozen`. */
  layerParams(frozen = false): {
    hidden: { w: Tensor; b: Tensor }[];
    heads: Record<string, { w: Tensor; b: Tensor }>;
  } {
    const of = (n: string) => ({
      w: this.weight(`${n}.w`, frozen),
      b: this.weight(`${n}.b`, frozen),
    });
    return {
      hidden: this.hiddenNames.map(of),
      heads: Object.fromEntries(Object.keys(this.spec.heads).map((h) => [h, of(h)])),
    };
  }

  private weight(n: string, frozen: boolean): Tensor {
    const v = this.store.get(`${this.prefix}.${n}`);
    return frozen ? stopGradient(v) : v;
  }

  private forward(
    x: Tensor2D,
    frozen: boolean,
  ): { out: Record<string, Tensor2D>; hidden: Tensor[] } {
    const layer = (n: string, h: Tensor, activation: 'tanh' | 'linear') =>
      dense(h, this.weight(`${n}.w`, frozen), this.weight(`${n}.b`, frozen), activation);
    const hidden: Tensor[] = [];
    let h: Tensor = x;
    for (const n of this.hiddenNames) {
      h = layer(n, h, 'tanh');
      hidden.push(h);
    }
    const out: Record<string, Tensor2D> = {};
    for (const head of Object.keys(this.spec.heads))
      out[head] = layer(head, h, 'linear') as Tensor2D;
    return { out, hidden };
  }

  /**
   * Head outputs, and the gradient with respect to each input row of a per-row scalar function f
   * of the heads, given d f / d head by `headGrad`. A hand-written backward pass that reuses the
   * forward activations (tanh' = 1 - tanh^2): one forward and one backward sweep instead of
   * autodiff's, and itself differentiable once more, for training through samplers that follow
   * it. Products with transposed weights go through matMulTransposeB (free with the native
   * kernels, an explicit transpose on TF.js's wasm kernels).
   */
  applyWithInputGrad(
    x: Tensor2D,
    headGrad: (out: Record<string, Tensor2D>) => Record<string, Tensor2D>,
    frozen = false,
  ): { out: Record<string, Tensor2D>; inputGrad: Tensor2D } {
    return tf.tidy(() => {
      const { out, hidden } = this.forward(x, frozen);
      const dHeads = headGrad(out);
      let g: Tensor | null = null;
      for (const head of Object.keys(this.spec.heads)) {
        const dh = dHeads[head];
        if (!dh) continue;
        const term = matMulTransposeB(dh, this.weight(`${head}.w`, frozen));
        g = g ? tf.add(g, term) : term;
      }
      if (!g) throw new RangeError('headGrad gave no head gradient');
      for (let i = this.hiddenNames.length - 1; i >= 0; i--) {
        const h = hidden[i] as Tensor;
        const pre: Tensor = tf.mul(g, tf.sub(1, tf.square(h)));
        g = matMulTransposeB(pre, this.weight(`${this.hiddenNames[i]}.w`, frozen));
      }
      return { out, inputGrad: g as Tensor2D };
    });
  }
}
