import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  liveTensorCount,
  Rng,
  tf,
  type Scalar,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import {
  Flow,
  FlowError,
  evaluateFlow,
  forwardKlGradient,
  reverseKlGradient,
  flowDistribution,
  flowTarget,
  FlowModel,
  type FlowKind,
} from '../src/flows/index.js';
import { checkerboardMask } from '../src/flows/flow.js';
import { buildFlowRun, parseFlowRunConfig } from '../src/flows/index.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { Phi4Target, createTarget, gaussianTarget } from '../src/targets/index.js';
import { SMC_HMC_SAMPLES_DEFAULTS, drawTrainingSamples } from '../src/flows/trainingSamples.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';
import { assertAllClose, assertGradientsClose } from './helpers/targetHostMath.js';
import { autodiffLogDets } from './helpers/jacobian.js';

/** A flow away from the identity: random output layers, so every coupling does something. */
const randomFlow = (kind: FlowKind, dim: number, seed: number, layers = 4) =>
  new Flow(
    dim,
    { kind, layers, conditioner: { hidden: [16, 16], outputInitScale: 0.3 } },
    Rng.fromSeed(seed),
  );

const rows = (t: Tensor) => Array.from(t.dataSync());

for (const backend of TEST_BACKENDS) {
  describe(`flows on ${backend}`, () => {
    for (const kind of ['realnvp', 'nice', 'z2-nice'] as const) {
      it(`${kind}: every layer inverts, and log q by the inverse pass equals the forward one`, async () => {
        await useBackend(backend);
        const flow = randomFlow(kind, 5, 1);
        const z = Rng.fromSeed(2).normal([64, 5]) as Tensor2D;
        const { x, logQ } = flow.pushForward(z);
        let back = x;
        for (let l = flow.layers.length - 1; l >= 0; l--) {
          const r = flow.layers[l]!.inverse(back);
          if (back !== x) back.dispose();
          back = r.x;
          r.logDet.dispose();
        }
        assertAllClose(rows(back), rows(z), 1e-4, 'inverse(forward(z))');
        const logQInverse = flow.logProb(x);
        assertAllClose(rows(logQInverse), rows(logQ), 1e-4, 'log q');
        if (kind === 'nice') {
          const { logDet, y } = flow.layers[0]!.forward(z);
          assert.deepEqual(rows(logDet), new Array(64).fill(0), 'NICE preserves volume');
          tf.dispose([logDet, y]);
        }
        tf.dispose([z, x, logQ, back, logQInverse]);
        flow.dispose();
      });
    }

    it('the carried score (Alg. 1) equals autodiff of log q through the inverse flow', async () => {
      await useBackend(backend);
      for (const kind of ['realnvp', 'nice', 'z2-nice'] as const) {
        const flow = randomFlow(kind, 4, 3);
        const z = Rng.fromSeed(4).normal([32, 4]) as Tensor2D;
        const fast = flow.pushForwardWithScore(z);
        const auto = tf.grad((xs: Tensor) => tf.sum(flow.logProb(xs as Tensor2D)))(fast.x);
        assertAllClose(rows(fast.score), rows(auto), 2e-4, `${kind} score`);
        tf.dispose([z, fast.x, fast.logQ, fast.score, auto]);
        flow.dispose();
      }
    });

    it('the score carried back through the inverse equals autodiff of the pulled-back target density', async () => {
      await useBackend(backend);
      const target = gaussianTarget({ mean: [1, -0.5, 0.3, 2], variance: [0.5, 2, 1, 0.7] });
      for (const kind of ['realnvp', 'nice', 'z2-nice'] as const) {
        const flow = randomFlow(kind, 4, 3);
        const x = target.sample!(32, Rng.fromSeed(4));
        const g = tf.grad((xs: Tensor) => tf.sum(target.logProb(xs as Tensor2D)))(x);
        const fast = flow.pullBackWithScore(x, g as Tensor2D);
        // log p_0(z) = log p(T(z)) + log|det dT/dz| = log p(T(z)) + log q_0(z) - log q(T(z)).
        const auto = tf.grad((zs: Tensor) => {
          const { x: xs, logQ } = flow.pushForward(zs as Tensor2D);
          return tf.sum(
            tf.add(tf.sub(target.logProb(xs), logQ), flow.base.logProb(zs as Tensor2D)),
          );
        })(fast.z);
        assertAllClose(rows(fast.score), rows(auto), 2e-4, `${kind} pulled-back score`);
        const logQ = flow.logProb(x);
        assertAllClose(rows(fast.logQ), rows(logQ), 1e-4, `${kind} log q`);
        tf.dispose([x, g, fast.z, fast.logQ, fast.score, auto, logQ]);
        flow.dispose();
      }
      target.dispose?.();
    });

    it('fast path gradient (Alg. 1) equals the reference path gradient (Alg. 2)', async () => {
      await useBackend(backend);
      const target = gaussianTarget({ mean: [1, -0.5, 0.3, 2], variance: [0.5, 2, 1, 0.7] });
      for (const kind of ['realnvp', 'nice', 'z2-nice'] as const) {
        const flow = randomFlow(kind, 4, 5);
        const z = Rng.fromSeed(6).normal([128, 4]) as Tensor2D;
        const fast = reverseKlGradient(flow, target, z, 'path-fast');
        const reference = reverseKlGradient(flow, target, z, 'path-reference');
        assert.ok(Math.abs(fast.kl - reference.kl) < 1e-5);
        assertGradientsClose(fast.grads, reference.grads, 5e-4, kind, 1e-3);
        tf.dispose([z, ...Object.values(fast.grads), ...Object.values(reference.grads)]);
        flow.dispose();
      }
      target.dispose?.();
    });

    it('forward KL: the fast path gradient equals the reference (autodiff through the inverse), and its NLL the ML one', async () => {
      await useBackend(backend);
      const target = gaussianTarget({ mean: [1, -0.5, 0.3, 2], variance: [0.5, 2, 1, 0.7] });
      for (const kind of ['realnvp', 'nice', 'z2-nice'] as const) {
        const flow = randomFlow(kind, 4, 5);
        const x = target.sample!(128, Rng.fromSeed(6));
        const before = liveTensorCount();
        const fast = forwardKlGradient(flow, target, x, 'path-fast');
        const reference = forwardKlGradient(flow, target, x, 'path-reference');
        const ml = forwardKlGradient(flow, target, x, 'ml');
        assert.ok(Math.abs(fast.nll - ml.nll) < 1e-4 * (1 + Math.abs(ml.nll)));
        assert.ok(Math.abs(reference.nll - ml.nll) < 1e-4 * (1 + Math.abs(ml.nll)));
        assertGradientsClose(fast.grads, reference.grads, 5e-4, kind, 1e-3);
        tf.dispose([fast, reference, ml].flatMap((g) => Object.values(g.grads)));
        assert.equal(liveTensorCount(), before, `${kind}: the estimators leak no tensors`);
        x.dispose();
        flow.dispose();
      }
      target.dispose?.();
    });

    it('at q = p the path gradient vanishes sample by sample; the standard one does not', async () => {
      await useBackend(backend);
      // An identity-initialized flow on a standard normal base, and a standard normal target.
      const target = gaussianTarget({ mean: [0, 0, 0], variance: [1, 1, 1] });
      const flow = new Flow(
        3,
        { kind: 'realnvp', layers: 2, conditioner: { hidden: [8] } },
        Rng.fromSeed(7),
      );
      const z = Rng.fromSeed(8).normal([16, 3]) as Tensor2D;
      const path = reverseKlGradient(flow, target, z, 'path-fast');
      const standard = reverseKlGradient(flow, target, z, 'standard');
      const maxAbs = (g: Record<string, Tensor>) =>
        Math.max(...Object.values(g).flatMap((t) => rows(t).map(Math.abs)));
      assert.ok(maxAbs(path.grads) < 1e-5, `path gradient ${maxAbs(path.grads)}`);
      assert.ok(maxAbs(standard.grads) > 1e-2, `standard gradient ${maxAbs(standard.grads)}`);
      tf.dispose([z, ...Object.values(path.grads), ...Object.values(standard.grads)]);
      flow.dispose();
      target.dispose?.();
    });
  });
}

