// Compiled densities (src/engine/densityProgram.ts): log densities written in TF.js ops, traced
// into one native program with its reverse-mode gradient, against TF.js's own value and autodiff.
// Every supported op appears in some density; each program is compiled at one set of particles
// and checked at another (so nothing of the trace point is baked in), including a tile tail and
// more rows than one tile. Then the refusals (ops that mix particles, unknown ops, host reads,
// per-particle constants), the addon's own checks of a malformed program, the fall-back under a
// gradient tape, tensor leaks, and an AIS run against the op-by-op one. Skipped where the native
// addon is not built.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  compileDensity,
  initEngine,
  liveTensorCount,
  nativeStatus,
  Rng,
  runDensityProgram,
  setDensityPrograms,
  tf,
  type DensityProgram,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../src/engine/index.js';
import { loadNative } from '../src/engine/native.js';
import { relativeGap } from '../src/engine/densityProgram.js';
import { densityProgramRefusal, targetLogProbAndScore } from '../src/targets/score.js';
import type { Target } from '../src/targets/target.js';
import { AnnealingPath, linearSchedule, makeKernel, runAis } from '../src/annealing/index.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';

const skip = loadNative() ? false : `native addon not available: ${nativeStatus()}`;

const D = 6;

/** Constants the densities close over (kept for the whole file). */
let W: Tensor2D; // [D, 64]
let WT: Tensor2D; // [64, D]
let Y: Tensor1D; // [64]
let MEANS: Tensor2D; // [D, 5]
let OFFSET: Tensor1D; // [D]

type LogProb = (z: Tensor2D) => Tensor1D;

