// Flow annealed importance sampling bootstrap (FAB): AIS towards p^alpha q^(1 - alpha) against
// its closed-form normalizer, the buffer's sampling probabilities and weight updates, the loss's
// gradient against finite differences, and training that makes a flow fit its target.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine, liveTensorCount, Rng, tf, type Tensor2D } from '../src/engine/index.js';
import { AlphaPath, AlphaPathError } from '../src/annealing/alphaPath.js';
import { runAis } from '../src/annealing/ais.js';
import { hmcKernel } from '../src/annealing/kernels/hmc.js';
import { rwmKernel } from '../src/annealing/kernels/rwm.js';
import { linearSchedule } from '../src/annealing/schedule.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { summarizeLogWeights } from '../src/eval/logWeights.js';
import { Flow, FlowError, evaluateFlow } from '../src/flows/index.js';
import { FabModel, fabBufferLoss, evaluateFabAis } from '../src/flows/fab.js';
import { ReplayBuffer } from '../src/flows/replayBuffer.js';
import { gaussianTarget } from '../src/targets/index.js';
import { Trainer } from '../src/train/trainer.js';

const MU = [0.5, -0.3];
const VAR_P = [1, 0.6];
const SD_Q = 1.5;

/**
 * log of the integral of p~^alpha q^(1 - alpha) for p~(x) = exp(-|x - mu|^2 / (2 var_p)) per
 * coordinate and q = N(0, SD_Q^2 I): a Gaussian integral, coordinate by coordinate.
 */
function exactLogZg(alpha: number): number {
  let total = 0;
  for (let i = 0; i < MU.length; i++) {
    const mu = MU[i] as number;
    const vp = VAR_P[i] as number;
    const vq = SD_Q * SD_Q;
    // exponent: -alpha (x - mu)^2 / (2 vp) - (1 - alpha)(x^2 / (2 vq) + log(2 pi vq) / 2)
    const a = alpha / vp + (1 - alpha) / vq;
    const b = (alpha * mu) / vp;
    const c = (-alpha * mu * mu) / (2 * vp) - ((1 - alpha) / 2) * Math.log(2 * Math.PI * vq);
    total += 0.5 * Math.log((2 * Math.PI) / a) + (b * b) / (2 * a) + c;
  }
  return total;
}

const target = () =>
  gaussianTarget({ mean: Float64Array.from(MU), variance: Float64Array.from(VAR_P) });

before(async () => {
  await initEngine({ backend: 'wasm' });
});

describe('AIS towards p^alpha q^(1 - alpha)', () => {
  for (const [name, kernel] of [
    ['HMC', () => hmcKernel({ stepSize: 0.5, leapfrogSteps: 3 })],
    ['random-walk Metropolis', () => rwmKernel({ stepSize: 0.8 })],
  ] as const) {
    it(`estimates the normalizer of p^2 / q without bias (${name}; a 3% bias fails)`, () => {
      const before = liveTensorCount();
      const q = DiagGaussian.isotropic(2, SD_Q);
      const p = target();
      const r = runAis({
        path: new AlphaPath(q, p, 2),
        kernel: kernel(),
        betas: linearSchedule(8),
        particles: 32000,
        rng: Rng.fromSeed(11),
      });
      const s = summarizeLogWeights(r.logW.dataSync(), 8, { independent: true });
      tf.dispose([r.z, r.logW]);
      q.dispose();
      p.dispose();
      const truth = exactLogZg(2);
      const se = s.logZStdErr as number;
      assert.ok(se < 0.03 / 4, `standard error ${se} small enough to see a 3% bias`);
      assert.ok(
        Math.abs(s.logZ - truth) < 4 * se,
        `log Z_g ${s.logZ} vs exact ${truth} (se ${se})`,
      );
      assert.ok(Math.abs(s.logZ - (truth + Math.log(1.03))) > 4 * se, 'a 3% bias would be seen');
      assert.equal(liveTensorCount(), before);
    });
  }

  it('alpha = 1 is the ordinary path, alpha = 3 its own normalizer; alpha < 1 is refused', () => {
    const q = DiagGaussian.isotropic(2, SD_Q);
    const p = target();
    for (const alpha of [1, 3]) {
      const r = runAis({
        path: new AlphaPath(q, p, alpha),
        kernel: hmcKernel({ stepSize: 0.4, leapfrogSteps: 3 }),
        betas: linearSchedule(10),
        particles: 6000,
        rng: Rng.fromSeed(12),
      });
      const s = summarizeLogWeights(r.logW.dataSync(), 6, { independent: true });
      tf.dispose([r.z, r.logW]);
      const truth = alpha === 1 ? p.logZ : exactLogZg(alpha);
      assert.ok(
        Math.abs(s.logZ - truth) < 4 * (s.logZStdErr as number),
        `alpha ${alpha}: ${s.logZ} vs ${truth}`,
      );
    }
    assert.throws(() => new AlphaPath(q, p, 0.5), AlphaPathError);
    q.dispose();
    p.dispose();
  });
});

