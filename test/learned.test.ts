import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initEngine, liveTensorCount, Rng, tf, type Variable } from '../src/engine/index.js';
import {
  LearnedSampler,
  type LearnedSamplerName,
  type StepSizeNetConfig,
} from '../src/annealing/learned.js';
import { Trainer } from '../src/train/trainer.js';
import { objectiveBound, validateObjective } from '../src/annealing/objectives.js';
import { Flow, flowDistribution } from '../src/flows/index.js';
import { createTarget, gaussianTarget } from '../src/targets/index.js';
import { summarizeLogWeights } from '../src/eval/logWeights.js';
import { assertUnbiased } from './helpers/unbiased.js';

/** -ELBO with a fixed stream: a deterministic function of the parameters (common random numbers). */
function lossValue(sampler: LearnedSampler, particles: number, seed: number): number {
  const l = sampler.loss(particles, Rng.fromSeed(seed));
  const v = l.dataSync()[0] as number;
  l.dispose();
  return v;
}

function setEntry(v: Variable, index: number, value: number): void {
  const values = Array.from(v.dataSync());
  values[index] = value;
  tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
}

describe('gradients of the ELBO through the whole chain match central finite differences (cpu)', () => {
  const cases: [
    LearnedSamplerName,
    string[],
    { stepSizeNet?: StepSizeNetConfig; initialScale?: number }?,
  ][] = [
    ['ula', ['stepSizes.log', 'schedule.logits', 'initial.mean', 'initial.logScale']],
    [
      'uha',
      ['stepSizes.log', 'schedule.logits', 'uha.etaLogit', 'uha.logMass', 'initial.logScale'],
    ],
    // A start wider than 1: the score network sees z / 1.6.
    [
      'ula-mcd',
      ['stepSizes.log', 'score.out.w', 'score.in.w', 'score.block0.b'],
      { initialScale: 1.6 },
    ],
    ['uha-mcd', ['uha.etaLogit', 'uha.logMass', 'score.out.w', 'score.in.w']],
    ['cmcd', ['stepSizes.log', 'control.out.w', 'control.in.w', 'control.block0.b']],
    ['ldvi', ['uha.etaLogit', 'uha.logMass', 'score.out.w', 'score.in.w']],
    ['cmcd-ud', ['uha.etaLogit', 'uha.logMass', 'control.out.w', 'control.in.w']],
    [
      'uha',
      ['stepSizes.embedding', 'stepSizes.weight', 'stepSizes.bias'],
      { stepSizeNet: { width: 4, scale: 0.25 } },
    ],
  ];
  for (const [kind, names, extra] of cases) {
    const label = extra?.stepSizeNet
      ? ' (step-size network)'
      : extra?.initialScale
        ? ` (initial scale ${extra.initialScale})`
        : '';
    it(`${kind}${label}: ${names.join(', ')}`, async () => {
      await initEngine({ backend: 'cpu' });
      // A small anisotropic Gaussian, 3 steps, 6 particles; the score network's output layer is
      // moved off zero so that gradients reach its inner layers too.
      const target = gaussianTarget({ mean: [0.8, -0.4], variance: [0.6, 1.7] });
      const sampler = new LearnedSampler(
        target,
        {
          kind,
          steps: 3,
          stepSize: 0.15,
          eta: 0.7,
          mass: 1.3,
          scoreNet: { hidden: 5, blocks: 1, timeFeatures: 2 },
          ...extra,
        },
        Rng.fromSeed(4),
      );
      for (const net of ['score', 'control'])
        if (sampler.params.has(`${net}.out.w`)) {
          const w = sampler.params.get(`${net}.out.w`);
          tf.tidy(() => w.assign(tf.mul(Rng.fromSeed(5).normal(w.shape), 0.3)));
        }
      // Perturb the schedule off its symmetric start so its gradient is generic.
      const logits = sampler.params.get('schedule.logits');
      tf.tidy(() => logits.assign(tf.tensor1d([0.3, -0.2, 0.1])));
      const N = 6;
      const seed = 11;
      const { grads, value } = tf.variableGrads(
        () => sampler.loss(N, Rng.fromSeed(seed)),
        sampler.params.trainable(),
      );
      value.dispose();
      const h = 1e-2;
      for (const name of names) {
        const v = sampler.params.get(name);
        const g = grads[v.name];
        assert.ok(g, `no gradient for ${name}`);
        const analytic = Array.from(g.dataSync());
        const base = Array.from(v.dataSync());
        // Check up to three entries of each parameter (the largest-gradient ones, where FD is meaningful).
        const order = analytic
          .map((a, i) => [Math.abs(a), i] as const)
          .sort((a, b) => b[0] - a[0])
          .slice(0, 3);
        for (const [, i] of order) {
          setEntry(v, i, base[i]! + h);
          const up = lossValue(sampler, N, seed);
          setEntry(v, i, base[i]! - h);
          const down = lossValue(sampler, N, seed);
          setEntry(v, i, base[i]!);
          // Central differences with h = 1e-2 on fixed random numbers: measured against h = 3e-2
          // and 3e-3, truncation and float32 rounding stay near 1e-5, so a relative tolerance of
          // 2 % over a 2e-5 floor catches a gradient that is zero, sign-flipped or off by 5 %,
          // even where it is as small as UHA's eta (about 1.6e-3 here).
          const fd = (up - down) / (2 * h);
          const err = Math.abs(fd - analytic[i]!);
          assert.ok(
            err <= 0.02 * Math.max(Math.abs(fd), Math.abs(analytic[i]!)) + 2e-5,
            `${name}[${i}]: autodiff ${analytic[i]} vs FD ${fd}`,
          );
        }
      }
      tf.dispose(Object.values(grads));
      sampler.dispose();
      target.dispose();
    });
  }
});

