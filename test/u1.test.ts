import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveTensorCount, Rng, tf, type Tensor, type Tensor2D } from '../src/engine/index.js';
import {
  Flow,
  FlowError,
  evaluateFlow,
  flowDistribution,
  forwardKlGradient,
  reverseKlGradient,
} from '../src/flows/index.js';
import { ncpMixture, ncpMixtureInverse } from '../src/flows/circular.js';
import { gaugeMasks } from '../src/flows/gauge.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { createTarget } from '../src/targets/registry.js';
import { U1Target, logBesselI, u1LogZ } from '../src/targets/u1.js';
import { useBackend } from './helpers/backends.js';
import { assertAllClose, assertGradientsClose } from './helpers/targetHostMath.js';
import { autodiffLogDets } from './helpers/jacobian.js';

const rows = (t: Tensor) => Array.from(t.dataSync());
const TWO_PI = 2 * Math.PI;
/** Largest angular distance between two sets of angles (mod 2 pi). */
const angularError = (a: number[], b: number[]) =>
  Math.max(
    ...a.map((v, i) =>
      Math.abs(v - (b[i] as number) - TWO_PI * Math.round((v - (b[i] as number)) / TWO_PI)),
    ),
  );

const gaugeFlow = (width: number, layers: number, seed: number, scale = 0.3) =>
  new Flow(
    2 * width * width,
    {
      kind: 'u1-gauge',
      layers,
      circularComponents: 3,
      conditioner: { hidden: [16], outputInitScale: scale },
    },
    Rng.fromSeed(seed),
  );

/** Host plaquettes of one configuration (links index mu * V + t * L + x). */
function hostPlaquettes(theta: number[], width: number): number[] {
  const v = width * width;
  const site = (t: number, x: number) => ((t + width) % width) * width + ((x + width) % width);
  const out: number[] = [];
  for (let t = 0; t < width; t++) {
    for (let x = 0; x < width; x++) {
      const s = site(t, x);
      out.push(theta[s]! + theta[v + site(t + 1, x)]! - theta[site(t, x + 1)]! - theta[v + s]!);
    }
  }
  return out;
}

/** A random gauge transformation: theta_mu(s) + alpha(s) - alpha(s + e_mu), as a [n, 2V] shift. */
function gaugeShift(width: number, n: number, rng: Rng): Tensor2D {
  const v = width * width;
  const alpha = rng.uniformArray(n * v);
  const out = new Float32Array(n * 2 * v);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < width; t++) {
      for (let x = 0; x < width; x++) {
        const s = t * width + x;
        const a = (i: number) => TWO_PI * (alpha[r * v + i] as number);
        out[r * 2 * v + s] = a(s) - a(((t + 1) % width) * width + x);
        out[r * 2 * v + v + s] = a(s) - a(t * width + ((x + 1) % width));
      }
    }
  }
  return tf.tensor2d(out, [n, 2 * v]);
}

