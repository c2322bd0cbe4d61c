// A target under an affine change of variables: density, score, log Z and errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng,
  initEngine,
  liveTensorCount,
  tf,
  type BackendName,
  type Tensor2D,
} from '../src/engine/index.js';
import {
  TargetError,
  affineTarget,
  gaussianTarget,
  logisticRegressionTarget,
} from '../src/targets/index.js';
import { cholesky, invertLower } from '../src/targets/common.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { assertAllClose, centralDiffGrad } from './helpers/targetHostMath.js';

const BACKENDS = (process.env.ANNEAL_TEST_BACKENDS ?? 'cpu,wasm').split(',') as BackendName[];

// A correlated 3-d Gaussian and the lower Cholesky factor L of its covariance (Sigma = L L^T):
// with z = mean + u L^T the whitened target is exp(-|u|^2 / 2) |det L|, an isotropic Gaussian.
const MEAN = [1, -2, 0.5];
const COVARIANCE = [2, 0.6, -0.3, 0.6, 1, 0.2, -0.3, 0.2, 0.5];

function lowerFactor(): Float64Array {
  const chol = cholesky(Float64Array.from(COVARIANCE), 3);
  assert.ok('L' in chol);
  return chol.L;
}

const transpose = (a: Float64Array) =>
  Float64Array.from(a, (_, k) => a[(k % 3) * 3 + Math.floor(k / 3)] as number);

for (const backend of BACKENDS) {
  describe(`affine change of variables on ${backend}`, () => {
    it('whitening a Gaussian gives an isotropic one with the same log Z', async () => {
      await initEngine({ backend });
      const base = gaussianTarget({ mean: MEAN, covariance: COVARIANCE });
      const before = liveTensorCount();
      // Upper-triangular M = L^T: z = mean + u M.
      const white = affineTarget(base, { shift: MEAN, matrix: transpose(lowerFactor()) });
      assert.equal(white.logZ, base.logZ);
      const u = Rng.fromSeed(1).normal([5, 3]) as Tensor2D;
      const alone = white.logProb(u);
      const lp = alone.arraySync() as number[];
      const { logProb, score } = white.logProbAndScore(u);
      const alsoScore = white.score(u);
      const rows = u.arraySync() as number[][];
      const l = lowerFactor();
      const logAbsDet = Math.log(l[0]!) + Math.log(l[4]!) + Math.log(l[8]!);
      // gamma(z) = exp(-q/2) is unnormalized with log Z = d/2 log 2 pi + 1/2 log det Sigma.
      const expected = rows.map((r) => -0.5 * r.reduce((a, v) => a + v * v, 0) + logAbsDet);
      assertAllClose(lp, expected, 1e-5, 'log density');
      assertAllClose(logProb.arraySync() as number[], expected, 1e-5, 'joint log density');
      assertAllClose(
        (score.arraySync() as number[][]).flat(),
        rows.flat().map((v) => -v),
        1e-4,
        'score = -u',
      );
      assert.ok(Math.abs(white.logAbsDet - logAbsDet) < 1e-12);
      assertAllClose(
        alsoScore.dataSync(),
        score.dataSync(),
        1e-6,
        'score alone = score of the joint call',
      );
      tf.dispose([u, alone, logProb, score, alsoScore]);
      white.dispose();
      assert.equal(liveTensorCount(), before, 'no tensors left behind');
      base.dispose();
    });

    it('the score is the chain rule of the base score (finite differences on a non-Gaussian base)', async () => {
      await initEngine({ backend });
      const rng = Rng.fromSeed(3);
      const x = rng.normalArray(20);
      const base = logisticRegressionTarget({
        features: Array.from({ length: 10 }, (_, i) => [
          x[2 * i] as number,
          x[2 * i + 1] as number,
        ]),
        labels: [1, 0, 1, 1, 0, 0, 1, 0, 1, 0],
      });
      const m = invertLower(lowerFactor(), 3); // lower triangular
      const shift = [0.3, -0.1, 0.2];
      const white = affineTarget(base, { shift, matrix: m });
      const logAbsDet = Math.log(Math.abs(m[0]! * m[4]! * m[8]!));
      const hostLogProb = (u: number[]) => {
        const z = shift.map((s, j) => s + u.reduce((a, v, i) => a + v * m[i * 3 + j]!, 0));
        return base.hostLogProb(z) + logAbsDet;
      };
      const points = [
        [0.2, -0.4, 1.1],
        [-1.5, 0.7, 0.3],
      ];
      const u = tf.tensor2d(points) as Tensor2D;
      const [lp, sc] = tf.tidy(() => [
        white.logProb(u).arraySync() as number[],
        white.score(u).arraySync() as number[][],
      ]);
      u.dispose();
      assertAllClose(lp, points.map(hostLogProb), 1e-5, 'log density');
      points.forEach((p, i) =>
        assertAllClose(sc[i]!, centralDiffGrad(hostLogProb, p), 2e-3, `score row ${i}`),
      );
      white.dispose();
      base.dispose();
    });

    it('AIS on the whitened Gaussian recovers log Z (a wrong Jacobian term would shift it)', async () => {
      await initEngine({ backend });
      const base = gaussianTarget({ mean: MEAN, covariance: COVARIANCE });
      const white = affineTarget(base, { shift: MEAN, matrix: transpose(lowerFactor()) });
      const r = estimateLogZ({
        target: white,
        sampler: 'ais-hmc',
        steps: 20,
        particles: 1000,
        stepSize: 0.5,
        leapfrogSteps: 3,
        batches: 10,
        seed: 2,
      });
      // The initial N(0, I) is the whitened target up to its constant: the weights are constant.
      assert.ok(Math.abs(r.logZ - (base.logZ as number)) < 1e-4, `${r.logZ} vs ${base.logZ}`);
      white.dispose();
      base.dispose();
    });
  });
}

describe('affine change of variables: bad input', () => {
  it('one-line TargetErrors for wrong sizes, non-triangular, singular or non-finite matrices', async () => {
    await initEngine({ backend: 'cpu' });
    const base = gaussianTarget({ mean: [0, 0] });
    const bad = (options: Parameters<typeof affineTarget>[1], message: RegExp) =>
      assert.throws(
        () => affineTarget(base, options),
        (e: Error) => {
          assert.ok(e instanceof TargetError, String(e));
          assert.match(e.message, message);
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
    bad({ shift: [0], matrix: [1, 0, 0, 1] }, /shift has length 1, expected 2/);
    bad({ shift: [0, 0], matrix: [1, 0, 0] }, /matrix has 3 entries, expected 2x2/);
    bad({ shift: [0, 0], matrix: [1, 2, 3, 1] }, /lower or upper triangular/);
    bad({ shift: [0, 0], matrix: [1, 0, 3, 0] }, /singular \(zero at diagonal 1\)/);
    bad({ shift: [0, NaN], matrix: [1, 0, 0, 1] }, /shift must be finite/);
    base.dispose();
  });
});