describe('step sizes from a network of the step index (DSMCS)', () => {
  it('are scale * sigmoid(SiLU(embedding) . w + b), in (0, scale), averaging near the configured step size; bad settings are refused', async () => {
    await initEngine({ backend: 'wasm' });
    const target = gaussianTarget({ mean: [0, 0], variance: [1, 1] });
    const before = liveTensorCount();
    const sampler = new LearnedSampler(
      target,
      { kind: 'uha', steps: 64, stepSize: 0.1, stepSizeNet: { width: 32, scale: 0.25 } },
      Rng.fromSeed(3),
    );
    const e = sampler.param('stepSizes.embedding').dataSync();
    const w = sampler.param('stepSizes.weight').dataSync();
    const b = sampler.param('stepSizes.bias').dataSync()[0] as number;
    const t = sampler.stepSizes();
    const got = Array.from(t.dataSync());
    t.dispose();
    assert.equal(got.length, 64);
    const silu = (x: number) => x / (1 + Math.exp(-x));
    got.forEach((s, k) => {
      let a = b;
      for (let j = 0; j < 32; j++) a += silu(e[k * 32 + j] as number) * (w[j] as number);
      const exact = 0.25 / (1 + Math.exp(-a));
      assert.ok(Math.abs(s - exact) < 1e-6, `step ${k + 1}: ${s} vs ${exact}`);
      assert.ok(s > 0 && s < 0.25);
    });
    // The bias is logit(0.1 / 0.25); the random part moves each step by a few hundredths.
    const mean = got.reduce((x, y) => x + y, 0) / got.length;
    assert.ok(Math.abs(mean - 0.1) < 0.03, `mean step size ${mean}`);
    assert.ok(!sampler.params.has('stepSizes.log'));
    sampler.dispose();
    assert.equal(liveTensorCount(), before);
    assert.throws(
      () =>
        new LearnedSampler(target, {
          kind: 'ula',
          stepSize: 0.3,
          stepSizeNet: { width: 8, scale: 0.25 },
        }),
      /step size 0.3 must be below the step-size network's scale 0.25/,
    );
    assert.throws(
      () => new LearnedSampler(target, { kind: 'ula', stepSizeNet: { width: 0, scale: 0.25 } }),
      /width must be a positive integer/,
    );
    target.dispose();
  });
});

