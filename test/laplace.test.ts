// The Laplace approximation of any target from its score: exact on Gaussians (mode, Hessian, log Z),
// the logistic targets' own float64 Newton reproduced, and the whitened target's log Z unchanged.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine, liveTensorCount, tf } from '../src/engine/index.js';
import type { Tensor1D, Tensor2D } from '../src/engine/index.js';
import { createTarget } from '../src/targets/registry.js';
import type { LogisticRegressionTarget } from '../src/targets/logisticRegression.js';
import { laplaceApproximation, whitenedTarget } from '../src/targets/laplace.js';
import { TargetError, type Target } from '../src/targets/target.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** N(mean, C) with precision P = C^-1 given, unnormalized as -1/2 (z - m)^T P (z - m). */
function gaussian(mean: number[], precision: number[][]): Target & { dispose(): void } {
  const d = mean.length;
  const m = tf.keep(tf.tensor1d(mean));
  const p = tf.keep(tf.tensor2d(precision));
  // log det P by 2x2 or diagonal closed forms is not general; Cholesky on the host.
  const l = precision.map(() => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = precision[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  const logDetP = 2 * l.reduce((s, r, i) => s + Math.log(r[i]!), 0);
  return {
    name: 'correlated',
    dim: d,
    logZ: 0.5 * d * LOG_2PI - 0.5 * logDetP,
    logProb: (z: Tensor2D) =>
      tf.tidy(() => {
        const u = tf.sub(z, m);
        return tf.mul(-0.5, tf.sum(tf.mul(tf.matMul(u, p), u), 1)) as Tensor1D;
      }),
    dispose: () => tf.dispose([m, p]),
  };
}

describe('Laplace approximation from the score', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('a correlated Gaussian: its mean, precision and log Z', () => {
    const base = liveTensorCount();
    const precision = [
      [4, 1.5, 0],
      [1.5, 2, -0.5],
      [0, -0.5, 1],
    ];
    const target = gaussian([1, -2, 0.5], precision);
    const a = laplaceApproximation(target);
    [1, -2, 0.5].forEach((m, j) =>
      assert.ok(Math.abs((a.mode[j] as number) - m) < 1e-4, `mode ${j}`),
    );
    precision
      .flat()
      .forEach((p, i) => assert.ok(Math.abs((a.hessian[i] as number) - p) < 1e-3, `H ${i}`));
    assert.ok(Math.abs(a.logZ - (target.logZ as number)) < 1e-4, `${a.logZ} vs ${target.logZ}`);
    target.dispose();
    assert.equal(liveTensorCount(), base);
  });

  it('a posterior a thousand times narrower than N(0, I), far from the origin', () => {
    const sd = 1e-3;
    const target: Target = {
      name: 'narrow',
      dim: 3,
      logProb: (z) =>
        tf.tidy(() => tf.mul(-0.5 / (sd * sd), tf.sum(tf.square(tf.sub(z, 3)), 1)) as Tensor1D),
    };
    const a = laplaceApproximation(target);
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs((a.mode[j] as number) - 3) < 1e-5, `mode ${a.mode[j]}`);
      // float32 differences of the score: 1% of the curvature.
      const h = a.hessian[j * 3 + j] as number;
      assert.ok(Math.abs(h * sd * sd - 1) < 0.01, `curvature ${h}`);
    }
    const exact = 3 * (0.5 * LOG_2PI + Math.log(sd));
    assert.ok(Math.abs(a.logZ - exact) < 0.02, `${a.logZ} vs ${exact}`);
  });

  it("a logistic regression: the target's own float64 Newton, and the whitened run", () => {
    const target = createTarget('sonar') as LogisticRegressionTarget;
    const base = liveTensorCount();
    const ref = target.laplace();
    const a = laplaceApproximation(target);
    const d = target.dim;
    let mode = 0;
    let curvature = 0;
    let top = 0;
    for (let j = 0; j < d; j++)
      mode = Math.max(mode, Math.abs((a.mode[j] as number) - (ref.mode[j] as number)));
    for (let i = 0; i < d * d; i++) {
      curvature = Math.max(
        curvature,
        Math.abs((a.hessian[i] as number) - (ref.hessian[i] as number)),
      );
      top = Math.max(top, Math.abs(ref.hessian[i] as number));
    }
    assert.ok(mode < 1e-4, `mode off by ${mode}`);
    assert.ok(curvature / top < 1e-3, `Hessian off by ${curvature / top} of its largest entry`);
    assert.ok(Math.abs(a.logZ - ref.logZ) < 0.01, `${a.logZ} vs ${ref.logZ}`);
    // Whitened, the posterior is near N(0, I): SMC from N(0, I) agrees with the unwhitened target's
    // own Laplace log Z to within the gap a non-Gaussian posterior leaves (a few nats at most).
    const w = whitenedTarget(target, a);
    assert.equal(w.name, 'sonar-whitened');
    const r = estimateLogZ({ target: w, sampler: 'smc-hmc', steps: 32, particles: 1000, seed: 2 });
    assert.ok(r.essFraction > 0.5, `ESS ${r.essFraction}: the whitened target is not near N(0, I)`);
    assert.ok(r.logZ > ref.logZ && r.logZ < ref.logZ + 5, `log Z ${r.logZ}, Laplace ${ref.logZ}`);
    w.dispose();
    assert.equal(liveTensorCount(), base);
    target.dispose?.();
  });

  it('refuses a density with no mode, and bad options, in plain words', () => {
    const linear: Target = { name: 'linear', dim: 2, logProb: (z) => tf.sum(z, 1) as Tensor1D };
    assert.throws(
      () => laplaceApproximation(linear),
      (e: unknown) =>
        e instanceof TargetError &&
        /target 'linear': Laplace: no mode found in 100 Newton/.test(e.message),
    );
    assert.throws(
      () => laplaceApproximation(linear, { start: [0] }),
      /start has length 1, expected 2/,
    );
    assert.throws(
      () => laplaceApproximation(linear, { maxIterations: 0 }),
      /maxIterations must be a positive integer/,
    );
  });
});
