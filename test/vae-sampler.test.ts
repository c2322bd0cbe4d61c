import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initEngine, liveTensorCount, Rng, tf, type Tensor2D } from '../src/engine/index.js';
import { targetLogProbAndScore } from '../src/annealing/path.js';
import type { LearnedSamplerName } from '../src/annealing/learned.js';
import { Vae } from '../src/models/vae.js';
import { VaeSampler, vaeSamplerDefaults } from '../src/models/vaeSampler.js';
import { maxAbsDiff, useBackend } from './helpers/backends.js';

const binary = (b: number, d: number, seed: number) =>
  tf.tidy(() => tf.cast(tf.less(Rng.fromSeed(seed).uniform([b, d]), 0.4), 'float32')) as Tensor2D;

/** log p(x) of each row of x by quadrature over a 161 x 161 grid on [-6, 6]^2 (latent 2). */
function quadratureLogMarginal(vae: Vae, x: Tensor2D): number[] {
  const n = 161;
  const h = 12 / (n - 1);
  const grid: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) grid.push(-6 + i * h, -6 + j * h);
  const zs = tf.tensor2d(grid, [n * n, 2]);
  const out = x.arraySync().map(
    (row) =>
      tf.tidy(() => {
        const xs = tf.tile(tf.tensor2d([row]), [n * n, 1]) as Tensor2D;
        return tf.logSumExp(vae.logJoint(xs, zs)).dataSync()[0] as number;
      }) +
      2 * Math.log(h),
  );
  zs.dispose();
  return out;
}

/** Moves an MCD score network's zero output layer off zero, so the correction is active. */
function activateScoreNet(vae: Vae, seed: number, scale: number): void {
  const name = 'sampler.score.out.w';
  if (!vae.params.has(name)) return;
  const w = vae.params.get(name);
  tf.tidy(() => w.assign(tf.mul(Rng.fromSeed(seed).normal(w.shape), scale)));
}

describe('VAE posterior as a target', () => {
  it('closed-form log p(x, z) and score equal logJoint and its autodiff gradient', async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 12, latentDim: 3, hidden: [7, 5] }, Rng.fromSeed(1));
    const x = binary(6, 12, 2);
    const z = Rng.fromSeed(3).normal([6, 3]) as Tensor2D;
    const before = liveTensorCount();
    const post = vae.posterior(x);
    const fast = targetLogProbAndScore(post, z);
    const slow = targetLogProbAndScore(
      { name: 'p', dim: 3, logProb: (w) => vae.logJoint(x, w) },
      z,
    );
    assert.ok(maxAbsDiff(fast.logProb.dataSync(), slow.logProb.dataSync()) < 1e-4);
    assert.ok(maxAbsDiff(fast.score.dataSync(), slow.score.dataSync()) < 1e-4);
    tf.dispose([fast.logProb, fast.score, slow.logProb, slow.score]);
    assert.equal(liveTensorCount(), before);
    assert.throws(() => post.logProb(tf.zeros([5, 3]) as Tensor2D), /needs latents \[6, 3\]/);
    tf.dispose([x, z]);
    vae.dispose();
  });
});