describe('learned samplers give unbiased Z estimates for any parameter values', () => {
  // Enough runs that a 3 % bias in Z would fail the check (assertUnbiased tests that too).
  const RUNS = 4000;
  const PER_RUN = 50;
  // With perturbed (non-default) parameters: a non-linear schedule, an off-zero score network, a
  // damping and a mass away from their starts. A wrong forward or backward density term biases
  // E[Zhat / Z] away from 1.
  for (const kind of ['ula', 'uha', 'ula-mcd', 'uha-mcd', 'cmcd', 'ldvi', 'cmcd-ud'] as const) {
    it(`${kind}: mean of exp(logZhat - logZ) over ${RUNS} runs is 1 within 3 standard errors, which would catch a 3 % bias`, async () => {
      await initEngine({ backend: 'wasm' });
      const target = gaussianTarget({ mean: [1, 1, 1], variance: [0.5, 2, 0.5] });
      const sampler = new LearnedSampler(
        target,
        {
          kind,
          steps: 20,
          stepSize: kind.startsWith('uha') || kind === 'ldvi' || kind === 'cmcd-ud' ? 0.3 : 0.1,
          // LDVI's Euler refresh starts at rate 1 - eta: 0.1 keeps its momentum near N(0, M).
          eta: kind === 'ldvi' || kind === 'cmcd-ud' ? 0.9 : 0.6,
          mass: 1.4,
          scoreNet: { hidden: 16, blocks: 1, timeFeatures: 4 },
        },
        Rng.fromSeed(8),
      );
      const logits = sampler.params.get('schedule.logits');
      tf.tidy(() => logits.assign(tf.mul(Rng.fromSeed(9).normal([20]), 0.5)));
      for (const net of ['score', 'control'])
        if (sampler.params.has(`${net}.out.w`)) {
          const w = sampler.params.get(`${net}.out.w`);
          tf.tidy(() => w.assign(tf.mul(Rng.fromSeed(5).normal(w.shape), 0.05)));
        }
      const runs = RUNS;
      const perRun = PER_RUN;
      const r = sampler.run({ particles: runs * perRun, rng: Rng.fromSeed(21) });
      const logW = Float32Array.from(r.logW.dataSync());
      tf.dispose([r.z, r.logW]);
      const ratios = Array.from({ length: runs }, (_, i) =>
        Math.exp(
          summarizeLogWeights(logW.subarray(i * perRun, (i + 1) * perRun), 1).logZ -
            (target.logZ as number),
        ),
      );
      assertUnbiased(ratios, kind);
      sampler.dispose();
      target.dispose();
    });
  }
});

describe('Monte Carlo Diffusion starts as its ULA/UHA counterpart', () => {
  for (const [mcd, plain] of [
    ['ula-mcd', 'ula'],
    ['cmcd', 'ula'],
    ['uha-mcd', 'uha'],
    ['cmcd-ud', 'ldvi'],
  ] as const) {
    it(`${mcd} with a zero output layer reproduces ${plain}'s log-weights exactly`, async () => {
      // Both on the op-by-op path (a plain sampler would otherwise run as a fused native chain,
      // which agrees to float32 accuracy, not bit for bit; test/fused.test.ts checks that).
      await initEngine({ backend: 'wasm', native: false });
      const target = createTarget('funnel');
      const a = new LearnedSampler(
        target,
        { kind: mcd, steps: 8, stepSize: 0.05 },
        Rng.fromSeed(1),
      );
      const b = new LearnedSampler(
        target,
        { kind: plain, steps: 8, stepSize: 0.05 },
        Rng.fromSeed(1),
      );
      const ra = a.run({ particles: 64, rng: Rng.fromSeed(3) });
      const rb = b.run({ particles: 64, rng: Rng.fromSeed(3) });
      assert.deepEqual(Array.from(ra.logW.dataSync()), Array.from(rb.logW.dataSync()));
      assert.deepEqual(Array.from(ra.z.dataSync()), Array.from(rb.z.dataSync()));
      tf.dispose([ra.logW, ra.z, rb.logW, rb.z]);
      a.dispose();
      b.dispose();
      target.dispose?.();
      await initEngine({ backend: 'wasm' });
    });
  }
});

