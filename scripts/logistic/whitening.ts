// The whitened coordinates of a logistic-regression posterior for the reference log Z runs: the
// Laplace approximation N(mode, H^-1) with H = R R^T (R lower Cholesky) gives z = mode + u R^-1,
// in which the posterior is close to N(0, I); and the prior N(0, I) on z, seen in those
// coordinates, as a distribution to start a tempering chain from.
import { tf, type Rng, type Tensor, type Tensor1D, type Tensor2D } from '../../src/engine/index.js';
import type { Distribution } from '../../src/distributions/distribution.js';
import { affineTarget, type AffineTarget } from '../../src/targets/affine.js';
import { cholesky, invertLower, transposeSquare } from '../../src/targets/common.js';
import type { LogisticRegressionTarget } from '../../src/targets/logisticRegression.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface Whitening {
  /** The posterior in u coordinates (log Z unchanged). */
  target: AffineTarget;
  /** The prior N(0, I) on z pushed to u = (z - mode) R. */
  prior: Distribution & { dispose(): void };
  laplaceLogZ: number;
  mode: Float64Array;
}

export function whiten(base: LogisticRegressionTarget): Whitening {
  const d = base.dim;
  const laplace = base.laplace();
  const chol = cholesky(laplace.hessian, d);
  if ('failedRow' in chol) throw new Error(`${base.name}: Laplace Hessian not positive definite`);
  const r = chol.L;
  const m = invertLower(r, d);
  const target = affineTarget(base, {
    shift: laplace.mode,
    matrix: m,
    name: `${base.name}-whitened`,
  });
  return {
    target,
    prior: pushedPrior(laplace.mode, r, m, d),
    laplaceLogZ: laplace.logZ,
    mode: laplace.mode,
  };
}

function pushedPrior(
  mode: Float64Array,
  r: Float64Array,
  m: Float64Array,
  d: number,
): Distribution & { dispose(): void } {
  const keep = (v: Float64Array, shape: number[]): Tensor =>
    tf.keep(tf.tensor(Float32Array.from(v), shape, 'float32'));
  const modeT = keep(mode, [d]);
  const rT = keep(r, [d, d]);
  const mT = keep(m, [d, d]);
  const mTransposedT = keep(transposeSquare(m, d), [d, d]);
  let logAbsDetM = 0;
  for (let i = 0; i < d; i++) logAbsDetM -= Math.log(r[i * d + i] as number);
  const toZ = (u: Tensor2D) => tf.add(modeT, tf.matMul(u, mT as Tensor2D)) as Tensor2D;
  return {
    dim: d,
    logProb: (u: Tensor2D) =>
      tf.tidy(
        () =>
          tf.add(
            tf.mul(-0.5, tf.sum(tf.square(toZ(u)), -1)),
            logAbsDetM - 0.5 * d * LOG_2PI,
          ) as Tensor1D,
      ),
    score: (u: Tensor2D) =>
      tf.tidy(() => tf.neg(tf.matMul(toZ(u), mTransposedT as Tensor2D)) as Tensor2D),
    sample: (n: number, rng: Rng) =>
      tf.tidy(() => tf.matMul(tf.sub(rng.normal([n, d]), modeT), rT as Tensor2D) as Tensor2D),
    dispose: () => {
      for (const t of [modeT, rT, mT, mTransposedT]) t.dispose();
    },
  };
}