describe('flow log-determinants match autodiff Jacobians (cpu)', () => {
  for (const kind of ['realnvp', 'nice', 'z2-nice'] as const) {
    it(`${kind}: log |det dT/dz| per row equals log q(base) - log q(x)`, async () => {
      await useBackend('cpu');
      const d = 3;
      const flow = randomFlow(kind, d, 9, 3);
      const z = Rng.fromSeed(10).normal([5, d]) as Tensor2D;
      const { x, logQ } = flow.pushForward(z);
      const baseLog = flow.base.logProb(z);
      const logDets = rows(baseLog).map((b, i) => b - (rows(logQ)[i] as number));
      const auto = autodiffLogDets((zs) => flow.pushForward(zs).x, z);
      auto.forEach((logDet, r) =>
        assert.ok(
          Math.abs(logDet - (logDets[r] as number)) < 1e-4,
          `row ${r}: ${logDet} vs ${logDets[r]}`,
        ),
      );
      tf.dispose([z, x, logQ, baseLog]);
      flow.dispose();
    });
  }
});

describe('flow training and bookkeeping', () => {
  it('Adam on the fast path gradient lowers KL(q || p) and leaks no tensors', async () => {
    await useBackend('wasm');
    const target = gaussianTarget({ mean: [1.5, -1], variance: [0.3, 2] });
    const flow = new Flow(
      2,
      { kind: 'realnvp', layers: 4, conditioner: { hidden: [16] } },
      Rng.fromSeed(11),
    );
    const optimizer = tf.train.adam(0.02);
    const rng = Rng.fromSeed(12);
    const klAt = () => {
      const z = Rng.fromSeed(99).normal([2000, 2]) as Tensor2D;
      const { x, logQ } = flow.pushForward(z);
      const logP = target.logProb(x);
      const kl = tf.mean(tf.sub(logQ, logP)).dataSync()[0] as number;
      tf.dispose([z, x, logQ, logP]);
      return kl - (target.logZ as number);
    };
    const before = klAt();
    const step = () => {
      const z = rng.normal([256, 2]) as Tensor2D;
      const { grads } = reverseKlGradient(flow, target, z, 'path-fast');
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose([z, ...Object.values(grads)]);
    };
    step();
    const baseline = liveTensorCount();
    for (let i = 0; i < 60; i++) step();
    assert.equal(liveTensorCount(), baseline);
    const after = klAt();
    assert.ok(
      before > 0.5 && after < 0.25 * before,
      `KL ${before.toFixed(3)} -> ${after.toFixed(3)}`,
    );
    optimizer.dispose();
    flow.dispose();
    target.dispose?.();
  });

  it('every estimator reports the KL of its own draws, and FlowModel the ELBO, without leaks', async () => {
    await useBackend('wasm');
    const target = gaussianTarget({ mean: [1.5, -1], variance: [0.3, 2] });
    const flow = randomFlow('realnvp', 2, 5);
    const z = Rng.fromSeed(3).normal([64, 2]) as Tensor2D;
    const direct = tf.tidy(() => {
      const { x, logQ } = flow.pushForward(z);
      return tf.mean(tf.sub(logQ, target.logProb(x))).dataSync()[0] as number;
    });
    const before = liveTensorCount();
    for (const estimator of ['standard', 'path-fast', 'path-reference'] as const) {
      const { kl, grads } = reverseKlGradient(flow, target, z, estimator);
      tf.dispose(Object.values(grads));
      assert.ok(Math.abs(kl - direct) < 1e-5, `${estimator}: ${kl} vs ${direct}`);
      const model = new FlowModel(flow, target, { kind: 'reverse-kl', estimator });
      const out: { elbo?: Scalar } = {};
      const loss = model.loss(64, Rng.fromSeed(8), { kind: 'elbo' }, out);
      const elbo = (out.elbo as Scalar).dataSync()[0] as number;
      // The model draws its own base points: its ELBO is that of a fresh pass on the same stream.
      const fresh = tf.tidy(() => {
        const zs = flow.base.sample(64, Rng.fromSeed(8));
        const { x, logQ } = flow.pushForward(zs as Tensor2D);
        return tf.mean(tf.sub(target.logProb(x), logQ)).dataSync()[0] as number;
      });
      assert.ok(Math.abs(elbo - fresh) < 1e-5, `${estimator}: ELBO ${elbo} vs ${fresh}`);
      tf.dispose([loss, out.elbo as Scalar]);
      model.dispose();
    }
    assert.equal(liveTensorCount(), before);
    z.dispose();
    flow.dispose();
    target.dispose?.();
  });

  it('bad flow settings are refused with one clear message', () => {
    assert.throws(() => new Flow(1, { kind: 'realnvp' }, Rng.fromSeed(1)), /dim >= 2/);
    assert.throws(() => new Flow(3, { kind: 'realnvp', layers: 0 }, Rng.fromSeed(1)), /layers/);
    assert.throws(
      () => new Flow(3, { kind: 'glow' as FlowKind }, Rng.fromSeed(1)),
      (e: Error) => e instanceof FlowError && /valid: realnvp, nice/.test(e.message),
    );
  });
});

