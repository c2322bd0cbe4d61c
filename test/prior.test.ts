// Priors from pieces: each piece's density integrates to one, its score is the gradient of its
// log density, its draws follow its density, and a posterior tempered from the prior recovers a
// conjugate model's closed-form evidence.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Rng, initEngine, liveTensorCount, tf } from '../src/engine/index.js';
import {
  logHalfCauchyPrior,
  logHalfNormalPrior,
  normalPrior,
  posteriorOf,
  priorOf,
  studentTPrior,
  type PriorPieceInput,
} from '../src/distributions/prior.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import type { Tensor1D, Tensor2D } from '../src/engine/index.js';

const PIECES: [string, PriorPieceInput][] = [
  ['normal(1, 2)', normalPrior(1, 2)],
  ['student-t(3, -1, 0.5)', studentTPrior(3, -1, 0.5)],
  ['log-half-normal(2)', logHalfNormalPrior(2)],
  ['log-half-cauchy(0.5)', logHalfCauchyPrior(0.5)],
];

/** The density of a one-coordinate prior on a grid of [lo, hi] (float64 on the host). */
function densityOnGrid(piece: PriorPieceInput, lo: number, hi: number, n: number) {
  const prior = priorOf({ x: piece });
  const h = (hi - lo) / (n - 1);
  const xs = Array.from({ length: n }, (_, i) => lo + i * h);
  const logP = tf.tidy(() => prior.logProb(tf.tensor2d(xs, [n, 1])).dataSync());
  return { xs, p: Array.from(logP, Math.exp), h };
}

describe('priors from pieces', () => {
  before(async () => {
    await initEngine({ backend: 'cpu' });
  });

  for (const [name, piece] of PIECES) {
    it(`${name}: density integrates to 1, score is its gradient, draws follow it`, () => {
      const base = liveTensorCount();
      // Wide enough that the tails left out hold under 1e-3 (the Student-t's and the Cauchy's are
      // the heaviest: 3 degrees of freedom at 0.5 scale, and the log of a half-Cauchy).
      const { xs, p, h } = densityOnGrid(piece, -60, 60, 240001);
      const cdf: number[] = [];
      let mass = 0;
      p.forEach((v, i) => {
        mass += (i === 0 ? 0.5 : 1) * v * h;
        cdf.push(mass);
      });
      assert.ok(Math.abs(mass - 1) < 2e-3, `mass ${mass}`);

      const prior = priorOf({ x: piece });
      const at = tf.tensor2d([-2.3, -0.4, 0.1, 0.7, 1.9], [5, 1]) as Tensor2D;
      const auto = tf.grad((z: tf.Tensor) => tf.sum(prior.logProb(z as Tensor2D)))(at);
      const score = prior.score(at);
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(auto, score))).dataSync()[0] as number);
      assert.ok(gap < 1e-4, `score differs from the gradient by ${gap}`);
      tf.dispose([at, auto, score]);

      // Empirical CDF of 20000 draws at the quadrature's quartiles: within 4 binomial SEs.
      const n = 20000;
      const draws = tf.tidy(() => Array.from(prior.sample(n, Rng.fromSeed(7)).dataSync()));
      for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) {
        const x = xs[cdf.findIndex((c) => c >= q)] as number;
        const below = draws.reduce((a, v) => a + (v <= x ? 1 : 0), 0) / n;
        const se = Math.sqrt((q * (1 - q)) / n);
        assert.ok(
          Math.abs(below - q) < 4 * se + 1e-3,
          `P(x <= ${x.toFixed(3)}) = ${below}, not ${q}`,
        );
      }
      assert.equal(liveTensorCount(), base);
    });
  }

  it('lays named pieces out in order and slices them back', () => {
    const prior = priorOf({
      mu: normalPrior(0, 5),
      logTau: logHalfCauchyPrior(5),
      theta: normalPrior(0, 1, 3),
    });
    assert.equal(prior.dim, 5);
    assert.deepEqual(prior.blocks, {
      mu: { offset: 0, size: 1 },
      logTau: { offset: 1, size: 1 },
      theta: { offset: 2, size: 3 },
    });
    const z = tf.tensor2d([[0, 1, 2, 3, 4]]) as Tensor2D;
    const theta = prior.block(z, 'theta');
    assert.deepEqual(Array.from(theta.dataSync()), [2, 3, 4]);
    // The joint log density is the sum of the pieces' own.
    const parts = [
      priorOf({ a: normalPrior(0, 5) }).logProb(tf.tensor2d([[0]])),
      priorOf({ a: logHalfCauchyPrior(5) }).logProb(tf.tensor2d([[1]])),
      priorOf({ a: normalPrior(0, 1, 3) }).logProb(tf.tensor2d([[2, 3, 4]])),
    ].map((t) => t.dataSync()[0] as number);
    const joint = prior.logProb(z).dataSync()[0] as number;
    assert.ok(Math.abs(joint - parts.reduce((a, b) => a + b, 0)) < 1e-4);
    assert.throws(() => prior.block(z, 'sigma'), /no piece 'sigma'; its pieces: mu, logTau, theta/);
    tf.dispose([z, theta]);
  });

  it('refuses bad pieces in plain words', () => {
    const cases: [unknown, RegExp][] = [
      [
        { a: { kind: 'normall' } },
        /prior piece 'a': kind 'normall' is not known \(did you mean 'normal'\?\)/,
      ],
      [
        { a: { kind: 'normal', scal: 2 } },
        /prior piece 'a': unknown option 'scal' \(did you mean 'scale'\?\)/,
      ],
      [
        { a: { kind: 'normal', scale: -1 } },
        /prior piece 'a': scale: expected more than 0, got -1/,
      ],
      [{ a: { kind: 'student-t' } }, /prior piece 'a': df: expected a number, got nothing/],
      [{ a: { kind: 'normal', size: 1.5 } }, /size: expected a whole number, got 1\.5/],
      [{}, /prior: give at least one piece/],
    ];
    for (const [pieces, message] of cases)
      assert.throws(() => priorOf(pieces as Record<string, PriorPieceInput>), message);
  });
});

