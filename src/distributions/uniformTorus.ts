// The uniform distribution on the torus [0, 2 pi)^d: the base of flows on angles (U(1) gauge
// fields). Its density is constant and periodic, so log q and the (zero) score hold for any real
// point, wrapped or not.
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';

export class UniformTorus {
  constructor(readonly dim: number) {
    if (!Number.isInteger(dim) || dim < 1)
      throw new RangeError(`dimension must be a positive integer, got ${dim}`);
  }

  logProb(z: Tensor2D): Tensor1D {
    return tf.fill([z.shape[0]], -this.dim * Math.log(2 * Math.PI)) as Tensor1D;
  }

  score(z: Tensor2D): Tensor2D {
    return tf.zerosLike(z);
  }

  sample(n: number, rng: Rng): Tensor2D {
    return rng.uniform([n, this.dim], 0, 2 * Math.PI) as Tensor2D;
  }

  dispose(): void {}
}