describe('U(1) gauge target', () => {
  it('Bessel functions and the exact log Z', () => {
    // Reference values of I_n(x) (Abramowitz & Stegun, table 9.8).
    assert.ok(Math.abs(Math.exp(logBesselI(0, 1)) - 1.2660658777520082) < 1e-12);
    assert.ok(Math.abs(Math.exp(logBesselI(1, 1)) - 0.565159103992485) < 1e-12);
    assert.ok(Math.abs(Math.exp(logBesselI(-2, 3)) - 2.245212440929951) < 1e-11);
    assert.ok(Math.abs(Math.exp(logBesselI(0, 30)) / 7.816722978239774e11 - 1) < 1e-10);
    // Large lattices: only the n = 0 sector survives.
    const v = 256;
    assert.ok(Math.abs(u1LogZ(16, 3) - (2 * v * Math.log(TWO_PI) + v * logBesselI(0, 3))) < 1e-12);
  });

  it('log Z by importance sampling from the uniform measure matches the exact value (L = 2)', async () => {
    await useBackend('wasm');
    // On a 2 x 2 torus the winding sectors n = +-1 add log(1 + 2 (I_1/I_0)^4) = 0.076 to log Z:
    // the estimate must see them (its standard error is ~0.01).
    const target = new U1Target({ width: 2, beta: 1 });
    const n = 40000;
    const x = Rng.fromSeed(1).uniform([n, 8], 0, TWO_PI) as Tensor2D;
    const logW = rows(target.logProb(x)).map((l) => l + 8 * Math.log(TWO_PI));
    const max = Math.max(...logW);
    const w = logW.map((l) => Math.exp(l - max));
    const mean = w.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const estimate = max + Math.log(mean);
    const se = sd / mean / Math.sqrt(n);
    const exact = u1LogZ(2, 1);
    assert.ok(Math.abs(estimate - exact) < 4 * se, `${estimate} vs ${exact} (se ${se})`);
    assert.ok(
      Math.abs(
        estimate - (exact - Math.log(1 + 2 * Math.exp(4 * (logBesselI(1, 1) - logBesselI(0, 1))))),
      ) >
        4 * se,
    );
    x.dispose();
    target.dispose();
  });

  it('action against host plaquettes; closed-form score against autodiff; gauge invariance', async () => {
    await useBackend('wasm');
    const width = 4;
    const target = new U1Target({ width, beta: 1.7 });
    const x = Rng.fromSeed(2).uniform([6, 32], -4, 10) as Tensor2D;
    const values = rows(x);
    const logP = rows(target.logProb(x));
    for (let r = 0; r < 6; r++) {
      const p = hostPlaquettes(values.slice(r * 32, (r + 1) * 32), width);
      const expected = 1.7 * p.reduce((a, b) => a + Math.cos(b), 0);
      assert.ok(Math.abs((logP[r] as number) - expected) < 1e-3, `row ${r}`);
    }
    const score = target.score(x);
    const auto = tf.grad((xs: Tensor) => tf.sum(target.logProb(xs as Tensor2D)))(x);
    assertAllClose(rows(score), rows(auto), 1e-4, 'u1 score');
    const shift = gaugeShift(width, 6, Rng.fromSeed(3));
    const moved = tf.add(x, shift) as Tensor2D;
    assertAllClose(rows(target.logProb(moved)), logP, 1e-3, 'gauge invariance');
    tf.dispose([x, score, auto, shift, moved]);
    target.dispose();
  });

  it('registry options and errors', () => {
    const t = createTarget('u1', { width: 4, beta: 2 });
    assert.equal(t.dim, 32);
    assert.equal(t.logZ, u1LogZ(4, 2));
    t.dispose?.();
    const fromDim = createTarget('u1', { dim: 72 });
    assert.equal((fromDim as U1Target).width, 6);
    fromDim.dispose?.();
    assert.throws(
      () => createTarget('u1', { dim: 30 }),
      /dim must be 2 L\^2 \(L = width >= 2\), got 30/,
    );
    assert.throws(() => createTarget('u1', { dim: 2 }), /got 2/);
    // phi4's dimension is width x rows: the width is checked when the target is built.
    assert.throws(() => createTarget('phi4', { dim: 3 }), /dim must be width x rows/);
    assert.throws(() => createTarget('phi4', { dim: 20 }), /multiple of width 8/);
    assert.throws(() => createTarget('u1', { dim: 32, width: 8 }), /width 8 gives 128/);
    assert.throws(() => createTarget('u1', { kappa: 1 }), /does not apply to target 'u1'/);
  });
});

