import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine, liveTensorCount, Rng, tf, type Tensor2D } from '../src/engine/index.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { AnnealingPath } from '../src/annealing/path.js';
import { runAis, runSmc } from '../src/annealing/ais.js';
import { makeKernel, type SamplerName } from '../src/annealing/samplers.js';
import { linearSchedule } from '../src/annealing/schedule.js';
import {
  ancestorIndices,
  bernoulliDecision,
  gstOneHot,
  RESAMPLING_SCHEMES,
  validateResampling,
  type ResamplingOptions,
  type ResamplingScheme,
} from '../src/annealing/resampling.js';
import { LearnedSampler } from '../src/annealing/learned.js';
import { logMeanExpHost } from '../src/engine/index.js';
import { assertUnbiased } from './helpers/unbiased.js';
import { gaussianTarget } from '../src/targets/index.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

// A fixed, uneven weight vector: offspring counts N w_i are not integers, some tiny weights.
const WEIGHTS = [0.31, 0.02, 0.17, 0.005, 0.095, 0.2, 0.12, 0.08];
const N = WEIGHTS.length;

/** Offspring counts [R, N] of R independent resamplings of WEIGHTS (as R systems in one call). */
function offspring(scheme: ResamplingScheme, repeats: number, seed: number): number[][] {
  const logW = tf.tidy(() => tf.log(tf.tile(tf.tensor2d([WEIGHTS]), [repeats, 1])) as Tensor2D);
  const idx = ancestorIndices(logW, scheme, Rng.fromSeed(seed));
  const values = idx.dataSync();
  tf.dispose([logW, idx]);
  const counts: number[][] = [];
  for (let r = 0; r < repeats; r++) {
    const c = new Array<number>(N).fill(0);
    for (let j = 0; j < N; j++) {
      const a = values[r * N + j] as number;
      assert.ok(a >= 0 && a < N, `ancestor index ${a} out of range`);
      c[a] = (c[a] as number) + 1;
    }
    counts.push(c);
  }
  return counts;
}