describe("the score network's input scale", () => {
  it('standardizes z by the Gaussian start, yields to the config, and is 1 for a fixed start', async () => {
    await initEngine({ backend: 'cpu' });
    const target = gaussianTarget({ mean: [0.5, -1], variance: [4, 9] });
    const scaleOf = (config: object, options = {}) => {
      const s = new LearnedSampler(
        target,
        { kind: 'ula-mcd', steps: 2, ...config },
        undefined,
        options,
      );
      const scale = s.scoreNet?.inputScale;
      s.dispose();
      return scale;
    };
    assert.equal(scaleOf({ initialScale: 4 }), 0.25);
    assert.equal(scaleOf({}), 1);
    assert.equal(scaleOf({ initialScale: 4, scoreNet: { inputScale: 2 } }), 2);
    const flow = new Flow(
      2,
      { kind: 'realnvp', layers: 2, conditioner: { hidden: [4] } },
      Rng.fromSeed(2),
    );
    assert.equal(scaleOf({ initialScale: 4 }, { initial: flowDistribution(flow), owns: true }), 1);
    assert.throws(() => scaleOf({ scoreNet: { inputScale: 0 } }), /inputScale/);
    // The scale multiplies z and nothing else: a net at scale 1/4 on z is the net at 1 on z / 4.
    const z = tf.tensor2d([
      [2, -3],
      [0.5, 8],
    ]);
    const outputs = [0.25, 1].map((scale) => {
      const s = new LearnedSampler(
        target,
        { kind: 'ula-mcd', steps: 2, scoreNet: { inputScale: scale } },
        Rng.fromSeed(7),
      );
      const w = s.params.get('score.out.w');
      tf.tidy(() => w.assign(Rng.fromSeed(5).normal(w.shape)));
      const input = scale === 1 ? tf.mul(z, 0.25) : z;
      const out = s.scoreNet?.apply(input as typeof z, null, 1, 2);
      const values = Array.from(out?.dataSync() ?? []);
      tf.dispose([out, input === z ? [] : input]);
      s.dispose();
      return values;
    });
    assert.equal(outputs[0]?.length, 4);
    assert.deepEqual(outputs[0], outputs[1]);
    z.dispose();
    target.dispose?.();
  });
});

