import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertScoreGradient } from './helpers/secondOrder.js';
import {
  Rng,
  initEngine,
  liveTensorCount,
  logSumExpHost,
  tf,
  type BackendName,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import {
  TargetError,
  createTarget,
  doubleWellLogZ1,
  dsmcsMixtureTarget,
  funnelTarget,
  gaussianMixtureTarget,
  gaussianTarget,
  gridMixtureTarget,
  listTargets,
  manyWellTarget,
  type Target,
} from '../src/targets/index.js';
import {
  LOG_2PI,
  assertAllClose,
  assertMoments,
  centralDiffGrad,
  invertWithLogDet,
  logNormal,
  logSumExp,
} from './helpers/targetHostMath.js';

const BACKENDS = (process.env.ANNEAL_TEST_BACKENDS ?? 'cpu,wasm').split(',') as BackendName[];

// ---- independent float64 references ----

type HostLogProb = (z: readonly number[]) => number;

function hostGaussianFull(mean: number[], cov: number[][]): HostLogProb {
  const { inverse } = invertWithLogDet(cov);
  return (z) => {
    let q = 0;
    for (let i = 0; i < mean.length; i++) {
      for (let j = 0; j < mean.length; j++)
        q += (z[i]! - mean[i]!) * inverse[i]![j]! * (z[j]! - mean[j]!);
    }
    return -0.5 * q;
  };
}

function hostFunnel(z: readonly number[]): number {
  const v = z[0]!;
  let s = logNormal(v, 0, 9);
  for (let i = 1; i < z.length; i++) s += logNormal(z[i]!, 0, Math.exp(v));
  return s;
}

/** Brute force over all 2^d grid corners. */
function hostGridMixture(loc: number, sigma2: number): HostLogProb {
  return (z) => {
    const d = z.length;
    const terms: number[] = [];
    for (let mask = 0; mask < 1 << d; mask++) {
      let s = -d * Math.LN2;
      for (let j = 0; j < d; j++) s += logNormal(z[j]!, (mask >> j) & 1 ? loc : -loc, sigma2);
      terms.push(s);
    }
    return logSumExp(terms);
  };
}

function hostMixture(means: number[][], weights: number[], variances: number[]): HostLogProb {
  const total = weights.reduce((a, b) => a + b, 0);
  return (z) =>
    logSumExp(
      means.map((mu, k) => {
        let s = Math.log(weights[k]! / total);
        for (let j = 0; j < z.length; j++) s += logNormal(z[j]!, mu[j]!, variances[k]!);
        return s;
      }),
    );
}

function hostManyWell(z: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < z.length; i += 2) {
    const a = z[i]!;
    const b = z[i + 1]!;
    s += -Math.pow(a, 4) + 6 * a * a + 0.5 * a - 0.5 * b * b;
  }
  return s;
}

function dsmcsMeans(d: number, K: number, seed: number): number[][] {
  const e = Rng.fromSeed(seed).normalArray(K * d);
  return Array.from({ length: K }, (_, k) =>
    Array.from({ length: d }, (_, j) => 3 + e[k * d + j]!),
  );
}

/** A random symmetric positive-definite matrix B B^T + 0.5 I. */
function randomSpd(d: number, seed: number): number[][] {
  const b = Rng.fromSeed(seed).normalArray(d * d);
  return Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < d; k++) s += b[i * d + k]! * b[j * d + k]!;
      return s;
    }),
  );
}

// ---- cases shared by the generic checks ----

interface Case {
  label: string;
  make(): Target;
  host: HostLogProb;
  /** Test points, rows; rounded to float32 before both evaluations. */
  points(rng: Rng, d: number): number[][];
}

function normalPoints(scale: number, shift = 0) {
  return (rng: Rng, d: number) => {
    const e = rng.normalArray(20 * d);
    return Array.from({ length: 20 }, (_, i) =>
      Array.from({ length: d }, (_, j) => shift + scale * e[i * d + j]!),
    );
  };
}

const FULL_MEAN = [0.5, -1, 2, 0];
const FULL_COV = randomSpd(4, 11);
const MIX_MEANS = [
  [1, 0, -1],
  [-2, 1, 0.5],
  [0, -1.5, 2],
];
const MIX_WEIGHTS = [0.2, 0.5, 0.3];
const MIX_VARIANCES = [0.5, 1, 2];