describe('the prioritized replay buffer', () => {
  const filled = (logW: number[]) => {
    const b = new ReplayBuffer(1, logW.length);
    b.add(
      logW.map((_, i) => i),
      logW,
      logW.map(() => 0),
    );
    return b;
  };

  it('draws single points in proportion to their weights (chi-square, 4 degrees of freedom)', () => {
    const w = [1, 2, 3, 4, 10];
    const b = filled(w.map(Math.log));
    const rng = Rng.fromSeed(3);
    const counts = new Array(5).fill(0) as number[];
    const draws = 20000;
    for (let i = 0; i < draws; i++) {
      const k = b.sample(1, rng)[0] as number;
      counts[k] = (counts[k] as number) + 1;
    }
    const total = w.reduce((a, v) => a + v, 0);
    const chi2 = counts.reduce((a, c, i) => {
      const e = (draws * (w[i] as number)) / total;
      return a + (c - e) ** 2 / e;
    }, 0);
    // The 0.999 quantile of chi-square(4) is 18.47.
    assert.ok(chi2 < 18.47, `chi-square ${chi2} (counts ${counts.join(', ')})`);
  });

  it('draws minibatches without replacement with the inclusion probabilities of successive sampling', () => {
    const p = [0.5, 0.3, 0.2];
    const b = filled(p.map(Math.log));
    const rng = Rng.fromSeed(4);
    const n = 20000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const s = b.sample(2, rng);
      assert.notEqual(s[0], s[1]);
      for (const k of s) counts[k]!++;
    }
    p.forEach((pi, i) => {
      // P(i drawn first) + P(j first, then i from the rest).
      const exact = pi + p.reduce((a, pj, j) => (j === i ? a : a + (pj * pi) / (1 - pj)), 0);
      const se = Math.sqrt((exact * (1 - exact)) / n);
      const got = (counts[i] as number) / n;
      assert.ok(Math.abs(got - exact) < 4 * se, `point ${i}: ${got} vs ${exact}`);
    });
  });

  it('an adjustment reweights points and their draws follow the new weights; bad rows are dropped', () => {
    const b = filled([0, 0, 0]);
    // log w += (1 - alpha)(log q_new - log q_old) with alpha = 2 and log q_old = 0.
    b.adjust([0, 2], [-Math.log(4), Number.NaN], [Math.log(4), 0]);
    assert.equal(b.logW[0], -Math.log(4));
    assert.equal(b.logQ[0], Math.fround(Math.log(4)));
    assert.equal(b.logW[2], -Infinity, 'a non-finite adjustment discards the point');
    const rng = Rng.fromSeed(5);
    let first = 0;
    const n = 10000;
    for (let i = 0; i < n; i++) if (b.sample(1, rng)[0] === 0) first++;
    // Weights 1/4 and 1: point 0 is drawn with probability 0.2.
    assert.ok(Math.abs(first / n - 0.2) < 4 * Math.sqrt((0.2 * 0.8) / n), `${first / n}`);
    assert.throws(() => b.sample(3, rng), /holds 2 points/);
    b.add([Number.NaN, 7], [0, Number.POSITIVE_INFINITY], [0, 0]);
    assert.equal(b.size, 2, 'rows with a non-finite value are not written');
  });

  it('writes over its oldest points when full, and saves and loads whole', () => {
    const b = new ReplayBuffer(2, 3);
    b.add([1, 1, 2, 2], [0.1, 0.2], [1, 2]);
    b.add([3, 3, 4, 4], [0.3, 0.4], [3, 4]);
    assert.deepEqual(Array.from(b.x), [4, 4, 2, 2, 3, 3]);
    assert.deepEqual(Array.from(b.logW), [0.4, 0.2, 0.3]);
    const copy = new ReplayBuffer(2, 3);
    copy.load(JSON.parse(JSON.stringify(b.save())));
    assert.deepEqual(Array.from(copy.x), Array.from(b.x));
    assert.deepEqual(Array.from(copy.logW), Array.from(b.logW));
    assert.equal(copy.filled, 4);
    assert.throws(() => new ReplayBuffer(3, 3).load(b.save()), FlowError);
  });
});