describe('training', () => {
  for (const kind of ['ula', 'uha'] as const) {
    it(`${kind} (32 steps) improves the ELBO on the funnel, evaluated with fresh particles`, async () => {
      await initEngine({ backend: 'wasm' });
      const target = createTarget('funnel');
      const sampler = new LearnedSampler(
        target,
        { kind, steps: 32, stepSize: kind === 'ula' ? 0.02 : 0.1 },
        Rng.fromSeed(1),
      );
      const evaluate = () => {
        const r = sampler.run({ particles: 2000, rng: Rng.fromSeed(77) });
        const s = summarizeLogWeights(r.logW.dataSync());
        tf.dispose([r.z, r.logW]);
        return s;
      };
      const before = evaluate();
      const trainer = new Trainer(
        sampler,
        { particles: 128, learningRate: 0.02, clipNorm: 10, lrSchedule: { kind: 'constant' } },
        Rng.fromSeed(2),
      );
      trainer.step(); // Adam creates its moment variables on the first update
      const baseline = liveTensorCount();
      for (let i = 1; i < 40; i++) trainer.step();
      assert.equal(liveTensorCount(), baseline, 'training iterations leak no tensors');
      assert.equal(trainer.skippedTotal, 0);
      const after = evaluate();
      const se = Math.hypot(before.elboStdErr!, after.elboStdErr!);
      assert.ok(
        after.elbo > before.elbo + 3 * se,
        `ELBO ${before.elbo.toFixed(3)} -> ${after.elbo.toFixed(3)} (se ${se.toFixed(3)})`,
      );
      trainer.dispose();
      sampler.dispose();
      target.dispose?.();
    });
  }

  it('a non-finite loss skips the update, counts it, and leaves the parameters unchanged', async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('many-well', { dim: 2 });
    const sampler = new LearnedSampler(
      target,
      { kind: 'ula', steps: 10, stepSize: 20 },
      Rng.fromSeed(1),
    );
    const trainer = new Trainer(
      sampler,
      { particles: 32, learningRate: 0.01, clipNorm: null, lrSchedule: { kind: 'constant' } },
      Rng.fromSeed(2),
    );
    const before = Array.from(sampler.params.get('stepSizes.log').dataSync());
    const m = trainer.step();
    assert.equal(m.skipped, true);
    assert.equal(m.skippedTotal, 1);
    assert.ok(!Number.isFinite(m.loss));
    assert.deepEqual(Array.from(sampler.params.get('stepSizes.log').dataSync()), before);
    trainer.dispose();
    // Outside training a diverged run raises, with or without per-step diagnostics, and frees
    // what it made; asked not to check, it hands back the NaN weights for the caller to see.
    const baseline = liveTensorCount();
    assert.throws(
      () => sampler.run({ particles: 32, rng: Rng.fromSeed(3) }),
      (e: Error) => e.name === 'NonFiniteWeightsError' && /at the end of the chain/.test(e.message),
    );
    assert.throws(
      () => sampler.run({ particles: 32, rng: Rng.fromSeed(3), diagnostics: true }),
      (e: Error) => e.name === 'NonFiniteWeightsError' && /first at step \d+/.test(e.message),
    );
    assert.equal(liveTensorCount(), baseline);
    const r = sampler.run({ particles: 32, rng: Rng.fromSeed(3), checkFinite: false });
    assert.ok(Array.from(r.logW.dataSync()).some((v) => !Number.isFinite(v)));
    tf.dispose([r.z, r.logW]);
    sampler.dispose();
  });

  it('frozen parameter groups do not move', async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian');
    const sampler = new LearnedSampler(
      target,
      {
        kind: 'uha',
        steps: 4,
        learn: {
          stepSizes: true,
          schedule: false,
          initial: false,
          eta: true,
          mass: false,
          scoreNet: false,
        },
      },
      Rng.fromSeed(1),
    );
    const names = sampler.params
      .trainable()
      .map((v) => sampler.params.shortName(v))
      .sort();
    assert.deepEqual(names, ['stepSizes.log', 'uha.etaLogit']);
    const trainer = new Trainer(
      sampler,
      { particles: 32, learningRate: 0.05, clipNorm: 10, lrSchedule: { kind: 'constant' } },
      Rng.fromSeed(2),
    );
    const logits = Array.from(sampler.params.get('schedule.logits').dataSync());
    trainer.step();
    trainer.step();
    assert.deepEqual(Array.from(sampler.params.get('schedule.logits').dataSync()), logits);
    trainer.dispose();
    sampler.dispose();
  });

  it('the learned schedule starts linear and keeps beta_0 = 0, beta_K = 1 exactly', async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian');
    const sampler = new LearnedSampler(target, { kind: 'ula', steps: 4 }, Rng.fromSeed(1));
    const betas = sampler.summary().betas;
    assert.equal(betas[0], 0);
    assert.equal(betas[4], 1);
    for (let k = 1; k < 4; k++) assert.ok(Math.abs(betas[k]! - k / 4) < 1e-6);
    sampler.dispose();
  });

  it('setSchedule starts the learned schedule at given betas and rejects bad ones', async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian');
    const sampler = new LearnedSampler(target, { kind: 'ula', steps: 4 }, Rng.fromSeed(1));
    const wanted = [0, 0.01, 0.1, 0.4, 1];
    sampler.setSchedule(wanted);
    const betas = sampler.summary().betas;
    for (let k = 0; k <= 4; k++) assert.ok(Math.abs(betas[k]! - wanted[k]!) < 1e-6, `beta ${k}`);
    assert.throws(() => sampler.setSchedule([0, 0.5, 1]), /needs 5 betas, got 3/);
    assert.throws(() => sampler.setSchedule([0, 0.2, 0.2, 0.5, 1]), /increase strictly/);
    assert.throws(() => sampler.setSchedule([0, 0.5, 0.2, 0.7, 1]), /non-decreasing/);
    sampler.dispose();
  });

  it('a traced run returns the particles at every step, the last frame equal to z', async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian');
    for (const resampling of [undefined, { scheme: 'systematic' as const }]) {
      const sampler = new LearnedSampler(
        target,
        { kind: 'uha', steps: 6, resampling },
        Rng.fromSeed(1),
      );
      const baseline = liveTensorCount();
      const plain = sampler.run({ particles: 50, rng: Rng.fromSeed(3) });
      const traced = sampler.run({ particles: 50, rng: Rng.fromSeed(3), trace: true });
      const trace = traced.trace!;
      assert.deepEqual(trace.shape, [7, 50, 2]);
      // Tracing only copies: the same stream gives the same particles and weights.
      assert.deepEqual(Array.from(traced.z.dataSync()), Array.from(plain.z.dataSync()));
      assert.deepEqual(Array.from(traced.logW.dataSync()), Array.from(plain.logW.dataSync()));
      const last = tf.tidy(() => trace.slice([6, 0, 0], [1, 50, 2]).reshape([50, 2]));
      assert.deepEqual(Array.from(last.dataSync()), Array.from(traced.z.dataSync()));
      // The first frame is the initial N(0, I) draw: far from the target's mean (1, 1) on average.
      const first = tf.tidy(() => trace.slice([0, 0, 0], [1, 50, 2]).mean([0, 1]));
      const m = first.dataSync();
      assert.ok(Math.abs(m[0]!) < 0.6 && Math.abs(m[1]!) < 0.6, `initial mean ${Array.from(m)}`);
      tf.dispose([plain.z, plain.logW, traced.z, traced.logW, trace, last, first]);
      assert.equal(liveTensorCount(), baseline);
      sampler.dispose();
    }
  });
});

