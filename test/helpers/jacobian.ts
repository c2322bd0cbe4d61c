// log |det J| of a row-wise map f: [N, d] -> [N, d] by autodiff, one output coordinate at a time
// (rows are independent, so one gradient of sum(f(z)[:, j]) gives row j of every row's Jacobian).
import { tf, type Tensor, type Tensor2D } from '../../src/engine/index.js';
import { invertWithLogDet } from './targetHostMath.js';

export function autodiffLogDets(f: (z: Tensor2D) => Tensor2D, z: Tensor2D): number[] {
  const [n, d] = z.shape;
  const jac: number[][][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < d; j++) {
    const pick = tf.tensor1d(Array.from({ length: d }, (_, i) => (i === j ? 1 : 0)));
    const g = tf.grad((zs: Tensor) => tf.sum(tf.mul(f(zs as Tensor2D), pick)))(z);
    const values = Array.from(g.dataSync());
    for (let r = 0; r < n; r++) jac[r]!.push(values.slice(r * d, (r + 1) * d));
    tf.dispose([pick, g]);
  }
  return jac.map((rowsOfJ) => invertWithLogDet(rowsOfJ).logDet);
}