describe('the FAB loss', () => {
  it('its gradient is that of mean((q_old / q)^(alpha - 1)) / (alpha - 1): central finite differences (cpu)', async () => {
    await initEngine({ backend: 'cpu' });
    const flow = new Flow(
      2,
      { kind: 'realnvp', layers: 2, conditioner: { hidden: [6], outputInitScale: 0.3 } },
      Rng.fromSeed(8),
    );
    const x = tf.randomNormal([30, 2], 0, 1.3, 'float32', 9) as Tensor2D;
    const names = flow.params.trainable();
    // log q_old from parameters some way from the current ones, so the weights are not all 1.
    const logQOld = tf.tidy(() =>
      tf.add(flow.logProb(x), tf.randomUniform([30], -0.4, 0.4, 'float32', 10)),
    );
    for (const alpha of [2, 3]) {
      const { value, grads } = tf.variableGrads(() => {
        const r = fabBufferLoss(flow, x, logQOld as tf.Tensor1D, alpha, null);
        r.logQ.dispose();
        return r.loss;
      }, names);
      value.dispose();
      const objective = () =>
        tf.tidy(
          () =>
            (tf
              .mean(tf.exp(tf.mul(alpha - 1, tf.sub(logQOld, flow.logProb(x)))))
              .dataSync()[0] as number) /
            (alpha - 1),
        );
      let checked = 0;
      for (const variable of names.slice(0, 6)) {
        const g = Array.from((grads[variable.name] as tf.Tensor).dataSync());
        const base = Array.from(variable.dataSync());
        const idx = g.findIndex((v) => Math.abs(v) > 1e-3);
        if (idx < 0) continue;
        const h = 1e-2;
        const at = (delta: number) => {
          const values = base.slice();
          values[idx] = (values[idx] as number) + delta;
          variable.assign(tf.tensor(values, variable.shape));
          return objective();
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        variable.assign(tf.tensor(base, variable.shape));
        const got = g[idx] as number;
        assert.ok(
          Math.abs(fd - got) <= 2e-2 * Math.max(0.1, Math.abs(fd)),
          `alpha ${alpha}, ${variable.name}[${idx}]: ${got} vs FD ${fd}`,
        );
        assert.ok(Math.abs(got + fd) > Math.abs(fd) * 0.5, 'a sign error would fail');
        checked++;
      }
      assert.ok(checked >= 3, `checked ${checked} parameters`);
      tf.dispose(Object.values(grads));
    }
    // A point whose log q fell by 200 since it was drawn: finite loss and gradient in float32.
    const far = tf.tidy(() => tf.add(flow.logProb(x), 200) as tf.Tensor1D);
    const { value: farLoss, grads: farGrads } = tf.variableGrads(() => {
      const r = fabBufferLoss(flow, x, far, 2, null);
      r.logQ.dispose();
      return r.loss;
    }, names);
    assert.ok(Number.isFinite(farLoss.dataSync()[0]), 'loss finite');
    for (const g of Object.values(farGrads))
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite), 'gradient finite');
    tf.dispose([far, farLoss, ...Object.values(farGrads)]);
    tf.dispose([x, logQOld]);
    flow.dispose();
    await initEngine({ backend: 'wasm' });
  });
});