const CASES: Case[] = [
  {
    label: 'gaussian (registry default, diagonal)',
    make: () => createTarget('gaussian'),
    host: hostGaussianFull(
      [1, 1],
      [
        [0.5, 0],
        [0, 2],
      ],
    ),
    points: normalPoints(1.5, 1),
  },
  {
    label: 'gaussian full covariance d=4',
    make: () => gaussianTarget({ mean: FULL_MEAN, covariance: FULL_COV }),
    host: hostGaussianFull(FULL_MEAN, FULL_COV),
    points: normalPoints(2),
  },
  { label: 'funnel d=10', make: () => funnelTarget(), host: hostFunnel, points: normalPoints(1.5) },
  {
    label: 'funnel d=2',
    make: () => funnelTarget({ dim: 2 }),
    host: hostFunnel,
    points: normalPoints(1.5),
  },
  {
    label: 'rings (3 rings, radial variance 0.02)',
    make: () => createTarget('rings'),
    host: (z) => {
      const rho = Math.hypot(z[0]!, z[1]!);
      return logSumExp([1, 2, 3].map((r) => -((rho - r) ** 2) / (2 * 0.02) - Math.log(3)));
    },
    points: normalPoints(1.6),
  },
  {
    label: 'mgm d=4 (brute force over 16 components)',
    make: () => gridMixtureTarget({ dim: 4 }),
    host: hostGridMixture(1, 0.5),
    points: normalPoints(1.5),
  },
  {
    label: 'mgm d=3 loc=2.5 sigma2=0.2 (well separated)',
    make: () => createTarget('mgm', { dim: 3, loc: 2.5, sigma2: 0.2 }),
    host: hostGridMixture(2.5, 0.2),
    points: normalPoints(2.5),
  },
  {
    label: 'gaussian mixture d=3, unequal weights and variances',
    make: () =>
      gaussianMixtureTarget({ means: MIX_MEANS, weights: MIX_WEIGHTS, variance: MIX_VARIANCES }),
    host: hostMixture(MIX_MEANS, MIX_WEIGHTS, MIX_VARIANCES),
    points: normalPoints(2),
  },
  {
    label: 'dsmcs-mixture d=50 K=8',
    make: () => createTarget('dsmcs-mixture'),
    host: hostMixture(dsmcsMeans(50, 8, 0), new Array(8).fill(1), new Array(8).fill(1)),
    // Near the components, so that several responsibilities matter.
    points: (rng, d) => {
      const means = dsmcsMeans(d, 8, 0);
      const e = rng.normalArray(20 * d);
      return Array.from({ length: 20 }, (_, i) =>
        Array.from(
          { length: d },
          (_, j) => 0.5 * (means[i % 8]![j]! + means[(i + 3) % 8]![j]!) + e[i * d + j]!,
        ),
      );
    },
  },
  {
    label: 'many-well d=32',
    make: () => manyWellTarget(),
    host: hostManyWell,
    points: normalPoints(1.3),
  },
  {
    label: 'many-well d=2',
    make: () => createTarget('many-well', { dim: 2 }),
    host: hostManyWell,
    points: normalPoints(1.3),
  },
];

/** ln integral exp(logProb) over a 2-d box by the rectangle rule, evaluated with the tensor logProb. */
function integrate2d(
  target: Target,
  [x0, x1, nx]: [number, number, number],
  [y0, y1, ny]: [number, number, number],
  transform?: (x: number, y: number) => [number, number, number],
): number {
  const hx = (x1 - x0) / nx;
  const hy = (y1 - y0) / ny;
  const pts = new Float32Array(nx * ny * 2);
  const logJac = new Float64Array(nx * ny);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const x = x0 + (i + 0.5) * hx;
      const y = y0 + (j + 0.5) * hy;
      const [a, b, lj] = transform ? transform(x, y) : [x, y, 0];
      pts[2 * (i * ny + j)] = a;
      pts[2 * (i * ny + j) + 1] = b;
      logJac[i * ny + j] = lj;
    }
  }
  const z = tf.tensor2d(pts, [nx * ny, 2]);
  const lp = target.logProb(z);
  const vals = lp.dataSync();
  z.dispose();
  lp.dispose();
  const terms = Float64Array.from(vals, (v, k) => v + logJac[k]!);
  return logSumExpHost(terms) + Math.log(hx * hy);
}