const DENSITIES: Record<string, LogProb> = {
  // A logistic regression with a prior: products against data, softplus, slices, exp, division.
  logistic: (z) =>
    tf.tidy(() => {
      const scale = z.slice([0, 0], [-1, 1]);
      const w = z.slice([0, 1], [-1, D - 1]);
      const eta = tf.matMul(tf.concat([w, tf.tanh(scale)], 1), W);
      const lik = tf.sum(tf.sub(tf.mul(eta, Y), tf.softplus(eta)), 1, true);
      const prior = tf.div(tf.sum(tf.square(w), 1, true), tf.exp(tf.mul(scale, 2))).mul(-0.5);
      return tf
        .add(lik, prior)
        .sub(scale.mul(D - 1))
        .reshape([-1]) as Tensor1D;
    }),
  // The same product with the data stored transposed.
  transposed: (z) =>
    tf.tidy(() => {
      const eta = tf.matMul(z, WT, false, true);
      return tf.sum(tf.neg(tf.softplus(tf.neg(tf.mul(eta, Y)))), 1) as Tensor1D;
    }),
  // A Gaussian mixture through logSumExp (a row max, its subtraction, exp, sum, log).
  mixture: (z) =>
    tf.tidy(() => {
      const quad = tf.sum(tf.square(z), 1, true).mul(-0.5);
      const cross = tf.matMul(z, MEANS);
      const norms = tf.sum(tf.square(MEANS), 0).mul(-0.5);
      return tf.logSumExp(tf.add(tf.add(cross, norms), quad), 1) as Tensor1D;
    }),
  // Element-wise ops, broadcasts of constants and of [N, 1] columns, and the other reductions.
  elementwise: (z) =>
    tf.tidy(() => {
      const r2 = tf.add(tf.square(z), 1);
      const parts = [
        tf.sigmoid(z),
        tf.relu(tf.sub(z, 0.2)),
        tf.abs(tf.add(z, 0.05)),
        tf.sqrt(tf.softplus(z)),
        tf.rsqrt(r2),
        tf.reciprocal(r2),
        tf.log1p(tf.square(z)),
        tf.pow(z, 2).mul(0.1),
        tf.pow(z, 3).mul(0.01),
        tf.maximum(z, 0.3),
        tf.minimum(z, OFFSET),
        tf.squaredDifference(z, OFFSET).mul(-0.3),
        tf.div(z, tf.add(tf.exp(z), 2)),
        tf.log(r2),
        tf.mul(z, tf.mean(z, 1, true)),
      ];
      const sum = tf.addN(parts);
      return tf
        .add(tf.sum(sum, 1), tf.min(tf.tanh(z), 1))
        .sub(tf.max(tf.abs(z), 1).mul(0.5)) as Tensor1D;
    }),
  // A random-effects model: each of 9 observations takes its group's effect (a gather of columns
  // by constant indices), with a probit link (erf), a periodic term and a clipped scale.
  grouped: (z) =>
    tf.tidy(() => {
      const groups = tf.tensor1d([0, 2, 1, 1, 3, 0, 2, 3, 1], 'int32');
      const effects = tf.gather(z.slice([0, 0], [-1, 4]), groups, 1);
      const probit = tf.mul(tf.add(tf.erf(tf.mul(effects, Math.SQRT1_2)), 1), 0.5);
      const lik = tf.sum(tf.log(tf.add(probit, 1e-3)), 1);
      const periodic = tf.sum(tf.mul(tf.sin(z), tf.cos(tf.mul(z, 2))), 1);
      const scale = tf.clipByValue(z.slice([0, 4], [-1, 2]), -0.5, 0.7);
      return tf.add(tf.add(lik, periodic), tf.sum(tf.square(scale), 1).mul(-1)) as Tensor1D;
    }),
  // -Infinity off its support (z0 <= 0 for some particles): a log of a rectified value.
  support: (z) =>
    tf.tidy(() =>
      tf.add(
        tf.log(tf.relu(z.slice([0, 0], [-1, 1]))).reshape([-1]),
        tf.sum(tf.square(z), 1).mul(-0.5),
      ),
    ) as Tensor1D,
  // Shapes: columns unstacked and stacked again, reshapes to three axes and back.
  structure: (z) =>
    tf.tidy(() => {
      const [head, tail] = tf.split(z, [2, D - 2], 1) as [Tensor2D, Tensor2D];
      const cols = tf.unstack(tf.concat([tail, head], 1), 1);
      const pairs = tf.stack(
        [tf.mul(cols[0] as Tensor, cols[1] as Tensor), tf.exp(cols[2] as Tensor)],
        1,
      );
      const cube = tf.reshape(z, [-1, D / 2, 2]);
      const total = tf.sum(tf.square(cube), [1, 2]);
      const wide = tf.expandDims(tf.sum(pairs, 1), 1);
      return tf.sub(tf.squeeze(wide, [1]), total.mul(0.5)) as Tensor1D;
    }),
};

function autodiff(logProb: LogProb, z: Tensor2D): { logProb: Tensor1D; score: Tensor2D } {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((x: Tensor) => tf.sum(logProb(x as Tensor2D)))(z);
    value.dispose();
    return { logProb: logProb(z), score: grad as Tensor2D };
  });
}

// The same measure of agreement the compiler checks a program with.
const gap = relativeGap;

function particles(n: number, seed: number): Tensor2D {
  return tf.tidy(() => tf.mul(Rng.fromSeed(seed).normal([n, D]), 0.8) as Tensor2D);
}

function compile(logProb: LogProb, z: Tensor2D): DensityProgram {
  const reference = autodiff(logProb, z);
  const result = compileDensity(logProb, z, reference);
  tf.dispose([reference.logProb, reference.score]);
  if ('refused' in result) assert.fail(`not compiled: ${result.refused}`);
  tf.dispose([result.logProb, result.score]);
  return result.program;
}

