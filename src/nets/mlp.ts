// A tanh MLP with linear output heads, its weights named in a ParamStore. Weights are [in, out]
// so every layer is a plain matMul (no transposed matMuls, slow on wasm). Hidden layers start
// with Glorot-uniform-scale normal weights, heads with `headInitScale` (0 = zeros).
import { tf, stopGradient, type Rng, type Tensor, type Tensor2D } from '../engine/index.js';
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
    const w = scale === 0 ? tf.zeros([fanIn, fanOut]) : tf.mul(rng.normal([fanIn, fanOut]), scale);
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
    return tf.tidy(() => {
      const p = (n: string): Tensor => {
        const v = this.store.get(`${this.prefix}.${n}`);
        return frozen ? stopGradient(v) : v;
      };
      const affine = (n: string, h: Tensor) => tf.add(tf.matMul(h, p(`${n}.w`)), p(`${n}.b`));
      let h: Tensor = x;
      for (const n of this.hiddenNames) h = tf.tanh(affine(n, h));
      const out: Record<string, Tensor2D> = {};
      for (const head of Object.keys(this.spec.heads)) out[head] = affine(head, h) as Tensor2D;
      return out;
    });
  }
}