describe('forward-KL training samples by SMC-HMC', () => {
  it('match the target: mean and variance of a Gaussian within 4 standard errors (effective sample size N / 10)', async () => {
    await useBackend('wasm');
    const mean = [1.5, -1, 0.5];
    const variance = [0.5, 2, 1];
    const target = gaussianTarget({ mean, variance });
    const n = 4000;
    const before = liveTensorCount();
    const drawn = drawTrainingSamples(target, n, Rng.fromSeed(21), {
      ...SMC_HMC_SAMPLES_DEFAULTS,
      annealSteps: 40,
      mcmcSteps: 40,
      stepSize: 0.3,
    });
    assert.equal(drawn.method, 'smc-hmc');
    assert.ok((drawn.acceptance as number) > 0.5);
    const x = Array.from(drawn.x.dataSync());
    drawn.x.dispose();
    assert.equal(liveTensorCount(), before);
    // Resampling leaves copies that the HMC steps only partly separate: take a tenth of the
    // draws as effective.
    const nEff = n / 10;
    mean.forEach((m, j) => {
      const col = x.filter((_, i) => i % 3 === j);
      const mu = col.reduce((a, b) => a + b, 0) / n;
      const v = col.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1);
      const v0 = variance[j] as number;
      assert.ok(Math.abs(mu - m) < 4 * Math.sqrt(v0 / nEff), `coordinate ${j}: mean ${mu}`);
      assert.ok(Math.abs(v / v0 - 1) < 4 * Math.sqrt(2 / nEff), `coordinate ${j}: variance ${v}`);
    });
    // phi^4 on 8 x 8 in its broken phase (two mirror-image modes): sign flips split the draws
    // evenly between them, whatever share of the particles each mode kept through resampling
    // (without them, this seed leaves a quarter of the draws in the positive mode).
    const phi4 = createTarget('phi4', { dim: 64, width: 8, kappa: 0.3, lambda: 0.022 });
    const lattice = drawTrainingSamples(phi4, 2000, Rng.fromSeed(3), {
      ...SMC_HMC_SAMPLES_DEFAULTS,
      annealSteps: 20,
      mcmcSteps: 10,
      stepSize: 0.2,
      signFlip: true,
    });
    const magnetization = tf.tidy(() => Array.from(tf.mean(lattice.x, 1).dataSync()));
    lattice.x.dispose();
    const positive = magnetization.filter((m) => m > 0).length / 2000;
    assert.ok(Math.abs(positive - 0.5) < 4 * Math.sqrt(0.25 / 2000), `${positive} positive`);
    assert.ok(
      magnetization.every((m) => Math.abs(m) > 0.5),
      'draws sit in the two modes',
    );
    phi4.dispose?.();
    // Without an exact sampler and without the SMC setting, the error says what to set.
    const sonar = createTarget('sonar');
    assert.throws(
      () => drawTrainingSamples(sonar, 10, Rng.fromSeed(1), null),
      /cannot draw them: set train\.loss\.samples: \{kind: smc-hmc\}/,
    );
    target.dispose?.();
    sonar.dispose?.();
  });
});

