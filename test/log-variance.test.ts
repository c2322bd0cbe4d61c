// The log-variance objective: paths drawn off the tape by prepare(), their log-weights recomputed
// under the current parameters (src/annealing/replay.ts). With unchanged parameters the replay is
// the chain's own log-weights; its gradient matches central finite differences on the cpu backend;
// training on it lowers the variance; the samplers it does not run for are refused in one line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initEngine, liveTensorCount, Rng, tf, type Variable } from '../src/engine/index.js';
import { LearnedSampler, type LearnedSamplerName } from '../src/annealing/learned.js';
import { Trainer } from '../src/train/trainer.js';
import { gaussianTarget } from '../src/targets/index.js';

const LOGVAR = { kind: 'logvar' } as const;

/** A sampler with every parameter group away from its start. */
function perturbed(kind: LearnedSamplerName, seed = 3): LearnedSampler {
  const target = gaussianTarget({ mean: [0.8, -0.4, 0.3], variance: [0.6, 1.7, 1] });
  const sampler = new LearnedSampler(
    target,
    {
      kind,
      steps: 5,
      stepSize: 0.1,
      initialScale: 1.3,
      scoreNet: { hidden: 6, blocks: 1, timeFeatures: 2 },
    },
    Rng.fromSeed(seed),
  );
  const set = (name: string, scale: number, s: number) => {
    if (!sampler.params.has(name)) return;
    const v = sampler.params.get(name);
    tf.tidy(() => v.assign(tf.add(v, tf.mul(Rng.fromSeed(s).normal(v.shape), scale))));
  };
  set('schedule.logits', 0.3, 10);
  set('stepSizes.log', 0.2, 11);
  set('initial.mean', 0.2, 12);
  set('control.out.w', 0.3, 13);
  set('score.out.w', 0.3, 14);
  return sampler;
}

function lossValue(sampler: LearnedSampler): { loss: number; elbo: number } {
  const out: { elbo?: tf.Scalar } = {};
  const l = sampler.loss(0, Rng.fromSeed(0), LOGVAR, out);
  const value = { loss: l.dataSync()[0] as number, elbo: out.elbo?.dataSync()[0] as number };
  tf.dispose([l, out.elbo]);
  return value;
}

describe('the log-variance objective', () => {
  for (const kind of ['ula', 'ula-mcd', 'cmcd'] as const) {
    it(`${kind}: the replayed log-weights are the chain's own; their variance is the loss`, async () => {
      await initEngine({ backend: 'wasm' });
      const baseline = liveTensorCount();
      const sampler = perturbed(kind);
      sampler.prepare(400, Rng.fromSeed(5), LOGVAR);
      const { loss, elbo } = lossValue(sampler);
      const r = sampler.run({ particles: 400, rng: Rng.fromSeed(5) });
      const logW = Array.from(r.logW.dataSync());
      tf.dispose([r.z, r.logW]);
      const mean = logW.reduce((a, b) => a + b, 0) / logW.length;
      const variance = logW.reduce((a, b) => a + (b - mean) ** 2, 0) / logW.length;
      assert.ok(Math.abs(elbo - mean) < 1e-4 * (1 + Math.abs(mean)), `${elbo} vs ${mean}`);
      assert.ok(Math.abs(loss - variance) < 1e-3 * (1 + variance), `${loss} vs ${variance}`);
      assert.ok(variance > 1e-3, 'the perturbed sampler is not exact');
      sampler.target.dispose?.();
      sampler.dispose();
      assert.equal(liveTensorCount(), baseline);
    });
  }

  it('cmcd: its gradient along fixed paths matches central finite differences (cpu)', async () => {
    await initEngine({ backend: 'cpu' });
    const sampler = perturbed('cmcd');
    sampler.prepare(64, Rng.fromSeed(6), LOGVAR);
    const vars = sampler.params.trainable();
    const { grads, value } = tf.variableGrads(
      () => sampler.loss(64, Rng.fromSeed(0), LOGVAR),
      vars,
    );
    for (const name of [
      'stepSizes.log',
      'schedule.logits',
      'initial.mean',
      'control.out.w',
      'control.in.w',
    ]) {
      const v = sampler.params.get(name) as Variable;
      const g = grads[v.name]?.dataSync() as Float32Array;
      const values = Array.from(v.dataSync());
      for (const i of [0, values.length - 1]) {
        const h = 1e-2;
        const at = (x: number) => {
          const next = [...values];
          next[i] = x;
          tf.tidy(() => v.assign(tf.tensor(next, v.shape)));
          return lossValue(sampler).loss;
        };
        const fd = (at((values[i] as number) + h) - at((values[i] as number) - h)) / (2 * h);
        at(values[i] as number);
        const ad = g[i] as number;
        assert.ok(
          Math.abs(fd - ad) <= 2e-2 * Math.max(Math.abs(fd), Math.abs(ad)) + 1e-3,
          `${name}[${i}]: autodiff ${ad} vs finite difference ${fd}`,
        );
      }
    }
    tf.dispose([value, ...Object.values(grads)]);
    sampler.target.dispose?.();
    sampler.dispose();
  });

  it('training cmcd on it lowers the variance of the log-weights', async () => {
    await initEngine({ backend: 'wasm' });
    const sampler = perturbed('cmcd', 4);
    const variance = (seed: number) => {
      const r = sampler.run({ particles: 2000, rng: Rng.fromSeed(seed) });
      const v = tf.tidy(() => tf.moments(r.logW).variance.dataSync()[0] as number);
      tf.dispose([r.z, r.logW]);
      return v;
    };
    const before = variance(50);
    const trainer = new Trainer(
      sampler,
      { particles: 128, learningRate: 0.02, objective: LOGVAR },
      Rng.fromSeed(7),
    );
    for (let i = 0; i < 60; i++) assert.ok(!trainer.step().skipped);
    trainer.dispose();
    const after = variance(50);
    assert.ok(after < 0.7 * before, `variance ${before} -> ${after}`);
    sampler.target.dispose?.();
    sampler.dispose();
  });

  it('is refused in one line where it does not run, and before prepare()', async () => {
    await initEngine({ backend: 'wasm' });
    const uha = perturbed('uha');
    assert.throws(
      () => uha.prepare(8, Rng.fromSeed(1), LOGVAR),
      /the log-variance objective runs for the ULA samplers \(ula, ula-mcd, cmcd\), not 'uha'/,
    );
    const ula = perturbed('ula');
    assert.throws(() => ula.loss(8, Rng.fromSeed(1), LOGVAR), /needs prepare/);
    for (const s of [uha, ula]) {
      s.target.dispose?.();
      s.dispose();
    }
  });
});
