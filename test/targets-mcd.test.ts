// The MCD-paper mixtures ('gmm8', 'student-t8'), the Student-t mixture, log-gamma and the
// Gamma / chi-square samplers, against independent float64 host references.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertScoreGradient } from './helpers/secondOrder.js';
import {
  Rng,
  initEngine,
  liveTensorCount,
  tf,
  type BackendName,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import {
  TargetError,
  chiSquareArray,
  createTarget,
  gammaArray,
  listTargets,
  logGamma,
  mcdGaussianMixtureTarget,
  mcdStudentTMixtureTarget,
  studentTMixtureTarget,
  type Target,
} from '../src/targets/index.js';
import {
  assertAllClose,
  assertMoments,
  centralDiffGrad,
  logGammaStirling,
  logNormal,
  logStudentT,
  logSumExp,
} from './helpers/targetHostMath.js';

const BACKENDS = (process.env.ANNEAL_TEST_BACKENDS ?? 'cpu,wasm').split(',') as BackendName[];

type HostLogProb = (z: readonly number[]) => number;

/** Locations uniform in [-loc, loc]^d from the seed, computed here independently of src. */
function boxMeans(d: number, K: number, seed: number, loc: number): number[][] {
  const u = Rng.fromSeed(seed).uniformArray(K * d);
  return Array.from({ length: K }, (_, k) =>
    Array.from({ length: d }, (_, j) => loc * (2 * u[k * d + j]! - 1)),
  );
}

function hostGaussianMixture(means: number[][], variance: number): HostLogProb {
  return (z) =>
    logSumExp(
      means.map((mu) => {
        let s = -Math.log(means.length);
        for (let j = 0; j < z.length; j++) s += logNormal(z[j]!, mu[j]!, variance);
        return s;
      }),
    );
}

function hostTMixture(means: number[][], df: number, scale2: number): HostLogProb {
  return (z) =>
    logSumExp(means.map((mu) => -Math.log(means.length) + logStudentT(z, mu, df, scale2)));
}

/** Rows near and between the components: mu_a + (mu_b - mu_a) t + noise. */
function mixturePoints(means: number[][], n: number, seed: number, noise: number): number[][] {
  const rng = Rng.fromSeed(seed);
  const d = means[0]!.length;
  const e = rng.normalArray(n * d);
  const u = rng.uniformArray(n);
  return Array.from({ length: n }, (_, i) => {
    const a = means[i % means.length]!;
    const b = means[(i + 3) % means.length]!;
    const t = i % 4 === 0 ? 0.5 * u[i]! : 0;
    return a.map((m, j) => Math.fround(m + t * (b[j]! - m) + noise * e[i * d + j]!));
  });
}

interface MixtureCase {
  label: string;
  make(): Target;
  host: HostLogProb;
  means: number[][];
  noise: number;
  /** Relative tolerance of logProb (float32 sums over d coordinates). */
  rtol: number;
  /** Whether to check the score against finite differences (cheap enough) and autodiff. */
  full: boolean;
}

const T_MEANS_2 = [
  [1, -1],
  [-2, 0.5],
  [0, 2],
];

function mixtureCases(): MixtureCase[] {
  const cases: MixtureCase[] = [];
  for (const d of [2, 20, 200, 500]) {
    const means = boxMeans(d, 8, 0, 10);
    cases.push({
      label: `gmm8 d=${d}`,
      make: () => createTarget('gmm8', d === 20 ? {} : { dim: d }),
      host: hostGaussianMixture(means, 1),
      means,
      noise: 1,
      rtol: 2e-5,
      full: d <= 20,
    });
    cases.push({
      label: `student-t8 d=${d}`,
      make: () => createTarget('student-t8', d === 20 ? {} : { dim: d }),
      host: hostTMixture(means, 2, 1),
      means,
      noise: 2,
      rtol: 2e-5,
      full: d <= 20,
    });
  }
  const m5 = boxMeans(5, 8, 7, 3);
  cases.push({
    label: 'student-t8 d=5, df=5, sigma2=0.5, loc=3, meansSeed=7',
    make: () => createTarget('student-t8', { dim: 5, df: 5, sigma2: 0.5, loc: 3, meansSeed: 7 }),
    host: hostTMixture(m5, 5, 0.5),
    means: m5,
    noise: 1,
    rtol: 1e-5,
    full: true,
  });
  cases.push({
    label: 'student-t mixture d=2, unequal weights, df=0.7',
    make: () => studentTMixtureTarget({ means: T_MEANS_2, df: 0.7, weights: [1, 2, 3], scale2: 2 }),
    host: (z) =>
      logSumExp(T_MEANS_2.map((mu, k) => Math.log((k + 1) / 6) + logStudentT(z, mu, 0.7, 2))),
    means: T_MEANS_2,
    noise: 1.5,
    rtol: 1e-5,
    full: true,
  });
  return cases;
}

/** Midpoint rule over (-pi/2, pi/2)^dim with x = tan(theta): ln of the integral of exp(logProb). */
function integrateTan(target: Target, points: number): number {
  const dim = target.dim;
  const h = Math.PI / points;
  const total = points ** dim;
  const z = new Float32Array(total * dim);
  const logJac = new Float64Array(total);
  for (let idx = 0; idx < total; idx++) {
    let rest = idx;
    for (let j = 0; j < dim; j++) {
      const theta = -Math.PI / 2 + ((rest % points) + 0.5) * h;
      rest = Math.floor(rest / points);
      z[idx * dim + j] = Math.tan(theta);
      logJac[idx] = logJac[idx]! - 2 * Math.log(Math.cos(theta)) + Math.log(h);
    }
  }
  const zt = tf.tensor2d(z, [total, dim]) as Tensor2D;
  const lp = target.logProb(zt);
  const vals = lp.dataSync();
  tf.dispose([zt, lp]);
  let m = -Infinity;
  for (let i = 0; i < total; i++) m = Math.max(m, vals[i]! + logJac[i]!);
  let sum = 0;
  for (let i = 0; i < total; i++) sum += Math.exp(vals[i]! + logJac[i]! - m);
  return m + Math.log(sum);
}

describe('logGamma (Lanczos)', () => {
  it('matches known values', () => {
    const known: [number, number][] = [
      [0.5, 0.5723649429247001],
      [10, 12.801827480081469],
      [1, 0],
      [2, 0],
      [3, Math.LN2],
      [1.5, -0.1207822376352452],
      [100, 359.1342053695754],
      [0.1, 2.252712651734206],
      [0.001, 6.907178885383854],
      [-0.5, 1.2655121234846454],
    ];
    for (const [x, v] of known) {
      const got = logGamma(x);
      assert.ok(
        Math.abs(got - v) <= 1e-13 * Math.max(1, Math.abs(v)),
        `lgamma(${x}) = ${got}, expected ${v}`,
      );
    }
    assert.equal(logGamma(0), Infinity);
    assert.equal(logGamma(-3), Infinity);
    assert.ok(Number.isNaN(logGamma(NaN)));
  });

  it('agrees with a Stirling-series reference and the recurrence on (0.01, 600)', () => {
    for (let x = 0.01; x < 600; x *= 1.07) {
      const a = logGamma(x);
      const b = logGammaStirling(x);
      assert.ok(Math.abs(a - b) <= 1e-13 * Math.max(1, Math.abs(b)), `x=${x}: ${a} vs ${b}`);
      const rec = logGamma(x + 1) - logGamma(x) - Math.log(x);
      assert.ok(Math.abs(rec) <= 1e-12 * Math.max(1, Math.abs(logGamma(x))), `recurrence ${x}`);
    }
  });
});

describe('Gamma and chi-square draws (Marsaglia-Tsang)', () => {
  it('moments match for shapes below and above 1; same seed, same draws', () => {
    const n = 20000;
    for (const [i, shape] of [0.3, 1, 2.5, 10].entries()) {
      const g = gammaArray(Rng.fromSeed(40 + i), shape, n);
      assert.ok(g.every((x) => x > 0 && Number.isFinite(x)));
      // Gamma(shape, 1): mean = variance = shape.
      assertMoments(g, n, 1, [shape], [shape], `gamma(${shape})`);
    }
    const c = chiSquareArray(Rng.fromSeed(3), 5, n);
    assertMoments(c, n, 1, [5], [10], 'chi2(5)');
    assert.deepEqual(
      Array.from(gammaArray(Rng.fromSeed(9), 0.7, 50)),
      Array.from(gammaArray(Rng.fromSeed(9), 0.7, 50)),
    );
    assert.throws(() => gammaArray(Rng.fromSeed(0), 0, 3), RangeError);
  });
});

for (const backend of BACKENDS) {
  describe(`MCD mixtures on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });

    describe('logProb, score and memory against float64 references', () => {
      for (const c of mixtureCases()) {
        it(c.label, () => {
          const startCount = liveTensorCount();
          const target = c.make();
          const d = target.dim;
          assert.equal(d, c.means[0]!.length);
          assert.equal(target.logZ, 0);
          const baseline = liveTensorCount();
          const pts = mixturePoints(c.means, 16, 77, c.noise);
          const z = tf.tensor2d(pts.flat(), [pts.length, d]) as Tensor2D;

          const lp = target.logProb(z);
          assert.deepEqual(lp.shape, [pts.length]);
          assertAllClose(lp.dataSync(), pts.map(c.host), c.rtol, `${c.label} logProb`);

          const sc = target.score!(z);
          assert.deepEqual(sc.shape, [pts.length, d]);
          const scVals = sc.dataSync();
          assert.ok(scVals.every(Number.isFinite), `${c.label} score finite`);
          const tensors: Tensor[] = [z, lp, sc];
          if (c.full) {
            const fd = pts.flatMap((p) => centralDiffGrad(c.host, p));
            assertAllClose(scVals, fd, 1e-3, `${c.label} score vs finite differences`);
            const auto = tf.grad((x: Tensor) => tf.sum(target.logProb(x as Tensor2D)))(z);
            assertAllClose(auto.dataSync(), scVals, 1e-3, `${c.label} autodiff vs score`);
            assertScoreGradient(target, z, (p) => centralDiffGrad(c.host, p), c.label);
            tensors.push(auto);
          } else {
            // Large d: finite differences of the host function in a few coordinates of a few rows.
            for (const i of [0, 5, 10]) {
              for (const j of [0, Math.floor(d / 2), d - 1]) {
                const h = 1e-4;
                const up = [...pts[i]!];
                const down = [...pts[i]!];
                up[j]! += h;
                down[j]! -= h;
                const fd = (c.host(up) - c.host(down)) / (2 * h);
                const got = scVals[i * d + j]!;
                assert.ok(
                  Math.abs(got - fd) <= 1e-3 * Math.max(1, Math.abs(fd)),
                  `${c.label} score[${i}, ${j}] = ${got}, finite difference ${fd}`,
                );
              }
            }
          }

          const s = target.sample!(9, Rng.fromSeed(5));
          assert.deepEqual(s.shape, [9, d]);
          assert.ok(s.dataSync().every(Number.isFinite));
          const again = target.sample!(9, Rng.fromSeed(5));
          assert.deepEqual(Array.from(again.dataSync()), Array.from(s.dataSync()));
          tensors.push(s, again);

          tf.dispose(tensors);
          assert.equal(liveTensorCount(), baseline, `${c.label}: calls leaked tensors`);
          target.dispose?.();
          assert.equal(liveTensorCount(), startCount, `${c.label}: dispose() left tensors`);
        });
      }

      it('gmm8 and student-t8 share their component locations (same seed and dim)', () => {
        const g = mcdGaussianMixtureTarget({ dim: 6, meansSeed: 3 });
        const t = mcdStudentTMixtureTarget({ dim: 6, meansSeed: 3 });
        assert.deepEqual(Array.from(g.means), Array.from(t.means));
        assert.deepEqual(
          Array.from(g.means),
          boxMeans(6, 8, 3, 10).flat(),
          'locations uniform in [-10, 10]^d from the seed',
        );
        assert.ok(g.means.every((m) => Math.abs(m) <= 10));
        g.dispose();
        t.dispose();
      });
    });

    describe('the Student-t density is normalized', () => {
      it('1-d and 2-d mixtures integrate to 1 (x = tan(theta) quadrature)', () => {
        for (const [dim, points, df] of [
          [1, 20000, 2],
          [1, 20000, 1],
          [2, 700, 2],
          [2, 700, 5],
        ] as const) {
          const target = createTarget('student-t8', { dim, df, loc: 3 });
          const q = integrateTan(target, points);
          assert.ok(Math.abs(q) < 5e-5, `dim ${dim}, df ${df}: ln integral = ${q}`);
          target.dispose?.();
        }
      });
    });

    describe('exact samples', () => {
      it('a single t component: the marginal CDF for df = 2 (infinite variance)', () => {
        // The 1-d marginal of a multivariate t is a univariate t; for nu = 2 its CDF is
        // 1/2 + x / (2 sqrt(2 + x^2)). Scale s = 4: x = (z - mu) / 2.
        const n = 20000;
        const target = studentTMixtureTarget({ means: [[1, -2, 0]], df: 2, scale2: 4 });
        const s = target.sample(n, Rng.fromSeed(21));
        const data = s.dataSync();
        s.dispose();
        for (let j = 0; j < 3; j++) {
          for (const c of [-3, -1, -0.25, 0, 0.5, 2, 6]) {
            let count = 0;
            for (let i = 0; i < n; i++) if ((data[i * 3 + j]! - [1, -2, 0][j]!) / 2 < c) count++;
            const p = 0.5 + c / (2 * Math.sqrt(2 + c * c));
            const se = Math.sqrt((p * (1 - p)) / n);
            assert.ok(
              Math.abs(count / n - p) <= 4 * se,
              `coordinate ${j}: P(x < ${c}) = ${count / n}, exact ${p}`,
            );
          }
        }
        target.dispose();
      });

      it('moments: variance df/(df - 2) scale^2 for df > 2, mixture mean and variance', () => {
        const n = 6000;
        const single = studentTMixtureTarget({ means: [[0.5, -1]], df: 10, scale2: 2 });
        const s1 = single.sample(n, Rng.fromSeed(31));
        assertMoments(s1.dataSync(), n, 2, [0.5, -1], [2.5, 2.5], 't(df=10, scale^2=2)');
        s1.dispose();
        single.dispose();

        const df = 12;
        const mix = createTarget('student-t8', { dim: 3, df, loc: 2, meansSeed: 4 });
        const means = boxMeans(3, 8, 4, 2);
        const mean = [0, 1, 2].map((j) => means.reduce((a, mu) => a + mu[j]! / 8, 0));
        const variance = mean.map(
          (m, j) => means.reduce((a, mu) => a + (df / (df - 2) + mu[j]! ** 2) / 8, 0) - m * m,
        );
        const s2 = mix.sample!(n, Rng.fromSeed(32));
        assertMoments(s2.dataSync(), n, 3, mean, variance, 'student-t8 mixture');
        s2.dispose();
        mix.dispose?.();

        const gmm = createTarget('gmm8', { dim: 3, loc: 2, sigma2: 0.5, meansSeed: 4 });
        const gVariance = mean.map(
          (m, j) => means.reduce((a, mu) => a + (0.5 + mu[j]! ** 2) / 8, 0) - m * m,
        );
        const s3 = gmm.sample!(n, Rng.fromSeed(33));
        assertMoments(s3.dataSync(), n, 3, mean, gVariance, 'gmm8');
        s3.dispose();
        gmm.dispose?.();
      });
    });

    describe('validation', () => {
      const bad = (fn: () => unknown, pattern: RegExp) =>
        assert.throws(
          fn,
          (e: unknown) =>
            e instanceof TargetError && pattern.test(e.message) && !e.message.includes('\n'),
        );

      it('registry options and values', () => {
        const names = listTargets().map((s) => s.name);
        assert.ok(names.includes('gmm8') && names.includes('student-t8'));
        bad(() => createTarget('student-t8', { df: 0 }), /df must be a finite number > 0, got 0/);
        bad(() => createTarget('student-t8', { df: NaN }), /df/);
        bad(() => createTarget('student-t8', { df: Infinity }), /df/);
        bad(() => createTarget('gmm8', { sigma2: -1 }), /sigma2/);
        bad(() => createTarget('student-t8', { sigma2: 0 }), /sigma2/);
        bad(() => createTarget('gmm8', { loc: 0 }), /loc/);
        bad(() => createTarget('gmm8', { dim: 0 }), /dim must be any integer >= 1, got 0/);
        bad(() => createTarget('student-t8', { dim: 2.5 }), /dim must be any integer >= 1/);
        bad(() => createTarget('gmm8', { meansSeed: 1.5 }), /meansSeed must be an integer/);
        bad(() => createTarget('gmm8', { df: 3 }), /option 'df' does not apply to target 'gmm8'/);
        bad(
          () => createTarget('student-t8', { components: 3 }),
          /option 'components' does not apply to target 'student-t8'/,
        );
        bad(() => createTarget('gmm8', { dataPath: 'x.csv' }), /option 'dataPath' does not apply/);
      });

      it('the Student-t mixture class', () => {
        bad(() => studentTMixtureTarget({ means: [], df: 2 }), /at least one/);
        bad(() => studentTMixtureTarget({ means: [[0, 0], [1]], df: 2 }), /location 1/);
        bad(() => studentTMixtureTarget({ means: [[0]], df: -2 }), /df/);
        bad(() => studentTMixtureTarget({ means: [[0]], df: 2, scale2: 0 }), /scale2/);
        bad(() => studentTMixtureTarget({ means: [[NaN]], df: 2 }), /finite/);
        bad(() => studentTMixtureTarget({ means: [[0], [1]], df: 2, weights: [1] }), /weights/);
        bad(() => studentTMixtureTarget({ means: [[0], [1]], df: 2, weights: [1, -1] }), /weights/);
        bad(
          () => studentTMixtureTarget({ means: [[0]], df: 2 }).sample(0, Rng.fromSeed(0)),
          /count/,
        );
        const t = studentTMixtureTarget({ means: [[0, 0]], df: 2 });
        const z = tf.zeros([3, 5]) as Tensor2D;
        bad(() => t.logProb(z), /shape \[N, 2\]/);
        bad(() => t.score(z), /shape \[N, 2\]/);
        z.dispose();
        t.dispose();
      });
    });
  });
}