describe('FAB training', () => {
  const fresh = (seed: number) =>
    new Flow(
      2,
      { kind: 'realnvp', layers: 4, conditioner: { hidden: [16, 16] } },
      Rng.fromSeed(seed),
    );

  for (const buffer of [true, false]) {
    it(`fits a flow to an anisotropic Gaussian (${buffer ? 'with' : 'without'} the replay buffer)`, () => {
      const before = liveTensorCount();
      const p = target();
      const flow = fresh(1);
      const fab = new FabModel(
        flow,
        p,
        {
          intermediate: 2,
          stepSize: 0.3,
          buffer: buffer ? { maxBatches: 10, minBatches: 4, updatesPerPass: 2 } : null,
        },
        128,
      );
      const ess = () =>
        evaluateFlow(flow, p, { particles: 2000, rng: Rng.fromSeed(5), testSamples: 100 })
          .essFraction;
      const start = ess();
      const trainer = new Trainer(
        fab,
        { particles: 128, learningRate: 0.01, clipNorm: null },
        Rng.fromSeed(2),
      );
      for (let i = 0; i < 120; i++) {
        const m = trainer.step();
        assert.ok(!m.skipped, `iteration ${m.iteration} skipped`);
      }
      const end = ess();
      assert.ok(start < 0.8 && end > 0.95, `flow ESS ${start} -> ${end}`);
      assert.ok(fab.lastPass && fab.lastPass.acceptance.length === 2);
      const e = evaluateFabAis(fab, { particles: 2000, batchSize: 500, rng: Rng.fromSeed(6) });
      assert.equal(e.ais.batches, 4);
      assert.ok(
        Math.abs(e.ais.logZ - p.logZ) < 4 * (e.ais.logZStdErr as number),
        `AIS log Z ${e.ais.logZ} vs ${p.logZ}`,
      );
      assert.ok((e.aisMae as number) < 0.05);
      trainer.dispose();
      fab.dispose();
      flow.dispose();
      p.dispose();
      assert.equal(liveTensorCount(), before);
    });
  }

  it('brings the drawn points’ weights up to date as the paper says: log w += (1 - alpha)(log q_new - log q_old)', () => {
    const p = target();
    const flow = fresh(3);
    const fab = new FabModel(
      flow,
      p,
      {
        intermediate: 1,
        stepSize: 0.3,
        buffer: { maxBatches: 6, minBatches: 3, updatesPerPass: 3 },
      },
      32,
    );
    const trainer = new Trainer(
      fab,
      { particles: 32, learningRate: 0.01, clipNorm: null },
      Rng.fromSeed(4),
    );
    trainer.step();
    const s1 = fab.saveState();
    const slots = s1.queue[0] as number[];
    const buffer1 = new ReplayBuffer(2, 6 * 32);
    buffer1.load(s1.buffer!);
    // log q of the next minibatch under the flow that takes its gradient from it.
    const x = tf.tensor2d(buffer1.rows(slots), [32, 2]);
    const logQNow = flow.logProb(x);
    const now = logQNow.dataSync();
    tf.dispose([x, logQNow]);
    trainer.step();
    const buffer2 = new ReplayBuffer(2, 6 * 32);
    buffer2.load(fab.saveState().buffer!);
    slots.forEach((slot, i) => {
      const expected = buffer1.logW[slot]! - ((now[i] as number) - buffer1.logQ[slot]!);
      assert.ok(Math.abs(buffer2.logW[slot]! - expected) < 1e-4, `slot ${slot}`);
      assert.ok(Math.abs(buffer2.logQ[slot]! - (now[i] as number)) < 1e-4);
    });
    const untouched = Array.from({ length: 6 * 32 }, (_, i) => i).filter((i) => !slots.includes(i));
    for (const i of untouched) assert.equal(buffer2.logW[i], buffer1.logW[i]);
    trainer.dispose();
    fab.dispose();
    flow.dispose();
    p.dispose();
  });

  it('refuses settings that cannot work, in one sentence', () => {
    const p = target();
    const flow = fresh(5);
    const bad =
      (config: object, batch = 16) =>
      () =>
        new FabModel(flow, p, config, batch);
    assert.throws(bad({ alpha: 1 }), /alpha must be a number above 1/);
    assert.throws(
      bad({ buffer: { maxBatches: 2, minBatches: 4, updatesPerPass: 1 } }),
      /exceeds buffer.maxBatches/,
    );
    assert.throws(
      bad({ buffer: { maxBatches: 8, minBatches: 2, updatesPerPass: 4 } }),
      /updatesPerPass \(4\) exceeds/,
    );
    assert.throws(bad({ targetAcceptance: 1 }), /strictly between 0 and 1/);
    assert.throws(bad({ move: 'nuts' }), /unknown move 'nuts'/);
    const fab = new FabModel(flow, p, {}, 16);
    assert.throws(() => fab.prepare(32, Rng.fromSeed(0)), /built for batches of 16/);
    assert.throws(() => fab.loadState({ stepSizes: [1] }), /no FAB state that fits/);
    fab.dispose();
    flow.dispose();
    p.dispose();
  });
});