describe('trainAndEvaluate', () => {
  it('trains for the requested iterations with or without a progress callback', async () => {
    const { trainAndEvaluate } = await import('../src/train/trainAndEvaluate.js');
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian');
    const seen: number[] = [];
    for (const onIteration of [undefined, (m: { iteration: number }) => seen.push(m.iteration)]) {
      const r = trainAndEvaluate({
        target,
        sampler: { kind: 'ula', steps: 4 },
        trainIterations: 3,
        trainParticles: 16,
        particles: 100,
        seed: 1,
        onIteration,
      });
      assert.equal(r.trained.iterations, 3);
      r.sampler.dispose();
    }
    assert.deepEqual(seen, [1, 2, 3]);
    target.dispose?.();
  });

  it('a single annealing step trains and evaluates (its move reaches no objective)', async () => {
    const { trainAndEvaluate } = await import('../src/train/trainAndEvaluate.js');
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian', { dim: 2 });
    const base = liveTensorCount();
    for (const kind of ['ula', 'uha', 'ula-mcd'] as LearnedSamplerName[]) {
      const r = trainAndEvaluate({
        target,
        sampler: { kind, steps: 1 },
        trainIterations: 2,
        trainParticles: 16,
        particles: 1000,
        seed: 1,
      });
      assert.equal(r.trained.skipped, 0, kind);
      const se = r.logZStdErr as number;
      assert.ok(
        Math.abs(r.logZ - (target.logZ as number)) < 4 * se + 0.01,
        `${kind}: ${r.logZ} ± ${se}`,
      );
      r.sampler.dispose();
    }
    assert.equal(liveTensorCount(), base);
    target.dispose?.();
  });
});