describe('forward KL and flow metrics', () => {
  it('forward-KL path gradients (fast and reference) vanish at q = p; ML does not', async () => {
    await useBackend('wasm');
    const target = gaussianTarget({ mean: [0, 0, 0], variance: [1, 1, 1] });
    const flow = new Flow(
      3,
      { kind: 'realnvp', layers: 2, conditioner: { hidden: [8] } },
      Rng.fromSeed(7),
    );
    const x = Rng.fromSeed(13).normal([16, 3]) as Tensor2D;
    const path = forwardKlGradient(flow, target, x, 'path-reference');
    const fast = forwardKlGradient(flow, target, x, 'path-fast');
    const ml = forwardKlGradient(flow, target, x, 'ml');
    const maxAbs = (g: Record<string, Tensor>) =>
      Math.max(...Object.values(g).flatMap((t) => rows(t).map(Math.abs)));
    assert.ok(maxAbs(path.grads) < 1e-5, `path ${maxAbs(path.grads)}`);
    assert.ok(maxAbs(fast.grads) < 1e-5, `path-fast ${maxAbs(fast.grads)}`);
    assert.ok(maxAbs(ml.grads) > 1e-2, `ml ${maxAbs(ml.grads)}`);
    tf.dispose([x, ...[path, fast, ml].flatMap((g) => Object.values(g.grads))]);
    flow.dispose();
    target.dispose?.();
  });

  it('ML and path forward-KL gradients agree in expectation (within 4 standard errors)', async () => {
    await useBackend('wasm');
    const target = gaussianTarget({ mean: [0.5, -0.3], variance: [0.6, 1.5] });
    const flow = new Flow(
      2,
      { kind: 'realnvp', layers: 2, conditioner: { hidden: [8], outputInitScale: 0.2 } },
      Rng.fromSeed(14),
    );
    const rng = Rng.fromSeed(15);
    const batches = 20;
    const diffs: number[][] = [];
    for (let b = 0; b < batches; b++) {
      const x = target.sample!(500, rng);
      const path = forwardKlGradient(flow, target, x, 'path-reference');
      const ml = forwardKlGradient(flow, target, x, 'ml');
      diffs.push(
        Object.keys(ml.grads).flatMap((n) => {
          const a = rows(path.grads[n]!);
          const c = rows(ml.grads[n]!);
          return a.map((v, i) => v - (c[i] as number));
        }),
      );
      tf.dispose([x, ...Object.values(path.grads), ...Object.values(ml.grads)]);
    }
    let checked = 0;
    for (let i = 0; i < (diffs[0] as number[]).length; i++) {
      const col = diffs.map((r) => r[i] as number);
      const mean = col.reduce((a, v) => a + v, 0) / batches;
      const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / (batches - 1));
      if (sd < 1e-9) continue;
      checked += 1;
      assert.ok(
        Math.abs(mean) < 4 * (sd / Math.sqrt(batches)) + 1e-6,
        `param ${i}: ${mean} (sd ${sd})`,
      );
    }
    assert.ok(checked > 10);
    flow.dispose();
    target.dispose?.();
  });

  it('at q = p: log Z exact, reverse and forward ESS 1, NLL the Gaussian entropy', async () => {
    await useBackend('wasm');
    const d = 3;
    const target = gaussianTarget({ mean: [0, 0, 0], variance: [1, 1, 1] });
    const flow = new Flow(d, { kind: 'nice', layers: 2 }, Rng.fromSeed(16));
    const e = evaluateFlow(flow, target, {
      particles: 2000,
      rng: Rng.fromSeed(17),
      testSamples: 4000,
    });
    assert.ok(Math.abs(e.logZ - (target.logZ as number)) < 1e-4);
    assert.ok(Math.abs(e.essFraction - 1) < 1e-4);
    assert.ok(Math.abs((e.forwardEss as number) - 1) < 1e-4);
    const entropy = 0.5 * d * Math.log(2 * Math.PI * Math.E);
    assert.ok(Math.abs((e.nll as number) - entropy) < 4 * (e.nllStdErr as number), `${e.nll}`);
    flow.dispose();
    target.dispose?.();
  });

  it('an imperfect flow: both ESS below 1, log Z within a few standard errors', async () => {
    await useBackend('wasm');
    const target = gaussianTarget({ mean: [0.5, -0.3], variance: [0.6, 1.5] });
    const flow = randomFlow('realnvp', 2, 18);
    const e = evaluateFlow(flow, target, {
      particles: 20000,
      rng: Rng.fromSeed(19),
      testSamples: 5000,
    });
    assert.ok(e.essFraction < 0.999 && (e.forwardEss as number) < 0.999);
    assert.ok(Math.abs(e.logZ - (target.logZ as number)) < 4 * (e.logZStdErr as number) + 0.02);
    flow.dispose();
    target.dispose?.();
  });
});