describe('likelihood tempering from a prior', () => {
  it('a conjugate normal model: log Z within 4 standard errors of the closed form', async () => {
    await initEngine({ backend: 'wasm' });
    const base = liveTensorCount();
    // y_i ~ N(mu, 1), mu ~ N(0, 3^2): the evidence is N(y; 0, I + 9 11^T), in closed form.
    const y = [2.1, 1.4, 2.9, 1.7, 2.4, 3.1];
    const n = y.length;
    const s2 = 9;
    const sum = y.reduce((a, b) => a + b, 0);
    const sq = y.reduce((a, b) => a + b * b, 0);
    // det(I + s2 11^T) = 1 + n s2; (I + s2 11^T)^-1 = I - s2 11^T / (1 + n s2).
    const logZ =
      -0.5 * n * Math.log(2 * Math.PI) -
      0.5 * Math.log(1 + n * s2) -
      0.5 * (sq - (s2 * sum * sum) / (1 + n * s2));
    const prior = priorOf({ mu: normalPrior(0, 3) });
    const data = tf.tensor1d(y);
    const target = posteriorOf({
      prior,
      name: 'normal-mean',
      logZ,
      logLikelihood: (z) =>
        tf.tidy(
          () =>
            tf.sub(
              tf.mul(-0.5, tf.sum(tf.square(tf.sub(z, data)), 1)),
              0.5 * n * Math.log(2 * Math.PI),
            ) as Tensor1D,
        ),
    });
    const r = estimateLogZ({
      target,
      initial: prior,
      sampler: 'smc-hmc',
      schedule: 'geometric',
      steps: 32,
      particles: 2000,
      seed: 3,
    });
    data.dispose();
    const se = r.logZStdErr as number;
    assert.ok(Math.abs(r.logZ - logZ) < 4 * se + 0.01, `log Z ${r.logZ} ± ${se}, exact ${logZ}`);
    assert.equal(liveTensorCount(), base);
  });
});