describe('circular NCP mixtures', () => {
  it('inverse by bisection, derivative against finite differences, implicit gradient', async () => {
    await useBackend('cpu');
    const rng = Rng.fromSeed(4);
    const p = rng.uniform([5, 7], 0, TWO_PI) as Tensor2D;
    const mixture = {
      logScale: [0, 1, 2].map(() => tf.mul(rng.normal([5, 7]), 0.8) as Tensor2D),
      logits: [0, 1, 2].map(() => rng.normal([5, 7]) as Tensor2D),
    };
    const { value, derivative } = ncpMixture(p, mixture);
    const back = ncpMixtureInverse(value, mixture);
    assert.ok(angularError(rows(back), rows(p)) < 1e-5, 'inverse');
    const eps = 1e-3; // float32: rounding ~ 1e-7 / eps, truncation ~ eps^2
    const up = ncpMixture(tf.add(p, eps) as Tensor2D, mixture).value;
    const down = ncpMixture(tf.sub(p, eps) as Tensor2D, mixture).value;
    const fd = rows(tf.div(tf.sub(up, down), 2 * eps));
    assertAllClose(rows(derivative), fd, 2e-3, "h'");
    // d h^-1(t) / dt = 1 / h'(h^-1(t)) through the Newton refinement.
    const dInverse = tf.grad((t: Tensor) => tf.sum(ncpMixtureInverse(t as Tensor2D, mixture)))(
      value,
    );
    assertAllClose(
      rows(dInverse),
      rows(derivative).map((d) => 1 / d),
      1e-6,
      'implicit gradient',
    );
    tf.dispose([
      p,
      ...mixture.logScale,
      ...mixture.logits,
      value,
      derivative,
      back,
      up,
      down,
      dInverse,
    ]);
  });
});