describe('training objectives', () => {
  it('the IW bound is the mean over groups of log mean exp; groups of one give the ELBO', async () => {
    await initEngine({ backend: 'wasm' });
    const values = [0.3, -1.2, 2.5, 0.1, -0.4, 1.7, -3.0, 0.9];
    const logW = tf.tensor1d(values);
    const host = (k: number) => {
      let total = 0;
      for (let g = 0; g < values.length / k; g++) {
        const slice = values.slice(g * k, (g + 1) * k);
        const m = Math.max(...slice);
        total += m + Math.log(slice.reduce((a, v) => a + Math.exp(v - m), 0) / k);
      }
      return total / (values.length / k);
    };
    for (const k of [1, 2, 4, 8]) {
      const { bound, elbo } = objectiveBound(logW, { kind: 'iw', groupSize: k });
      assert.ok(Math.abs((bound.dataSync()[0] as number) - host(k)) < 1e-5, `k = ${k}`);
      assert.ok(Math.abs((elbo.dataSync()[0] as number) - host(1)) < 1e-6);
      tf.dispose([bound, elbo]);
    }
    // Jensen: the bound rises with the group size.
    assert.ok(host(1) < host(2) && host(2) < host(4) && host(4) < host(8));
    logW.dispose();
    assert.throws(() => validateObjective({ kind: 'iw', groupSize: 3 }, 8), /must divide/);
  });

  it('training on the IW bound reports the ELBO of the same particles and improves the bound', async () => {
    await initEngine({ backend: 'wasm' });
    const target = gaussianTarget({ mean: [1, -1], variance: [0.5, 2] });
    const sampler = new LearnedSampler(
      target,
      { kind: 'ula', steps: 4, stepSize: 0.05 },
      Rng.fromSeed(1),
    );
    const trainer = new Trainer(
      sampler,
      {
        particles: 256,
        learningRate: 0.05,
        clipNorm: 10,
        lrSchedule: { kind: 'constant' },
        objective: { kind: 'iw', groupSize: 16 },
      },
      Rng.fromSeed(2),
    );
    const objective = { kind: 'iw', groupSize: 16 } as const;
    // The bound on 4096 particles with a fixed stream (common random numbers before and after).
    const bound = () => {
      const l = sampler.loss(4096, Rng.fromSeed(99), objective);
      const v = -(l.dataSync()[0] as number);
      l.dispose();
      return v;
    };
    const before = bound();
    const first = trainer.step();
    assert.ok(
      -first.loss > first.elbo,
      'the IW bound of 16 exceeds the ELBO of the same particles',
    );
    for (let i = 0; i < 30; i++) trainer.step();
    const after = bound();
    assert.ok(after > before + 0.05, `bound ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    trainer.dispose();
    sampler.dispose();
    target.dispose?.();
  });
});

describe('learned samplers from a flow initial distribution', () => {
  it('ula and uha from a random flow: unbiased Z, and finite gradients through the flow score', async () => {
    await initEngine({ backend: 'wasm' });
    const target = gaussianTarget({ mean: [1, 1, 1], variance: [0.5, 2, 0.5] });
    for (const kind of ['ula', 'uha'] as const) {
      const flow = new Flow(
        3,
        { kind: 'realnvp', layers: 2, conditioner: { hidden: [8], outputInitScale: 0.2 } },
        Rng.fromSeed(40),
      );
      const sampler = new LearnedSampler(
        target,
        { kind, steps: 20, stepSize: kind === 'uha' ? 0.3 : 0.1 },
        Rng.fromSeed(41),
        { initial: flowDistribution(flow), owns: true },
      );
      assert.ok(!sampler.params.has('initial.mean'), 'no Gaussian initial is learned');
      const runs = 600;
      const perRun = 10;
      const r = sampler.run({ particles: runs * perRun, rng: Rng.fromSeed(42) });
      const logW = Float32Array.from(r.logW.dataSync());
      tf.dispose([r.z, r.logW]);
      const ratios = Array.from({ length: runs }, (_, i) =>
        Math.exp(
          summarizeLogWeights(logW.subarray(i * perRun, (i + 1) * perRun), 1).logZ -
            (target.logZ as number),
        ),
      );
      // A coarse check (a random flow is far from the target, so weights vary widely): it sees a
      // wrong flow density term, not a few percent; the tests above carry the 3 % power.
      const mean = ratios.reduce((a, v) => a + v, 0) / runs;
      const se = Math.sqrt(ratios.reduce((a, v) => a + (v - mean) ** 2, 0) / (runs - 1) / runs);
      assert.ok(se < 0.08, `standard error ${se}`);
      assert.ok(
        Math.abs(mean - 1) < 3 * se,
        `${kind}: mean ratio ${mean.toFixed(4)} ± ${se.toFixed(4)}`,
      );
      // One gradient of the loss: ULA's drift uses the flow's score, so this differentiates
      // through the score of the flow density (second order through the inverse pass).
      const { value, grads } = tf.variableGrads(
        () => sampler.loss(64, Rng.fromSeed(43)),
        sampler.params.trainable(),
      );
      for (const g of Object.values(grads))
        for (const v of g.dataSync()) assert.ok(Number.isFinite(v));
      tf.dispose([value, ...Object.values(grads)]);
      sampler.dispose();
    }
    target.dispose();
  });
});

describe('the schedule a learned sampler starts from', () => {
  it("is the linear one by default and the geometric one with schedule: 'geometric'", async () => {
    const { initEngine } = await import('../src/engine/backend.js');
    await initEngine();
    const { LearnedSampler, createTarget, Rng, geometricSchedule } =
      await import('../src/index.js');
    const target = createTarget('gaussian', { dim: 2 });
    for (const [schedule, expected] of [
      ['linear', [0, 0.25, 0.5, 0.75, 1]],
      ['geometric', geometricSchedule(4)],
    ] as const) {
      const s = new LearnedSampler(target, { kind: 'uha', steps: 4, schedule }, Rng.fromSeed(1));
      const betas = s.betas();
      const got = Array.from(betas.dataSync());
      betas.dispose();
      s.dispose();
      got.forEach((b, k) =>
        assert.ok(Math.abs(b - (expected[k] as number)) < 1e-6, `${schedule} beta ${k}: ${b}`),
      );
    }
  });
});