function meanAndVar(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

describe('resampling schemes', () => {
  const repeats = 4000;
  const variances: Record<string, number> = {};
  for (const scheme of RESAMPLING_SCHEMES) {
    it(`${scheme}: expected offspring counts equal N w_i (within 4 standard errors)`, () => {
      const counts = offspring(scheme, repeats, 3);
      let totalVariance = 0;
      for (let i = 0; i < N; i++) {
        const column = counts.map((c) => c[i] as number);
        const { mean, variance } = meanAndVar(column);
        const expected = N * (WEIGHTS[i] as number);
        // Deterministic parts (zero variance) must be exact; otherwise 4 standard errors.
        const se = Math.sqrt(variance / repeats);
        assert.ok(
          Math.abs(mean - expected) <= 4 * se + 1e-9,
          `${scheme} particle ${i}: mean offspring ${mean} vs N w = ${expected} (se ${se})`,
        );
        totalVariance += variance;
      }
      for (const c of counts)
        assert.equal(
          c.reduce((a, b) => a + b, 0),
          N,
        );
      variances[scheme] = totalVariance;
    });
  }
  it('systematic, stratified and residual have lower offspring variance than multinomial', () => {
    const multinomial = variances['multinomial'] as number;
    // Multinomial's total variance is N sum w(1 - w); the others are far below on this example.
    const theory = N * WEIGHTS.reduce((a, w) => a + w * (1 - w), 0);
    assert.ok(
      Math.abs(multinomial - theory) < 0.1 * theory,
      `multinomial ${multinomial} vs ${theory}`,
    );
    for (const s of ['systematic', 'stratified', 'residual']) {
      assert.ok(
        (variances[s] as number) < 0.6 * multinomial,
        `${s} variance ${variances[s]} not below multinomial ${multinomial}`,
      );
    }
  });
  it('zero-weight particles are never chosen', () => {
    const logW = tf.tensor2d([[0, -Infinity, 0, -Infinity]]);
    for (const scheme of RESAMPLING_SCHEMES) {
      const idx = ancestorIndices(logW as Tensor2D, scheme, Rng.fromSeed(1));
      for (const a of idx.dataSync()) assert.ok(a === 0 || a === 2, `${scheme} chose ${a}`);
      idx.dispose();
    }
    logW.dispose();
  });
  it('rejects bad options with clear messages', () => {
    assert.throws(() => validateResampling({ scheme: 'systematic', groupSize: 3 }, 8), /divid/);
    assert.throws(
      () => validateResampling({ scheme: 'systematic', essThreshold: 1.5 }, 8),
      /\(0, 1\]/,
    );
    assert.throws(
      () => validateResampling({ scheme: 'bern-cat', essThreshold: 0.5 }, 8),
      /Bernoulli/,
    );
    assert.throws(
      () => validateResampling({ scheme: 'nope' as ResamplingOptions['scheme'] }, 8),
      /unknown resampling/,
    );
  });
});

describe('gapped straight-through one-hot', () => {
  it('its value is the hard sample and its gradient that of a tempered softmax', () => {
    const logits = tf.tensor2d([[0.3, -1.2, 2.0, 0.1]]);
    const hard = tf.tensor2d([[0, 1, 0, 0]]);
    const tau = 0.5;
    const out = gstOneHot(logits, hard, tau);
    assert.deepEqual(Array.from(out.dataSync()), [0, 1, 0, 0]);
    // d out[1] / d logits = softmax Jacobian row at the moved logits / tau: sampled logit at the
    // max (2.0), logits within gap 1 of it pushed to 1.0.
    const g = tf.grad((l: tf.Tensor) =>
      tf.sum(tf.mul(gstOneHot(l, hard, tau), tf.tensor2d([[0, 1, 0, 0]]))),
    )(logits);
    const moved = [0.3, 2.0, 1.0, 0.1].map((x) => x / tau);
    const m = Math.max(...moved);
    const e = moved.map((x) => Math.exp(x - m));
    const p = e.map((x) => x / e.reduce((a, b) => a + b, 0));
    // d p_1 / d l_j = p_1 (delta_1j - p_j) / tau.
    const exact = p.map(
      (_, j) => ((p[1] as number) * ((j === 1 ? 1 : 0) - (p[j] as number))) / tau,
    );
    const got = Array.from(g.dataSync());
    for (let j = 0; j < 4; j++)
      assert.ok(Math.abs((got[j] as number) - (exact[j] as number)) < 1e-5, `${got} vs ${exact}`);
    tf.dispose([logits, hard, out, g]);
  });
});

describe('Bernoulli resampling decision (bern-cat, bern-gst)', () => {
  // A system with ESS count E of N keeps its particles with probability u = (E - 1) / (N - 1).
  const n = 8;
  const ess = [1, 2.5, 4, 6.25, 8];
  const keepProbability = (e: number) => Math.min(1 - 1e-6, Math.max(1e-6, (e - 1) / (n - 1)));

  it('resamples with probability 1 - (E - 1) / (N - 1) (within 4 standard errors), the same draws with or without the straight-through gradient', () => {
    const repeats = 20000;
    const essCount = tf.tensor1d(ess.flatMap((e) => new Array<number>(repeats).fill(e)));
    const before = liveTensorCount();
    const plain = bernoulliDecision(essCount, n, Rng.fromSeed(11), false, 0.1);
    const st = bernoulliDecision(essCount, n, Rng.fromSeed(11), true, 0.1);
    const hard = plain.hard.dataSync();
    assert.deepEqual(Array.from(st.hard.dataSync()), Array.from(hard));
    // The straight-through value equals the hard decision.
    assert.deepEqual(Array.from(st.value.dataSync()), Array.from(hard));
    ess.forEach((e, i) => {
      let resampled = 0;
      for (let r = 0; r < repeats; r++) resampled += hard[i * repeats + r] as number;
      const p = 1 - keepProbability(e);
      const se = Math.sqrt((p * (1 - p)) / repeats);
      const got = resampled / repeats;
      assert.ok(
        Math.abs(got - p) <= 4 * se + 1e-9,
        `ESS ${e}: resampled ${got}, expected ${p} ± ${se}`,
      );
    });
    tf.dispose([plain.hard, plain.value, st.hard, st.value]);
    assert.equal(liveTensorCount(), before);
    essCount.dispose();
  });

  it("bern-gst's gradient with respect to the ESS is that of the tempered two-way softmax (negative: more ESS, less resampling)", () => {
    const tau = 0.5;
    const essCount = tf.tensor1d([2.5, 4, 6.25, 3, 5.5, 7]);
    let hard: Float32Array | null = null;
    const g = tf.grad((e: tf.Tensor) => {
      const d = bernoulliDecision(e as tf.Tensor1D, n, Rng.fromSeed(5), true, tau);
      hard = d.hard.dataSync() as Float32Array;
      return tf.sum(d.value);
    })(essCount);
    const got = Array.from(g.dataSync());
    const decisions = Array.from(hard as unknown as Float32Array);
    assert.ok(
      decisions.includes(0) && decisions.includes(1),
      'want both decisions among the draws',
    );
    [2.5, 4, 6.25, 3, 5.5, 7].forEach((e, i) => {
      // Logits [log(1 - u), log u] for [resample, keep]; the drawn category moves to the top, the
      // other to min(itself, top - 1) (gap 1), and the value's gradient is that of
      // softmax(moved / tau)[resample] with respect to the unmoved logits.
      const u = keepProbability(e);
      const l = [Math.log(1 - u), Math.log(u)];
      const top = Math.max(l[0] as number, l[1] as number);
      const chosen = decisions[i] === 1 ? 0 : 1;
      const moved = l.map((x, j) => (j === chosen ? top : Math.min(x, top - 1)));
      const s = 1 / (1 + Math.exp(-((moved[0] as number) - (moved[1] as number)) / tau));
      // d(l0 - l1)/dE = -(1 / (1 - u) + 1 / u) du/dE with du/dE = 1 / (N - 1).
      const dDiff = -(1 / (1 - u) + 1 / u) / (n - 1);
      const exact = ((s * (1 - s)) / tau) * dDiff;
      assert.ok(exact < 0);
      assert.ok(
        Math.abs((got[i] as number) - exact) < 1e-4 * (1 + Math.abs(exact)),
        `ESS ${e}: gradient ${got[i]}, expected ${exact}`,
      );
    });
    tf.dispose([essCount, g]);
  });
});

/** Runs SMC on a Gaussian target with B systems of N particles; returns per-system log Z hats. */
function smcSystemEstimates(
  sampler: SamplerName,
  resampling: ResamplingOptions,
  systems: number,
  perSystem: number,
  steps: number,
  stepSize: number,
  seed: number,
): { estimates: number[]; logZ: number; resampledSteps: number } {
  const target = gaussianTarget({ mean: [1.5, 1.5, 1.5], variance: [0.5, 2, 0.5] });
  const initial = DiagGaussian.isotropic(3, 1);
  const path = new AnnealingPath(initial, target);
  const kernel = makeKernel(sampler, steps, { stepSize, leapfrogSteps: 2 });
  const result = runSmc({
    path,
    kernel,
    betas: linearSchedule(steps),
    particles: systems * perSystem,
    rng: Rng.fromSeed(seed),
    resampling: { ...resampling, groupSize: perSystem },
  });
  const logW = result.logW.dataSync();
  const estimates: number[] = [];
  for (let g = 0; g < systems; g++) {
    estimates.push(logMeanExpHost(logW.subarray(g * perSystem, (g + 1) * perSystem)));
  }
  const resampledSteps = result.perStep.filter((s) => (s.resampled ?? 0) > 0).length;
  tf.dispose([result.z, result.logW]);
  initial.dispose();
  return { estimates, logZ: target.logZ as number, resampledSteps };
}

describe('SMC estimates of Z are unbiased (Gaussian target, exact log Z)', () => {
  // Enough systems and steps that the standard error of the mean Z-hat / Z is well under 1 %:
  // assertUnbiased also checks that a 3 % bias in Z would fail on the same systems.
  const systems = 4000;
  const perSystem = 16;
  // Every scheme, in each mode it has: every step and adaptive (ESS below half of N) for the
  // classic schemes and DSMCS's cat and gst; the Bernoulli variants decide by their own draw.
  // Resampling every step adds noise per step: those cases run the shorter HMC chain.
  const ULA_STEPS = 100;
  const HMC_STEPS = 30;
  const cases: [SamplerName, ResamplingOptions, number, number][] = [
    ['ais-ula', { scheme: 'systematic' }, ULA_STEPS, 0.1],
    ['ais-ula', { scheme: 'systematic', essThreshold: 0.5 }, ULA_STEPS, 0.1],
    ['ais-hmc', { scheme: 'multinomial' }, HMC_STEPS, 0.5],
    ['ais-ula', { scheme: 'multinomial', essThreshold: 0.5 }, ULA_STEPS, 0.1],
    ['ais-hmc', { scheme: 'residual' }, HMC_STEPS, 0.5],
    ['ais-hmc', { scheme: 'residual', essThreshold: 0.5 }, HMC_STEPS, 0.5],
    ['ais-hmc', { scheme: 'stratified' }, HMC_STEPS, 0.5],
    ['ais-hmc', { scheme: 'stratified', essThreshold: 0.5 }, HMC_STEPS, 0.5],
    ['ais-hmc', { scheme: 'cat' }, HMC_STEPS, 0.5],
    ['ais-ula', { scheme: 'cat', essThreshold: 0.5 }, ULA_STEPS, 0.1],
    ['ais-hmc', { scheme: 'gst' }, HMC_STEPS, 0.5],
    ['ais-ula', { scheme: 'gst', essThreshold: 0.5 }, ULA_STEPS, 0.1],
    ['ais-ula', { scheme: 'bern-cat' }, ULA_STEPS, 0.1],
    ['ais-ula', { scheme: 'bern-gst' }, ULA_STEPS, 0.1],
  ];
  for (const [sampler, resampling, steps, stepSize] of cases) {
    const mode = resampling.scheme.startsWith('bern')
      ? ' (Bernoulli decision)'
      : resampling.essThreshold
        ? ` (ESS < ${resampling.essThreshold} N)`
        : ' (every step)';
    const label = `${sampler} + ${resampling.scheme}${mode}`;
    it(`${label}: mean of exp(logZhat - logZ) over ${systems} systems is 1 within 3 standard errors`, () => {
      const { estimates, logZ, resampledSteps } = smcSystemEstimates(
        sampler,
        resampling,
        systems,
        perSystem,
        steps,
        stepSize,
        23,
      );
      assertUnbiased(
        estimates.map((e) => Math.exp(e - logZ)),
        label,
      );
      assert.ok(resampledSteps > 0, 'never resampled');
      if (!resampling.essThreshold && !resampling.scheme.startsWith('bern'))
        assert.equal(resampledSteps, steps - 1);
    });
  }
});

describe('SMC chain', () => {
  const make = () => {
    const target = gaussianTarget({ mean: [1, -1], variance: [0.5, 2] });
    const initial = DiagGaussian.isotropic(2, 1);
    return { initial, path: new AnnealingPath(initial, target) };
  };

  it("scheme 'none' is exactly AIS", () => {
    const { initial, path } = make();
    const kernel = makeKernel('ais-ula', 8, { stepSize: 0.1 });
    const a = runAis({
      path,
      kernel,
      betas: linearSchedule(8),
      particles: 64,
      rng: Rng.fromSeed(4),
    });
    const b = runAis({
      path,
      kernel,
      betas: linearSchedule(8),
      particles: 64,
      rng: Rng.fromSeed(4),
      resampling: { scheme: 'none' },
    });
    assert.deepEqual(Array.from(a.logW.dataSync()), Array.from(b.logW.dataSync()));
    assert.equal(b.perStep[0]?.resampled, null);
    tf.dispose([a.z, a.logW, b.z, b.logW]);
    initial.dispose();
  });

  it('reports ESS as fraction and count, resampling events and log Z increments', () => {
    const { initial, path } = make();
    const r = runSmc({
      path,
      kernel: makeKernel('ais-hmc', 6, { stepSize: 0.3, leapfrogSteps: 2 }),
      betas: linearSchedule(6),
      particles: 4 * 32,
      rng: Rng.fromSeed(8),
      resampling: { scheme: 'systematic', groupSize: 32 },
    });
    assert.equal(r.perStep.length, 6);
    let sum = 0;
    for (const s of r.perStep) {
      assert.ok(s.essFraction > 0 && s.essFraction <= 1 + 1e-6);
      assert.ok(Math.abs(s.essCount - 32 * s.essFraction) < 1e-4);
      sum += s.logZIncrement;
    }
    assert.ok(Math.abs(sum - (r.perStep[5]?.logZ as number)) < 1e-5);
    assert.deepEqual(
      r.perStep.map((s) => s.resampled),
      [1, 1, 1, 1, 1, 0],
    );
    tf.dispose([r.z, r.logW]);
    initial.dispose();
  });

  it('adaptive resampling: threshold 1 always resamples, a tiny threshold never does', () => {
    const { initial, path } = make();
    const kernel = makeKernel('ais-ula', 6, { stepSize: 0.1 });
    const run = (t: number) => {
      const r = runSmc({
        path,
        kernel,
        betas: linearSchedule(6),
        particles: 64,
        rng: Rng.fromSeed(2),
        resampling: { scheme: 'multinomial', essThreshold: t },
      });
      const fractions = r.perStep.map((s) => s.resampled);
      tf.dispose([r.z, r.logW]);
      return fractions;
    };
    assert.deepEqual(run(1), [1, 1, 1, 1, 1, 0]);
    assert.deepEqual(run(1e-6), [0, 0, 0, 0, 0, 0]);
    initial.dispose();
  });

  it('frees every intermediate tensor', () => {
    const { initial, path } = make();
    const kernel = makeKernel('ais-ula', 10, { stepSize: 0.1 });
    const base = liveTensorCount();
    for (const scheme of ['systematic', 'gst', 'bern-gst'] as const) {
      const r = runSmc({
        path,
        kernel,
        betas: linearSchedule(10),
        particles: 64,
        rng: Rng.fromSeed(1),
        resampling: { scheme, groupSize: 16 },
      });
      tf.dispose([r.z, r.logW]);
    }
    assert.equal(liveTensorCount(), base);
    initial.dispose();
  });
});

describe('differentiable SMC (DSMCS)', () => {
  // A target near the initial distribution: the ESS stays close to N at every step, which is the
  // regime of the paper's finding (resampling gradients vanish at maximal ESS).
  const steps = 6;
  const perSystem = 16;
  const systems = 16;
  const makeSampler = (scheme: 'cat' | 'gst', temperature?: number) =>
    new LearnedSampler(
      gaussianTarget({ mean: [0.6, -0.4], variance: [0.7, 1.4] }),
      {
        kind: 'ula',
        steps,
        stepSize: 0.05,
        learn: {
          stepSizes: true,
          schedule: false,
          initial: true,
          eta: false,
          mass: false,
          scoreNet: false,
        },
        resampling: { scheme, groupSize: perSystem, temperature },
      },
      Rng.fromSeed(0),
    );

  /**
   * The SMC bound (mean over systems of log Z hat) and its gradient w.r.t. the log step sizes and
   * the initial mean and log-scale, as one vector.
   */
  function boundGradient(
    scheme: 'cat' | 'gst',
    seed: number,
    temperature?: number,
  ): { bound: number; grad: number[] } {
    const sampler = makeSampler(scheme, temperature);
    const { value, grads } = tf.variableGrads(
      () =>
        sampler.loss(perSystem * systems, Rng.fromSeed(seed), { kind: 'iw', groupSize: perSystem }),
      sampler.params.trainable(),
    );
    const out = {
      bound: -(value.dataSync()[0] as number),
      grad: ['stepSizes.log', 'initial.mean', 'initial.logScale'].flatMap((n) =>
        Array.from(grads[sampler.params.get(n).name]!.dataSync()),
      ),
    };
    tf.dispose([value, ...Object.values(grads)]);
    sampler.target.dispose?.();
    sampler.dispose();
    return out;
  }

  it('the ESS of this problem stays near maximal', () => {
    const sampler = makeSampler('cat');
    const r = sampler.run({
      particles: perSystem * systems,
      rng: Rng.fromSeed(1),
      diagnostics: true,
    });
    for (const s of r.perStep)
      assert.ok(s.essFraction > 0.95, `ESS ${s.essFraction} at step ${s.step}`);
    tf.dispose([r.z, r.logW]);
    sampler.target.dispose?.();
    sampler.dispose();
  });

  it('gst (paper temperature 0.1) and cat: same bound, gradients equal within Monte Carlo error', () => {
    const seeds = 12;
    const diffs: number[][] = [];
    const cats: number[][] = [];
    for (let s = 0; s < seeds; s++) {
      const cat = boundGradient('cat', 100 + s);
      const gst = boundGradient('gst', 100 + s);
      // Same draws, same forward values: the straight-through estimator changes gradients only.
      assert.ok(Math.abs(cat.bound - gst.bound) < 1e-5, `bound ${cat.bound} vs ${gst.bound}`);
      for (const g of gst.grad) assert.ok(Number.isFinite(g));
      diffs.push(gst.grad.map((g, i) => g - (cat.grad[i] as number)));
      cats.push(cat.grad);
    }
    let detectable = 0;
    for (let i = 0; i < (cats[0] as number[]).length; i++) {
      const d = meanAndVar(diffs.map((r) => r[i] as number));
      const c = meanAndVar(cats.map((r) => r[i] as number));
      const catSe = Math.sqrt(c.variance / seeds);
      if (Math.abs(c.mean) > 3 * catSe) detectable += 1;
      // The mean gradients differ by less than the Monte Carlo error of the gradient itself.
      assert.ok(
        Math.abs(d.mean) <= catSe,
        `parameter ${i}: gst - cat = ${d.mean}, Monte Carlo error of the gradient ${catSe}`,
      );
    }
    // The gradient is not zero, so agreement is not trivial.
    assert.ok(detectable > 0, 'the gradient is indistinguishable from 0 in every coordinate');
  });

  it('the straight-through path is live: at a high temperature gst departs from cat', () => {
    const cat = boundGradient('cat', 7);
    const gst = boundGradient('gst', 7, 1);
    const gap = Math.max(...gst.grad.map((g, i) => Math.abs(g - (cat.grad[i] as number))));
    assert.ok(gap > 1e-3, `gst and cat gradients differ by only ${gap}`);
  });
});
