// A global scaling y = exp(a) x with one learnable scalar a: log|det| = d a per row. Odd, so it
// keeps a Z2-equivariant flow equivariant (the phi^4 flows of the path-gradient paper end with it).
import { tf, type Tensor1D, type Tensor2D } from '../engine/index.js';
import type { ParamStore } from '../nets/params.js';
import type { Bijection } from './bijection.js';

export class GlobalScale implements Bijection {
  readonly name = 'global-scale';

  constructor(
    private readonly store: ParamStore,
    private readonly key: string,
    readonly dim: number,
  ) {
    const a = tf.scalar(0);
    store.add(key, a, true);
    a.dispose();
  }

  private get logScale() {
    return this.store.get(this.key);
  }

  forward(x: Tensor2D): { y: Tensor2D; logDet: Tensor1D } {
    return tf.tidy(() => ({
      y: tf.mul(x, tf.exp(this.logScale)) as Tensor2D,
      logDet: tf.mul(tf.ones([x.shape[0]]), tf.mul(this.logScale, this.dim)) as Tensor1D,
    }));
  }

  inverse(y: Tensor2D): { x: Tensor2D; logDet: Tensor1D } {
    return tf.tidy(() => ({
      x: tf.mul(y, tf.exp(tf.neg(this.logScale))) as Tensor2D,
      logDet: tf.mul(tf.ones([y.shape[0]]), tf.mul(this.logScale, -this.dim)) as Tensor1D,
    }));
  }

  forwardWithScore(
    x: Tensor2D,
    score: Tensor2D,
  ): { y: Tensor2D; logDet: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      const { y, logDet } = this.forward(x);
      // The log-determinant does not depend on x, so the score only rescales.
      return { y, logDet, score: tf.mul(score, tf.exp(tf.neg(this.logScale))) as Tensor2D };
    });
  }

  inverseWithScore(
    y: Tensor2D,
    score: Tensor2D,
  ): { x: Tensor2D; logDet: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      const { x, logDet } = this.inverse(y);
      return { x, logDet, score: tf.mul(score, tf.exp(this.logScale)) as Tensor2D };
    });
  }
}