describe('flows in the annealed samplers', () => {
  it('the flow distribution score equals autodiff of its log density', async () => {
    await useBackend('wasm');
    const flow = randomFlow('realnvp', 4, 24);
    const x = Rng.fromSeed(25).normal([16, 4]) as Tensor2D;
    const dist = flowDistribution(flow);
    const score = dist.score(x);
    const auto = tf.grad((xs: Tensor) => tf.sum(flow.logProb(xs as Tensor2D)))(x);
    assertAllClose(rows(score), rows(auto), 2e-4, 'flow distribution score');
    tf.dispose([x, score, auto]);
    dist.dispose();
  });

  it('AIS from a flow initial distribution is unbiased; a flow target has log Z = 0', async () => {
    await useBackend('wasm');
    const target = gaussianTarget({ mean: [1, -0.5, 0.2], variance: [0.6, 1.4, 1] });
    const flow = randomFlow('realnvp', 3, 21, 3);
    // A random flow is a poor, heavy-tailed proposal; 64 steps keep the weights well behaved
    // enough for the batch standard error to mean something (ESS ~0.6).
    const runs = 400;
    const perRun = 8;
    const e = estimateLogZ({
      target,
      sampler: 'ais-hmc',
      steps: 64,
      particles: runs * perRun,
      stepSize: 0.3,
      leapfrogSteps: 2,
      initial: flowDistribution(flow),
      batches: runs,
      seed: 22,
    });
    // The pooled estimate over independent AIS runs, within 4 of its standard errors.
    assert.ok(
      Math.abs(e.logZ - (target.logZ as number)) < 4 * (e.logZStdErr as number),
      `${e.logZ} vs ${target.logZ} (se ${e.logZStdErr})`,
    );
    const asTarget = flowTarget(flow);
    const f = estimateLogZ({
      target: asTarget,
      sampler: 'ais-hmc',
      steps: 16,
      particles: 2000,
      stepSize: 0.3,
      seed: 23,
    });
    assert.ok(
      Math.abs(f.logZ) < 4 * (f.logZStdErr as number) + 0.02,
      `flow target log Z ${f.logZ}`,
    );
    flow.dispose();
    target.dispose?.();
  });
});