describe('compiled densities', { skip }, () => {
  before(async () => {
    await initEngine({ backend: 'wasm', native: true });
    const rng = Rng.fromSeed(7);
    W = tf.keep(tf.mul(rng.normal([D, 64]), 0.5) as Tensor2D);
    WT = tf.keep(tf.transpose(W) as Tensor2D);
    Y = tf.keep(tf.cast(tf.greater(rng.uniform([64]), 0.5), 'float32') as Tensor1D);
    MEANS = tf.keep(tf.mul(rng.normal([D, 5]), 2) as Tensor2D);
    OFFSET = tf.keep(rng.normal([D]) as Tensor1D);
  });

  for (const [name, logProb] of Object.entries(DENSITIES)) {
    it(`${name}: value and score match TF.js at particles it was not traced on`, () => {
      const before = liveTensorCount();
      const traced = particles(5, 1);
      const program = compile(logProb, traced);
      traced.dispose();
      // 37 rows: a tile and a tail; 700 rows: several tiles, split over threads.
      for (const [n, seed] of [
        [37, 2],
        [700, 3],
      ] as const) {
        tf.tidy(() => {
          const z = particles(n, seed);
          const ours = runDensityProgram(program, z);
          const ref = autodiff(logProb, z);
          const gv = gap(ours.logProb, ref.logProb);
          const gs = gap(ours.score, ref.score);
          assert.ok(gv < 1e-5, `${name}: values differ by ${gv} (relative) at n = ${n}`);
          assert.ok(gs < 1e-5, `${name}: scores differ by ${gs} (relative) at n = ${n}`);
          // Not a vacuous match: the score is far from zero.
          assert.ok(Array.from(ref.score.dataSync()).some((v) => Math.abs(v) > 0.1));
        });
      }
      assert.equal(liveTensorCount(), before);
    });
  }

  it('a wrong sign in the gradient would be caught: the score is not minus itself', () => {
    tf.tidy(() => {
      const z = particles(20, 4);
      const program = compile(DENSITIES.logistic as LogProb, z);
      const ours = runDensityProgram(program, z);
      const ref = autodiff(DENSITIES.logistic as LogProb, z);
      assert.ok(gap(ours.score, tf.neg(ref.score)) > 0.1);
    });
  });

  const refusals: [string, LogProb, RegExp][] = [
    [
      'a reduction across particles',
      (z) => tf.add(tf.sum(z, 1), tf.sum(z)) as Tensor1D,
      /particle/,
    ],
    ['an op without a rule', (z) => tf.sum(tf.cumsum(z, 1), 1) as Tensor1D, /Cumsum/],
    [
      'a host read of particle values',
      (z) => (z.dataSync()[0]! > 0 ? tf.sum(z, 1) : tf.sum(tf.neg(z), 1)) as Tensor1D,
      /reads particle-dependent values/,
    ],
    [
      'a constant with one row per particle',
      (z) => tf.add(tf.sum(z, 1), tf.range(0, z.shape[0], 1, 'float32')) as Tensor1D,
      /one row per particle/,
    ],
    [
      'a product with the particles on the right',
      (z) =>
        tf
          .sum(tf.matMul(tf.ones([3, z.shape[0]]), z), 0)
          .slice([0], [D])
          .sum()
          .add(tf.sum(z, 1)) as Tensor1D,
      /particle/,
    ],
  ];
  for (const [what, logProb, reason] of refusals) {
    it(`refuses ${what}, and TF.js's own result stands`, () => {
      const before = liveTensorCount();
      tf.tidy(() => {
        const z = particles(4, 5);
        const reference = autodiff(logProb, z);
        const result = compileDensity(logProb, z, reference);
        assert.ok('refused' in result, `${what} was compiled`);
        assert.match(result.refused, reason);
      });
      assert.equal(liveTensorCount(), before);
    });
  }

  it('the addon refuses a malformed program in words', () => {
    tf.tidy(() => {
      const z = particles(8, 6);
      const program = compile(DENSITIES.mixture as LogProb, z);
      const ints = Int32Array.from(program.ints);
      // The first instruction's output register, far out of range.
      ints[ints.length - 8 * program.instructions + 1] = 10_000;
      assert.throws(
        () => runDensityProgram({ ...program, ints }, z),
        /density program: an instruction writes no register/,
      );
      assert.throws(
        () => runDensityProgram(program, tf.zeros([3, D + 1]) as Tensor2D),
        /7 coordinates, not 6/,
      );
      // A gather index beyond its row.
      const grouped = compile(DENSITIES.grouped as LogProb, z);
      const constants = grouped.constants.map((c) =>
        c.length === 9 ? Float32Array.from(c, (v, i) => (i === 4 ? 99 : v)) : c,
      );
      assert.throws(
        () => runDensityProgram({ ...grouped, constants }, z),
        /density program: a gather index is out of range/,
      );
    });
  });

  it('a target compiles on first use off the tape, runs op by op under one, and leaks nothing', () => {
    const target: Target = { name: 'logistic', dim: D, logProb: DENSITIES.logistic as LogProb };
    const before = liveTensorCount();
    tf.tidy(() => {
      const z = particles(50, 8);
      const first = targetLogProbAndScore(target, z);
      assert.equal(densityProgramRefusal(target), null);
      const second = targetLogProbAndScore(target, z);
      assert.ok(gap(second.score, first.score) < 1e-5);
      // Under a tape the op-by-op path gives a differentiable score (here its divergence term).
      const g = tf.grad((x: Tensor) =>
        tf.sum(tf.square(targetLogProbAndScore(target, x as Tensor2D).score)),
      )(z);
      assert.ok(Number.isFinite(g.dataSync()[0]!));
    });
    assert.equal(liveTensorCount(), before);
  });

  it("the auto sampler's fit, pilot and systems take the fast paths on a user's target", async () => {
    // A fresh target object, so that its first evaluation is inside the profiled run.
    const target: Target = { name: 'transposed', dim: D, logProb: DENSITIES.transposed as LogProb };
    const profile = await tf.profile(() => {
      const r = estimateLogZ({
        target,
        seed: 2,
        particles: 256,
        auto: { systems: 2, targetStdErr: null },
      });
      assert.ok(Number.isFinite(r.logZ));
      assert.match(r.score ?? '', /^compiled density/);
    });
    const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    // The target's own ops ran only while it was traced and checked (a handful of Softplus
    // kernels); every later evaluation, and the HMC moves' arithmetic, were native calls.
    assert.ok(count('Softplus') <= 3, `${count('Softplus')} Softplus kernels`);
    assert.ok(count('AnnealFused') > 100, `${count('AnnealFused')} native calls`);
  });

  it('AIS-HMC on a compiled target agrees with the op-by-op run within its standard errors', () => {
    const estimate = (compiled: boolean) => {
      setDensityPrograms(compiled);
      try {
        const target: Target = { name: 'mixture', dim: D, logProb: DENSITIES.mixture as LogProb };
        const initial = DiagGaussian.isotropic(D, 2);
        const path = new AnnealingPath(initial, target);
        const kernel = makeKernel('ais-hmc', 30, { stepSize: 0.2, leapfrogSteps: 3 });
        const r = runAis({
          path,
          kernel,
          betas: linearSchedule(30),
          particles: 400,
          rng: Rng.fromSeed(11),
        });
        const w = r.logW.dataSync();
        tf.dispose([r.z, r.logW]);
        initial.dispose();
        const m = Math.max(...w);
        const ws = Array.from(w, (v) => Math.exp(v - m));
        const mean = ws.reduce((a, b) => a + b, 0) / ws.length;
        const sd = Math.sqrt(ws.reduce((a, b) => a + (b - mean) ** 2, 0) / (ws.length - 1));
        // log Z and its delta-method standard error.
        return { logZ: m + Math.log(mean), se: sd / mean / Math.sqrt(ws.length) };
      } finally {
        setDensityPrograms(true);
      }
    };
    const a = estimate(true);
    const b = estimate(false);
    const bound = 4 * Math.hypot(a.se, b.se);
    assert.ok(Math.abs(a.logZ - b.logZ) < bound, `${a.logZ} vs ${b.logZ} (bound ${bound})`);
  });
});