describe('gauge-equivariant U(1) flows', () => {
  it('masks: active, frozen and the passive stripe between them', () => {
    const [active, frozen] = gaugeMasks(4, 0, 1);
    // mu = 0 stripes run along x (the coordinate across e0 is x = s mod 4).
    assert.deepEqual(active.slice(0, 4), [0, 1, 0, 0]);
    assert.deepEqual(frozen.slice(0, 4), [0, 0, 1, 1]);
    const [activeT] = gaugeMasks(4, 1, 0);
    assert.deepEqual(activeT.slice(0, 8), [1, 1, 1, 1, 0, 0, 0, 0]);
    assert.throws(() => gaugeMasks(6, 0, 0), /divisible by 4/);
    assert.throws(
      () => new Flow(30, { kind: 'u1-gauge' }, Rng.fromSeed(1)),
      (e: Error) => e instanceof FlowError && /dim = 2 L\^2/.test(e.message),
    );
    assert.throws(() => new Flow(72, { kind: 'u1-gauge' }, Rng.fromSeed(1)), /divisible by 4/);
  });

  it('every layer inverts; log q by the inverse pass; gauge-invariant density', async () => {
    await useBackend('wasm');
    const flow = gaugeFlow(4, 8, 5);
    const z = flow.base.sample(64, Rng.fromSeed(6));
    const { x, logQ } = flow.pushForward(z);
    assert.ok(angularError(rows(flow.pullBack(x)), rows(z)) < 2e-4, 'inverse(forward(z))');
    const logQInverse = flow.logProb(x);
    assertAllClose(rows(logQInverse), rows(logQ), 1e-3, 'log q');
    const spread = Math.max(...rows(logQ)) - Math.min(...rows(logQ));
    assert.ok(spread > 0.5, `the random flow is not the identity (log q spread ${spread})`);
    const shift = gaugeShift(4, 64, Rng.fromSeed(7));
    const moved = tf.add(x, shift) as Tensor2D;
    assertAllClose(rows(flow.logProb(moved)), rows(logQ), 2e-3, 'log q is gauge invariant');
    flow.dispose();
  });

  it('log |det dT/dz| equals the autodiff Jacobian (cpu)', async () => {
    await useBackend('cpu');
    const flow = gaugeFlow(4, 4, 8, 0.5);
    const d = 32;
    const z = flow.base.sample(2, Rng.fromSeed(9));
    const { logQ } = flow.pushForward(z);
    const logDets = rows(logQ).map((l) => -d * Math.log(TWO_PI) - l);
    autodiffLogDets((zs) => flow.pushForward(zs).x, z).forEach((logDet, r) => {
      assert.ok(
        Math.abs(logDet - (logDets[r] as number)) < 1e-3,
        `row ${r}: ${logDet} vs ${logDets[r]}`,
      );
      assert.ok(Math.abs(logDet) > 0.1, 'a non-trivial Jacobian');
    });
    flow.dispose();
  });

  it('carried score equals autodiff; fast path gradient equals the reference path gradient', async () => {
    await useBackend('wasm');
    const flow = gaugeFlow(4, 4, 10);
    const target = new U1Target({ width: 4, beta: 1 });
    const z = flow.base.sample(32, Rng.fromSeed(11));
    const fast = flow.pushForwardWithScore(z);
    const auto = tf.grad((xs: Tensor) => tf.sum(flow.logProb(xs as Tensor2D)))(fast.x);
    assertAllClose(rows(fast.score), rows(auto), 5e-4, 'score');
    const a = reverseKlGradient(flow, target, z, 'path-fast');
    const b = reverseKlGradient(flow, target, z, 'path-reference');
    assertGradientsClose(a.grads, b.grads, 2e-3, 'reverse KL', 1e-2);
    tf.dispose([
      z,
      fast.x,
      fast.logQ,
      fast.score,
      auto,
      ...Object.values(a.grads),
      ...Object.values(b.grads),
    ]);
    flow.dispose();
    target.dispose();
  });

  it('forward KL on the implicit flow: the fast path gradient (score carried back through the bisection inverse) equals the reference', async () => {
    await useBackend('wasm');
    const flow = gaugeFlow(4, 4, 10);
    const target = new U1Target({ width: 4, beta: 1 });
    // Any link configurations serve to compare the two estimators on the same points.
    const x = flow.base.sample(32, Rng.fromSeed(12));
    const a = forwardKlGradient(flow, target, x, 'path-fast');
    const b = forwardKlGradient(flow, target, x, 'path-reference');
    assert.ok(Math.abs(a.nll - b.nll) < 1e-3 * (1 + Math.abs(b.nll)));
    assertGradientsClose(a.grads, b.grads, 2e-3, 'forward KL', 1e-2);
    tf.dispose([x, ...Object.values(a.grads), ...Object.values(b.grads)]);
    flow.dispose();
    target.dispose();
  });

  it('reverse-KL training lowers the KL; IS and AIS log Z agree with the exact value', async () => {
    await useBackend('wasm');
    const target = new U1Target({ width: 4, beta: 1 });
    const flow = gaugeFlow(4, 8, 12, 0);
    const optimizer = tf.train.adam(0.01);
    const rng = Rng.fromSeed(13);
    const klAt = () => {
      const { x, logQ } = flow.sample(4000, Rng.fromSeed(99));
      const kl = tf.mean(tf.sub(logQ, target.logProb(x))).dataSync()[0] as number;
      tf.dispose([x, logQ]);
      return kl + target.logZ;
    };
    const before = klAt();
    const step = () => {
      const z = flow.base.sample(256, rng);
      const { grads } = reverseKlGradient(flow, target, z, 'path-fast');
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose([z, ...Object.values(grads)]);
    };
    step();
    const baseline = liveTensorCount();
    for (let i = 0; i < 60; i++) step();
    assert.equal(liveTensorCount(), baseline, 'no tensor leak per step');
    const after = klAt();
    // The identity flow (uniform links) has KL = log Z - 32 log 2 pi = 16 log I_0(1) = 3.77.
    assert.ok(Math.abs(before - 16 * logBesselI(0, 1)) < 0.05, `KL at identity ${before}`);
    assert.ok(after < 0.6 * before, `KL ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    const e = evaluateFlow(flow, target, { particles: 20000, batches: 20, rng: Rng.fromSeed(14) });
    assert.equal(e.trueLogZ, target.logZ);
    assert.ok(
      Math.abs(e.logZ - target.logZ) < 4 * (e.logZStdErr as number),
      `IS ${e.logZ} vs ${target.logZ} (se ${e.logZStdErr})`,
    );
    assert.ok(e.essFraction > 0.2, `reverse ESS ${e.essFraction}`);
    // HMC-AIS from the trained flow (Metropolis-corrected, so exact on the torus).
    const a = estimateLogZ({
      target,
      sampler: 'ais-hmc',
      steps: 4,
      particles: 400,
      stepSize: 0.2,
      leapfrogSteps: 1,
      initial: flowDistribution(flow),
      batches: 20,
      seed: 15,
    });
    assert.ok(
      Math.abs(a.logZ - target.logZ) < 4 * (a.logZStdErr as number),
      `AIS ${a.logZ} vs ${target.logZ} (se ${a.logZStdErr})`,
    );
    optimizer.dispose();
    flow.dispose();
    target.dispose();
  });
});
