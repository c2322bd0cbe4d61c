// CRAFT (src/flows/craft.ts) and the transport kernel under it: the SMC estimate of Z is unbiased
// for any flows (with the power to see a 3 % bias), the transport's weight is exact (an exact flow
// makes every weight equal), the flows' loss gradient equals finite differences on the cpu
// backend, training lowers the transport KL and raises the ESS, bad settings are refused, and
// nothing leaks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  initEngine,
  liveTensorCount,
  Rng,
  tf,
  type Tensor1D,
  type Tensor2D,
} from '../src/engine/index.js';
import { runAis } from '../src/annealing/ais.js';
import { AnnealingPath } from '../src/annealing/path.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { CraftSampler } from '../src/flows/craft.js';
import { gaussianTarget } from '../src/targets/index.js';
import { Trainer } from '../src/train/trainer.js';
import { summarizeLogWeights } from '../src/eval/logWeights.js';
import { transportKernel } from '../src/annealing/kernels/transport.js';
import { ulaKernel } from '../src/annealing/kernels/ula.js';
import { assertUnbiased } from './helpers/unbiased.js';

const TARGET = { mean: [1, -0.5, 0.8], variance: [0.5, 2, 0.7] };

/** Z-hat / Z of 4000 independent SMC systems of 50 particles, and whether any resampled. */
function systemRatios(craft: CraftSampler, seed: number): { ratios: number[]; resampled: boolean } {
  const runs = 4000;
  const perRun = 50;
  const r = craft.run({ particles: runs * perRun, groupSize: perRun, rng: Rng.fromSeed(seed) });
  const logW = Float32Array.from(r.logW.dataSync());
  const resampled = r.perStep.some((s) => (s.resampled ?? 0) > 0);
  tf.dispose([r.z, r.logW]);
  const ratios = Array.from({ length: runs }, (_, i) =>
    Math.exp(
      summarizeLogWeights(logW.subarray(i * perRun, (i + 1) * perRun), 1).logZ -
        (craft.target.logZ as number),
    ),
  );
  return { ratios, resampled };
}