describe('Z2-equivariant NICE and the phi^4 target', () => {
  it('z2-nice is odd: T(-z) = -T(z) and log q(-x) = log q(x); checkerboard masks', async () => {
    await useBackend('wasm');
    const flow = new Flow(
      16,
      {
        kind: 'z2-nice',
        layers: 4,
        checkerboardWidth: 4,
        conditioner: { hidden: [8], outputInitScale: 0.3 },
      },
      Rng.fromSeed(31),
    );
    // Move the global scale off 0 so that it is exercised.
    tf.tidy(() => flow.params.get('scale.log').assign(tf.scalar(0.3)));
    const z = Rng.fromSeed(32).normal([20, 16]) as Tensor2D;
    const a = flow.pushForward(z);
    const minus = tf.neg(z) as Tensor2D;
    const b = flow.pushForward(minus);
    assertAllClose(
      rows(b.x),
      rows(a.x).map((v) => -v),
      1e-5,
      'T(-z)',
    );
    assertAllClose(rows(b.logQ), rows(a.logQ), 1e-4, 'log q');
    assert.deepEqual(checkerboardMask(16, 4, 0).slice(0, 8), [1, 0, 1, 0, 0, 1, 0, 1]);
    tf.dispose([z, minus, a.x, a.logQ, b.x, b.logQ]);
    flow.dispose();
  });

  it('phi4: action against a host loop over the lattice; score against autodiff', async () => {
    await useBackend('cpu');
    const [T, X, kappa, lambda] = [4, 3, 0.25, 0.05];
    const target = new Phi4Target({ length: T, width: X, kappa, lambda });
    const values = Rng.fromSeed(33).normalArray(2 * T * X);
    const phi = tf.tensor2d(Float32Array.from(values), [2, T * X]);
    const host = (r: number) => {
      const at = (t: number, x: number) =>
        values[r * T * X + ((t + T) % T) * X + ((x + X) % X)] as number;
      let s = 0;
      for (let t = 0; t < T; t++)
        for (let x = 0; x < X; x++) {
          const p = at(t, x);
          s +=
            -2 * kappa * p * (at(t + 1, x) + at(t, x + 1)) +
            (1 - 2 * lambda) * p * p +
            lambda * p ** 4;
        }
      return s;
    };
    const action = rows(target.action(phi));
    for (let r = 0; r < 2; r++)
      assert.ok(Math.abs((action[r] as number) - host(r)) < 1e-4 * Math.max(1, Math.abs(host(r))));
    const score = target.score(phi);
    const auto = tf.grad((p: Tensor) => tf.sum(target.logProb(p as Tensor2D)))(phi);
    assertAllClose(rows(score), rows(auto), 1e-5, 'phi4 score');
    tf.dispose([phi, score, auto]);
    target.dispose();
  });
});

describe('flow run configs', () => {
  it('flow.checkerboardWidth reaches the couplings (checkerboard, not alternating, masks)', async () => {
    await useBackend('wasm');
    const config = parseFlowRunConfig({
      target: { name: 'phi4', dim: 16, width: 4 },
      flow: { kind: 'z2-nice', layers: 2, hidden: [4], checkerboardWidth: 4 },
      train: { iterations: 1 },
    });
    const { target, flow, model, trainer } = buildFlowRun(config);
    for (let l = 0; l < 2; l++) {
      const mask = (flow.layers[l] as unknown as { mask: Tensor }).mask;
      assert.deepEqual(rows(mask), checkerboardMask(16, 4, l));
    }
    trainer.dispose();
    model.dispose();
    flow.dispose();
    target.dispose?.();
  });
});