for (const backend of BACKENDS) {
  describe(`targets on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });

    describe('logProb, score and memory against float64 references', () => {
      for (const c of CASES) {
        it(c.label, () => {
          const startCount = liveTensorCount();
          const target = c.make();
          const d = target.dim;
          const baseline = liveTensorCount();
          const pts = c.points(Rng.fromSeed(1234), d).map((r) => r.map(Math.fround));
          const z = tf.tensor2d(pts.flat(), [pts.length, d]) as Tensor2D;

          const lp = target.logProb(z);
          assert.deepEqual(lp.shape, [pts.length]);
          assertAllClose(lp.dataSync(), pts.map(c.host), 1e-4, `${c.label} logProb`);

          const sc = target.score!(z);
          assert.deepEqual(sc.shape, [pts.length, d]);
          const fd = pts.flatMap((p) => centralDiffGrad(c.host, p));
          const scVals = sc.dataSync();
          assertAllClose(scVals, fd, 1e-3, `${c.label} score vs finite differences`);

          // logProb must also be differentiable by autodiff, agreeing with the closed form, and
          // the score must be differentiable again (samplers backprop through it).
          const auto = tf.grad((x: Tensor) => tf.sum(target.logProb(x as Tensor2D)))(z);
          assertAllClose(auto.dataSync(), scVals, 1e-3, `${c.label} autodiff grad vs score`);
          assertScoreGradient(target, z, (p) => centralDiffGrad(c.host, p), c.label);

          const s = target.sample!(7, Rng.fromSeed(5));
          assert.deepEqual(s.shape, [7, d]);
          const again = target.sample!(7, Rng.fromSeed(5));
          assert.deepEqual(
            Array.from(again.dataSync()),
            Array.from(s.dataSync()),
            'same seed, same samples',
          );

          tf.dispose([z, lp, sc, auto, s, again]);
          assert.equal(liveTensorCount(), baseline, `${c.label}: calls leaked tensors`);
          target.dispose?.();
          assert.equal(liveTensorCount(), startCount, `${c.label}: dispose() left tensors`);
        });
      }

      it('a wrong-shaped particle batch is rejected', () => {
        const target = funnelTarget({ dim: 3 });
        const z = tf.zeros([4, 2]) as Tensor2D;
        assert.throws(() => target.logProb(z), TargetError);
        assert.throws(() => target.score(z), TargetError);
        z.dispose();
      });

      it('a target built inside tf.tidy keeps its constants', () => {
        let target: Target | undefined;
        tf.tidy(() => {
          target = gaussianTarget({
            mean: [0, 0],
            covariance: [
              [1, 0.5],
              [0.5, 1],
            ],
          });
        });
        const z = tf.tensor2d([[1, 0]]);
        const lp = target!.logProb(z);
        assertAllClose(lp.dataSync(), [-0.5 / 0.75], 1e-6, 'logProb after tidy');
        tf.dispose([z, lp]);
        target!.dispose?.();
      });
    });

    describe('exact samples: moments within 4 standard errors', () => {
      const n = 4000;
      const draw = (target: Target, seed: number) => {
        const s = target.sample!(n, Rng.fromSeed(seed));
        const data = s.dataSync();
        s.dispose();
        return data;
      };

      it('gaussian, diagonal and full covariance', () => {
        const diag = createTarget('gaussian', { dim: 3 });
        assertMoments(draw(diag, 1), n, 3, [1, 1, 1], [0.5, 2, 0.5], 'gaussian diagonal');
        diag.dispose?.();

        const full = gaussianTarget({ mean: FULL_MEAN, covariance: FULL_COV });
        const data = draw(full, 2);
        assertMoments(
          data,
          n,
          4,
          FULL_MEAN,
          FULL_COV.map((r, i) => r[i]!),
          'gaussian full',
        );
        // Off-diagonal covariances: se of a sample covariance is sqrt((S_ii S_jj + S_ij^2) / n).
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < i; j++) {
            let c = 0;
            for (let r = 0; r < n; r++)
              c += (data[r * 4 + i]! - FULL_MEAN[i]!) * (data[r * 4 + j]! - FULL_MEAN[j]!);
            c /= n;
            const se = Math.sqrt((FULL_COV[i]![i]! * FULL_COV[j]![j]! + FULL_COV[i]![j]! ** 2) / n);
            assert.ok(
              Math.abs(c - FULL_COV[i]![j]!) <= 4 * se,
              `cov(${i},${j}) = ${c}, exact ${FULL_COV[i]![j]}`,
            );
          }
        }
        full.dispose();
      });

      it('funnel: v ~ N(0, 9) and x / e^{v/2} ~ N(0, 1)', () => {
        const d = 5;
        const data = draw(funnelTarget({ dim: d }), 3);
        const std = Float64Array.from(data, (x, k) =>
          k % d === 0 ? x : x / Math.exp(data[k - (k % d)]! / 2),
        );
        assertMoments(std, n, d, new Array(d).fill(0), [9, 1, 1, 1, 1], 'funnel');
      });

      it('rings: mean 0, radius moments from quadrature of the radial density', () => {
        const target = createTarget('rings', { sigma2: 0.1 });
        const data = draw(target, 6);
        // The radial density (1/3) sum_i rho exp(-(rho - i)^2 / 0.2) on rho > 0, by the midpoint rule.
        let m0 = 0;
        let m1 = 0;
        let m2 = 0;
        for (let k = 0; k < 200000; k++) {
          const rho = (k + 0.5) * 5e-5;
          const w = [1, 2, 3].reduce((acc, r) => acc + rho * Math.exp(-((rho - r) ** 2) / 0.2), 0);
          m0 += w;
          m1 += w * rho;
          m2 += w * rho * rho;
        }
        const meanRho = m1 / m0;
        const rho = Float64Array.from({ length: n }, (_, j) =>
          Math.hypot(data[2 * j]!, data[2 * j + 1]!),
        );
        assertMoments(rho, n, 1, [meanRho], [m2 / m0 - meanRho ** 2], 'rings radius');
        // By symmetry the coordinates have mean 0 and variance E[rho^2] / 2.
        assertMoments(data, n, 2, [0, 0], [m2 / m0 / 2, m2 / m0 / 2], 'rings coordinates');
      });

      it('mgm: mean 0, variance loc^2 + sigma2', () => {
        const target = gridMixtureTarget({ dim: 3, loc: 1.5, sigma2: 0.5 });
        assertMoments(draw(target, 4), n, 3, [0, 0, 0], new Array(3).fill(1.5 ** 2 + 0.5), 'mgm');
      });

      it('gaussian mixture: mixture mean and variance', () => {
        const target = gaussianMixtureTarget({
          means: MIX_MEANS,
          weights: MIX_WEIGHTS,
          variance: MIX_VARIANCES,
        });
        const mean = [0, 1, 2].map((j) =>
          MIX_MEANS.reduce((s, mu, k) => s + MIX_WEIGHTS[k]! * mu[j]!, 0),
        );
        const variance = [0, 1, 2].map(
          (j) =>
            MIX_MEANS.reduce(
              (s, mu, k) => s + MIX_WEIGHTS[k]! * (MIX_VARIANCES[k]! + mu[j]! ** 2),
              0,
            ) -
            mean[j]! ** 2,
        );
        assertMoments(draw(target, 5), n, 3, mean, variance, 'gaussian mixture');
        target.dispose();
      });

      it('dsmcs-mixture d=50: mixture mean and variance', () => {
        const target = dsmcsMixtureTarget();
        const means = dsmcsMeans(50, 8, 0);
        const mean = Array.from({ length: 50 }, (_, j) =>
          means.reduce((s, mu) => s + mu[j]! / 8, 0),
        );
        const variance = mean.map(
          (m, j) => means.reduce((s, mu) => s + (1 + mu[j]! ** 2) / 8, 0) - m * m,
        );
        assertMoments(draw(target, 6), n, 50, mean, variance, 'dsmcs-mixture');
        target.dispose();
      });

      it('many-well: x1 moments from quadrature, x2 ~ N(0, 1)', () => {
        // Moments of the x1 marginal by the trapezoidal rule, independent of the module.
        let z0 = 0;
        let z1 = 0;
        let z2 = 0;
        for (let x = -7; x <= 7; x += 1e-3) {
          const f = Math.exp(-(x ** 4) + 6 * x * x + 0.5 * x - 10);
          z0 += f;
          z1 += x * f;
          z2 += x * x * f;
        }
        const m1 = z1 / z0;
        const v1 = z2 / z0 - m1 * m1;
        const target = manyWellTarget({ dim: 4 });
        assertMoments(draw(target, 7), n, 4, [m1, 0, m1, 0], [v1, 1, v1, 1], 'many-well');
        target.dispose();
      });
    });

    describe('log Z', () => {
      it('gaussian dim 2 (diagonal and full) by grid integration', () => {
        const diag = createTarget('gaussian');
        assert.ok(
          Math.abs(diag.logZ! - LOG_2PI) < 1e-12,
          'default gaussian: log Z = log 2 pi (det = 1)',
        );
        const got = integrate2d(diag, [-5, 7, 600], [-10, 12, 600]);
        assert.ok(
          Math.abs(got - diag.logZ!) < 1e-4,
          `diagonal: quadrature ${got} vs logZ ${diag.logZ}`,
        );
        diag.dispose?.();

        const cov = [
          [2, -0.9],
          [-0.9, 0.7],
        ];
        const full = gaussianTarget({ mean: [0.3, -0.2], covariance: cov });
        const exact = LOG_2PI + 0.5 * invertWithLogDet(cov).logDet;
        assert.ok(Math.abs(full.logZ - exact) < 1e-12, `full: logZ ${full.logZ} vs ${exact}`);
        const q = integrate2d(full, [-12, 12, 600], [-8, 8, 600]);
        assert.ok(Math.abs(q - full.logZ) < 1e-4, `full: quadrature ${q} vs logZ ${full.logZ}`);
        full.dispose();
      });

      it('normalized targets integrate to 1 in 2-d (funnel, mgm, mixture)', () => {
        // Funnel: integrate in (v, u) with x = e^{v/2} u, Jacobian e^{v/2}, since x's scale varies
        // by orders of magnitude with v.
        const funnel = funnelTarget({ dim: 2 });
        const qf = integrate2d(funnel, [-24, 24, 800], [-9, 9, 300], (v, u) => [
          v,
          Math.exp(v / 2) * u,
          v / 2,
        ]);
        assert.ok(Math.abs(qf) < 1e-4, `funnel: ${qf}`);

        const mgm = gridMixtureTarget({ dim: 2, loc: 2, sigma2: 0.3 });
        const qm = integrate2d(mgm, [-6, 6, 600], [-6, 6, 600]);
        assert.ok(Math.abs(qm) < 1e-4, `mgm: ${qm}`);

        const mix = gaussianMixtureTarget({
          means: [
            [0, 1],
            [2, -1],
          ],
          weights: [1, 3],
          variance: [0.3, 1.5],
        });
        const qx = integrate2d(mix, [-8, 10, 600], [-9, 9, 600]);
        assert.ok(Math.abs(qx) < 1e-4, `mixture: ${qx}`);
        mix.dispose();
      });

      it('rings: closed-form log Z matches grid integration (default and wide rings)', () => {
        for (const options of [{}, { components: 2, loc: 0.5, sigma2: 0.3 }]) {
          const rings = createTarget('rings', options);
          const q = integrate2d(rings, [-5, 5, 1000], [-5, 5, 1000]);
          assert.ok(
            Math.abs(q - rings.logZ!) < 1e-4,
            `${JSON.stringify(options)}: quadrature ${q} vs logZ ${rings.logZ}`,
          );
        }
      });

      it('many-well: Z1 matches the reference, d=2 by grid integration, d=32 value', () => {
        assert.ok(
          Math.abs(Math.exp(doubleWellLogZ1()) - 11784.50927) < 1e-4,
          `Z1 = ${Math.exp(doubleWellLogZ1())}`,
        );
        const mw32 = manyWellTarget();
        assert.ok(Math.abs(mw32.logZ - 164.6957) < 1e-4, `d=32 logZ ${mw32.logZ}`);
        assert.ok(Math.abs(mw32.logZ - 16 * (Math.log(11784.50927) + 0.5 * LOG_2PI)) < 1e-6);
        mw32.dispose();
        const mw2 = manyWellTarget({ dim: 2 });
        const q = integrate2d(mw2, [-3.5, 3.5, 1400], [-9, 9, 180]);
        assert.ok(Math.abs(q - mw2.logZ) < 1e-4, `d=2: quadrature ${q} vs logZ ${mw2.logZ}`);
        mw2.dispose();
      });
    });

    describe('validation', () => {
      const bad = (fn: () => unknown, pattern: RegExp) =>
        assert.throws(
          fn,
          (e: unknown) =>
            e instanceof TargetError && pattern.test(e.message) && !e.message.includes('\n'),
        );

      it('gaussian', () => {
        bad(
          () =>
            gaussianTarget({
              mean: [0, 0],
              covariance: [
                [1, 2],
                [2, 1],
              ],
            }),
          /not positive definite/,
        );
        bad(
          () =>
            gaussianTarget({
              mean: [0, 0],
              covariance: [
                [1, 0.5],
                [0.4, 1],
              ],
            }),
          /not symmetric/,
        );
        bad(() => gaussianTarget({ mean: [0, 0], covariance: [1, 0, 0] }), /must be 2x2/);
        bad(() => gaussianTarget({ mean: [0, 0], covariance: [[1, 0], [0]] }), /row 1/);
        bad(() => gaussianTarget({ mean: [0, 0], variance: [1, -1] }), /variances/);
        bad(() => gaussianTarget({ mean: [0, 0], variance: [1] }), /length/);
        bad(
          () => gaussianTarget({ mean: [0, 0], variance: 1, covariance: [1, 0, 0, 1] }),
          /not both/,
        );
        bad(() => gaussianTarget({ mean: [] }), /dim/);
        bad(() => gaussianTarget({ mean: [0, NaN] }), /finite/);
      });

      it('funnel, mgm, mixtures, many-well', () => {
        bad(() => funnelTarget({ dim: 1 }), />= 2/);
        bad(() => gridMixtureTarget({ sigma2: 0 }), /sigma2/);
        bad(() => gridMixtureTarget({ loc: -1 }), /loc/);
        bad(() => gaussianMixtureTarget({ means: [] }), /at least one/);
        bad(() => gaussianMixtureTarget({ means: [[0, 0], [1]] }), /mean 1/);
        bad(() => gaussianMixtureTarget({ means: [[0], [1]], weights: [1, 0] }), /weights/);
        bad(() => gaussianMixtureTarget({ means: [[0], [1]], variance: [1] }), /variances/);
        bad(() => dsmcsMixtureTarget({ components: 0 }), /components/);
        bad(() => manyWellTarget({ dim: 3 }), /even/);
        bad(() => funnelTarget().sample(0, Rng.fromSeed(0)), /sample count/);
      });

      it('registry', () => {
        assert.deepEqual(
          listTargets().map((s) => s.name),
          [
            'gaussian',
            'funnel',
            'rings',
            'mgm',
            'dsmcs-mixture',
            'many-well',
            'gmm8',
            'gmm40',
            'student-t8',
            'phi4',
            'u1',
            'seeds',
            'brownian',
            'lgcp',
            'sonar',
            'ionosphere',
            'german-credit',
            'breast-cancer',
          ],
        );
        bad(
          () => createTarget('nope'),
          /unknown target 'nope'; valid: gaussian, funnel, rings, mgm, dsmcs-mixture, many-well, gmm8, gmm40, student-t8, phi4, u1, seeds, brownian, lgcp, sonar, ionosphere, german-credit, breast-cancer$/,
        );
        bad(() => createTarget('many-well', { dim: 5 }), /dim must be an even integer >= 2, got 5/);
        bad(() => createTarget('funnel', { dim: 1 }), /dim must be an integer >= 2/);
        bad(() => createTarget('mgm', { dim: 2.5 }), /dim must be any integer >= 1/);
        bad(
          () => createTarget('funnel', { loc: 2 }),
          /option 'loc' does not apply to target 'funnel'/,
        );
        for (const spec of listTargets()) {
          const t = createTarget(spec.name);
          assert.equal(t.name, spec.name);
          assert.equal(t.dim, spec.defaultDim);
          assert.equal(t.logZ !== undefined, spec.logZKnown);
          t.dispose?.();
        }
        const t = createTarget('dsmcs-mixture', { dim: 4, components: 3, meansSeed: 9 });
        assert.equal(t.dim, 4);
        t.dispose?.();
      });
    });
  });
}