describe('CRAFT', () => {
  it('unbiased Z with random flows, HMC moves and ESS-triggered resampling: mean of Zhat / Z is 1 (a 3 % bias would fail)', async () => {
    await initEngine({ backend: 'wasm' });
    const target = gaussianTarget(TARGET);
    const craft = new CraftSampler(
      target,
      {
        steps: 3,
        layers: 2,
        conditioner: { hidden: [8], outputInitScale: 0.07, bias: true },
        hmc: { stepSize: [0.4, 0.3, 0.3], leapfrogSteps: 3, moves: 1 },
      },
      Rng.fromSeed(4),
    );
    const { ratios, resampled } = systemRatios(craft, 5);
    // Resampling happened (the flows are far from exact), so the check covers the SMC bookkeeping.
    assert.ok(resampled, 'some systems resampled');
    assertUnbiased(ratios, 'craft');
    craft.dispose();
    target.dispose();
  });

  it('an exact transport makes every weight log Z; an identity one leaves AIS increments; non-invariant moves are refused', async () => {
    await initEngine({ backend: 'wasm' });
    const target = gaussianTarget({ mean: [1, -0.5], variance: [0.5, 2] });
    const initial = DiagGaussian.isotropic(2, 1);
    const path = new AnnealingPath(initial, target);
    const sd = tf.sqrt(tf.tensor1d([0.5, 2]));
    const logDetValue = Math.log(Math.sqrt(0.5)) + Math.log(Math.sqrt(2));
    // One step from N(0, I) straight to the target: y = mean + sd * x.
    const exact = transportKernel({
      transport: (x) =>
        tf.tidy(() => ({
          y: tf.add(tf.mul(x, sd), tf.tensor1d([1, -0.5])) as Tensor2D,
          logDet: tf.fill([x.shape[0]], logDetValue) as Tensor1D,
        })),
    });
    const r = runAis({ path, kernel: exact, betas: [0, 1], particles: 64, seed: 3 });
    for (const v of Array.from(r.logW.dataSync()))
      assert.ok(Math.abs(v - (target.logZ as number)) < 1e-4, `weight ${v}`);
    tf.dispose([r.z, r.logW]);
    // No move at all: each particle keeps its start, so log w = log pi(x) - log q(x).
    const identity = transportKernel({
      transport: (x) => ({ y: x.clone(), logDet: tf.zeros([x.shape[0]]) as Tensor1D }),
    });
    const a = runAis({ path, kernel: identity, betas: [0, 0.3, 1], particles: 64, seed: 4 });
    const diff = tf.tidy(
      () =>
        tf
          .max(tf.abs(tf.sub(a.logW, tf.sub(target.logProb(a.z), initial.logProb(a.z)))))
          .dataSync()[0] as number,
    );
    assert.ok(diff < 1e-4, `identity transport: max diff ${diff}`);
    tf.dispose([a.z, a.logW, sd]);
    assert.throws(
      () =>
        transportKernel({
          transport: (x) => ({ y: x, logDet: tf.zeros([x.shape[0]]) as Tensor1D }),
          then: ulaKernel({ stepSize: 0.1 }),
        }),
      /must leave each density invariant/,
    );
    initial.dispose();
    target.dispose();
  });

  it('the flows’ loss gradient equals central finite differences (cpu backend)', async () => {
    await initEngine({ backend: 'cpu' });
    const target = gaussianTarget(TARGET);
    const craft = new CraftSampler(
      target,
      {
        steps: 2,
        layers: 2,
        conditioner: { hidden: [6], outputInitScale: 0.2, bias: true },
        hmc: { stepSize: 0.3, leapfrogSteps: 2, moves: 1 },
      },
      Rng.fromSeed(6),
    );
    craft.prepare(40, Rng.fromSeed(7));
    const names = craft.params.trainable();
    const { value, grads } = tf.variableGrads(() => craft.loss(40, Rng.fromSeed(0)), names);
    value.dispose();
    const probe = ['flow1.layer0', 'flow2.layer1'].flatMap((prefix) =>
      Object.keys(grads).filter((k) => k.includes(prefix)),
    );
    assert.ok(probe.length >= 2, 'both flows have parameters with gradients');
    let checked = 0;
    for (const name of probe) {
      const variable = names.find((v) => v.name === name) as tf.Variable;
      const g = Array.from((grads[name] as tf.Tensor).dataSync());
      const base = Array.from(variable.dataSync());
      const idx = g.findIndex((x) => Math.abs(x) > 1e-3);
      if (idx < 0) continue;
      const h = 1e-2;
      const at = (delta: number) => {
        const values = base.slice();
        values[idx] = (values[idx] as number) + delta;
        variable.assign(tf.tensor(values, variable.shape));
        const l = craft.loss(40, Rng.fromSeed(0));
        const v = l.dataSync()[0] as number;
        l.dispose();
        return v;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      variable.assign(tf.tensor(base, variable.shape));
      const got = g[idx] as number;
      assert.ok(
        Math.abs(fd - got) <= 2e-2 * Math.max(1, Math.abs(fd)),
        `${name}[${idx}]: ${got} vs FD ${fd}`,
      );
      checked++;
    }
    assert.ok(checked >= 2, 'checked at least two parameters');
    tf.dispose(Object.values(grads));
    craft.dispose();
    target.dispose();
    await initEngine({ backend: 'wasm' });
  });

  it('training lowers the transport KL and raises the ESS; nothing leaks', async () => {
    await initEngine({ backend: 'wasm' });
    const before = liveTensorCount();
    const target = gaussianTarget({ mean: [2, -1.5, 1], variance: [0.3, 3, 0.5] });
    const craft = new CraftSampler(
      target,
      {
        steps: 2,
        layers: 4,
        conditioner: { hidden: [16], outputInitScale: 0, bias: true },
        hmc: null,
      },
      Rng.fromSeed(1),
    );
    const ess = () =>
      craft.evaluate({ particles: 2000, batches: 4, rng: Rng.fromSeed(99) }).essFraction;
    const essBefore = ess();
    const trainer = new Trainer(
      craft,
      { particles: 256, learningRate: 0.01, clipNorm: null, lrSchedule: { kind: 'constant' } },
      Rng.fromSeed(2),
    );
    const first = trainer.step().loss;
    let last = first;
    for (let i = 0; i < 150; i++) last = trainer.step().loss;
    const essAfter = ess();
    assert.ok(last < first - 1, `transport KL ${first} -> ${last}`);
    assert.ok(essAfter > essBefore + 0.2, `ESS ${essBefore} -> ${essAfter}`);
    trainer.dispose();
    craft.dispose();
    target.dispose();
    assert.equal(liveTensorCount(), before);
  });

  it('AFT: each flow fitted in one training pass lowers its transport KL; fresh particles then give unbiased Z (a 3 % bias would fail)', async () => {
    await initEngine({ backend: 'wasm' });
    const target = gaussianTarget(TARGET);
    const craft = new CraftSampler(
      target,
      {
        steps: 3,
        layers: 2,
        conditioner: { hidden: [8], outputInitScale: 0, bias: true },
        hmc: { stepSize: 0.3, leapfrogSteps: 3, moves: 1 },
      },
      Rng.fromSeed(14),
    );
    const untrained = craft.evaluate({ particles: 4000, batches: 4, rng: Rng.fromSeed(15) });
    // After the first evaluation: the engine keeps a few constants from a chain's first use.
    const before = liveTensorCount();
    const steps: number[] = [];
    const fit = craft.fitAft({
      particles: 1000,
      iterations: 60,
      learningRate: 0.01,
      rng: Rng.fromSeed(16),
      onStep: (k) => steps.push(k),
    });
    assert.deepEqual(steps, [1, 2, 3]);
    assert.equal(fit.losses.length, 3);
    assert.ok(fit.losses.every(Number.isFinite) && Number.isFinite(fit.trainingLogZ));
    const trained = craft.evaluate({ particles: 4000, batches: 4, rng: Rng.fromSeed(15) });
    assert.ok(
      trained.essFraction > untrained.essFraction + 0.05,
      `ESS ${untrained.essFraction} -> ${trained.essFraction}`,
    );
    assertUnbiased(systemRatios(craft, 17).ratios, 'aft');
    assert.throws(
      () => craft.fitAft({ particles: 10, iterations: 0, learningRate: 0.1, rng: Rng.fromSeed(0) }),
      /positive integer number of iterations/,
    );
    assert.equal(liveTensorCount(), before, 'fitting, evaluating and running leave nothing');
    craft.dispose();
    target.dispose();
  });

  it('refuses bad settings with one clear message', () => {
    const target = gaussianTarget(TARGET);
    const make = (c: object) => () => new CraftSampler(target, c, Rng.fromSeed(0));
    assert.throws(make({ steps: 0 }), /positive integer number of steps/);
    assert.throws(make({ layers: 1.5 }), /positive integer number of layers/);
    assert.throws(make({ initialScale: -1 }), /initialScale must be positive/);
    assert.throws(
      make({ steps: 3, hmc: { stepSize: [0.1, 0.2], leapfrogSteps: 2, moves: 1 } }),
      /needs one or 3/,
    );
    const craft = new CraftSampler(target, { steps: 2 }, Rng.fromSeed(0));
    assert.throws(
      () => craft.evaluate({ particles: 100, batches: 3, rng: Rng.fromSeed(1) }),
      /equal size/,
    );
    assert.throws(() => craft.loss(10, Rng.fromSeed(1), { kind: 'logvar' }), /transport KL/);
    craft.dispose();
    target.dispose();
  });
});