describe('learned samplers inside a VAE (MCD VAE experiment)', () => {
  const kinds: LearnedSamplerName[] = ['ula', 'uha', 'ula-mcd', 'uha-mcd'];

  for (const kind of kinds) {
    it(`${kind}: the chains' weights are unbiased for p(x) (quadrature, latent 2)`, async () => {
      await useBackend('wasm');
      const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(9));
      const { x, z } = vae.simulate(3, Rng.fromSeed(10));
      const underdamped = kind.startsWith('uha');
      const sampler = new VaeSampler(
        vae,
        { kind, steps: 6, stepSize: underdamped ? 0.3 : 0.05, leapfrogSteps: 1 },
        Rng.fromSeed(12),
      );
      activateScoreNet(vae, 13, 0.3);
      const k = 3000;
      const before = liveTensorCount();
      const logW = sampler.logWeights(x, k, Rng.fromSeed(14));
      const w = logW.arraySync();
      logW.dispose();
      assert.equal(liveTensorCount(), before);
      const exact = quadratureLogMarginal(vae, x);
      exact.forEach((lz, b) => {
        // E[w] = p(x) for any forward and backward kernels: log of the mean weight, with its
        // delta-method standard error sd(w) / (sqrt(K) mean(w)).
        const row = w.slice(b * k, (b + 1) * k);
        const top = Math.max(...row);
        const e = row.map((v) => Math.exp(v - top));
        const mean = e.reduce((a, v) => a + v, 0) / k;
        const sd = Math.sqrt(e.reduce((a, v) => a + (v - mean) ** 2, 0) / (k - 1));
        const estimate = top + Math.log(mean);
        const se = sd / Math.sqrt(k) / mean;
        assert.ok(
          Math.abs(estimate - lz) < 4 * se + 0.01,
          `point ${b}: ${kind} ${estimate.toFixed(4)} vs quadrature ${lz.toFixed(4)} (se ${se.toFixed(4)})`,
        );
        // and the chain's ELBO lies below log p(x) by more than its own noise (a weight that
        // dropped a term would sit at log p(x) or above it).
        const elbo = row.reduce((a, v) => a + v, 0) / k;
        const elboSe = Math.sqrt(row.reduce((a, v) => a + (v - elbo) ** 2, 0) / (k - 1) / k);
        assert.ok(
          lz - elbo > 3 * elboSe,
          `point ${b}: ELBO ${elbo.toFixed(4)} not below log p(x) ${lz.toFixed(4)} by 3 standard errors (${elboSe.toFixed(4)})`,
        );
      });
      tf.dispose([x, z]);
      vae.dispose();
    });
  }

  it('gradients through the chain (encoder, decoder, sampler) match central finite differences (cpu)', async () => {
    await initEngine({ backend: 'cpu' });
    for (const kind of ['ula-mcd', 'uha-mcd'] as const) {
      const vae = new Vae({ dataDim: 5, latentDim: 2, hidden: [4] }, Rng.fromSeed(21));
      const sampler = new VaeSampler(
        vae,
        { kind, steps: 3, stepSize: kind === 'ula-mcd' ? 0.05 : 0.2, leapfrogSteps: 1 },
        Rng.fromSeed(22),
      );
      activateScoreNet(vae, 23, 0.3);
      const x = binary(3, 5, 24);
      const value = () => {
        const r = sampler.objective(x, 2, Rng.fromSeed(25));
        const v = r.bound.dataSync()[0] as number;
        tf.dispose([r.bound, r.surrogate]);
        return v;
      };
      const { grads, value: loss } = tf.variableGrads(() => {
        const r = sampler.objective(x, 2, Rng.fromSeed(25));
        r.bound.dispose();
        return r.surrogate;
      }, vae.params.trainable());
      loss.dispose();
      const names = [
        'decoder.h0.w',
        'decoder.logits.b',
        'encoder.mean.b',
        'encoder.logScale.w',
        'sampler.stepSizes.log',
        'sampler.schedule.logits',
        'sampler.score.in.w',
        ...(kind === 'uha-mcd' ? ['sampler.uha.etaLogit', 'sampler.uha.logMass'] : []),
      ];
      const h = 1e-2;
      for (const name of names) {
        const v = vae.params.get(name);
        const g = grads[v.name];
        assert.ok(g, `${kind}: no gradient for ${name}`);
        const analytic = Array.from(g.dataSync());
        const base = Array.from(v.dataSync());
        const i = analytic.reduce(
          (best, a, j) => (Math.abs(a) > Math.abs(analytic[best]!) ? j : best),
          0,
        );
        const set = (value: number) => {
          const vals = [...base];
          vals[i] = value;
          tf.tidy(() => v.assign(tf.tensor(vals, v.shape)));
        };
        set(base[i]! + h);
        const up = value();
        set(base[i]! - h);
        const down = value();
        set(base[i]!);
        // Relative tolerance over a small floor (float32 central differences at h = 1e-2 are good
        // to about 1e-4 here): a zero, sign-flipped or 10 %-off gradient fails.
        const fd = (up - down) / (2 * h);
        assert.ok(
          Math.abs(fd - analytic[i]!) <=
            0.03 * Math.max(Math.abs(fd), Math.abs(analytic[i]!)) + 2e-4,
          `${kind} ${name}[${i}]: autodiff ${analytic[i]} vs FD ${fd}`,
        );
      }
      tf.dispose(Object.values(grads));
      x.dispose();
      vae.dispose();
    }
  });

  it('defaults follow the MCD paper (64 ULA steps, 32 UHA steps); parameters live in the VAE store', async () => {
    await useBackend('wasm');
    assert.equal(vaeSamplerDefaults('ula').steps, 64);
    assert.equal(vaeSamplerDefaults('ula-mcd').steps, 64);
    assert.equal(vaeSamplerDefaults('uha').steps, 32);
    assert.equal(vaeSamplerDefaults('uha-mcd').steps, 32);
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(1));
    new VaeSampler(vae, { kind: 'uha-mcd', ...vaeSamplerDefaults('uha-mcd') }, Rng.fromSeed(2));
    const names = vae.params.names().filter((n) => n.startsWith('sampler.'));
    for (const n of ['sampler.stepSizes.log', 'sampler.uha.etaLogit', 'sampler.score.out.w']) {
      assert.ok(names.includes(n), `${n} missing from ${names.join(', ')}`);
    }
    assert.ok(!names.includes('sampler.initial.mean'), 'the encoder is the initial distribution');
    // The score network sees the encoder's mean and log scale (2 x latent) beside z and v.
    assert.equal(vae.params.get('sampler.score.in.w').shape[0], 2 + 2 + 4 + 8);
    vae.dispose();
  });
});
