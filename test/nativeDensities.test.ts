// The native density kernels of the VAE samplers against the TF.js closed forms and TF.js
// autodiff, at fixed seeds. The posterior (tanh-MLP Bernoulli decoder: log p(x, z), its score, and
// the vector-Jacobian product of both): values, second-order gradients with respect to z and every
// decoder weight (one, two and three hidden layers, frozen decoder). The per-row Gaussian (the
// encoder's q as initial distribution): values and gradients with respect to z, means and log
// scales. Then a whole ULA-MCD training gradient through a VAE sampler, the fall-back under nested
// tapes, and tensor leaks. Skipped where the native addon is not built.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  tf,
  Rng,
  initEngine,
  liveTensorCount,
  nativeStatus,
  useNativeKernels,
  nativeOpsAvailable,
  type Scalar,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import { loadNative } from '../src/engine/native.js';
import { bothPaths } from './helpers/backends.js';
import { Vae } from '../src/models/vae.js';
import { VaeSampler, vaeSamplerDefaults } from '../src/models/vaeSampler.js';
import { targetLogProbAndScore } from '../src/annealing/path.js';
import { RowGaussian } from '../src/distributions/rowGaussian.js';

const skip = loadNative() ? false : `native addon not available: ${nativeStatus()}`;

/** A small VAE with every decoder bias and weight away from its initial values. */
function makeVae(hidden: number[], seed: number): Vae {
  const vae = new Vae({ dataDim: 30, latentDim: 5, hidden }, Rng.fromSeed(seed));
  const rng = Rng.fromSeed(seed + 100);
  for (const name of vae.decoder.paramNames()) {
    const v = vae.params.get(name);
    tf.tidy(() => v.assign(tf.add(v, tf.mul(rng.normal(v.shape), 0.3))));
  }
  return vae;
}

function data(rows: number, seed: number): { x: Tensor2D; z: Tensor2D } {
  const rng = Rng.fromSeed(seed);
  const x = tf.tidy(() => tf.cast(tf.less(rng.uniform([rows, 30]), 0.3), 'float32')) as Tensor2D;
  return { x, z: tf.mul(rng.normal([rows, 5]), 1.5) as Tensor2D };
}

function maxRelDiff(a: number[], b: number[]): number {
  const scale = Math.max(1e-3, ...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number)))) / scale;
}

describe('native density kernels', { skip }, () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
    await useNativeKernels(true);
  });

  for (const hidden of [[7], [9, 6], [8, 6, 4]]) {
    it(`log p(x, z), the score and their gradients match TF.js (hidden ${hidden.join('-')})`, async () => {
      const vae = makeVae(hidden, hidden.length);
      const { x, z } = data(13, 7);
      const zVar = tf.variable(z, true);
      // A loss that weights every output: c . logp + sum(B * score).
      const rng = Rng.fromSeed(11);
      const c = rng.normal([13]);
      const B = rng.normal([13, 5]);
      for (const frozen of [false, true]) {
        const target = vae.posterior(x, frozen);
        const vars = [zVar, ...vae.decoder.paramNames().map((n) => vae.params.get(n))];
        const { fused, reference } = await bothPaths((native) => {
          assert.equal(nativeOpsAvailable(), native);
          const values = tf.tidy(() => {
            const r = targetLogProbAndScore(target, zVar as Tensor2D);
            return [Array.from(r.logProb.dataSync()), Array.from(r.score.dataSync())];
          });
          const { value, grads } = tf.variableGrads(() => {
            const r = targetLogProbAndScore(target, zVar as Tensor2D);
            return tf.add(tf.sum(tf.mul(c, r.logProb)), tf.sum(tf.mul(B, r.score))) as Scalar;
          }, vars);
          const g = Object.fromEntries(
            Object.entries(grads).map(([k, t]) => [k, Array.from(t.dataSync())]),
          );
          tf.dispose([value, ...Object.values(grads)]);
          return { values, g };
        });
        // Values: float32 accuracy on sums of 30 terms.
        assert.ok(maxRelDiff(fused.values[0]!, reference.values[0]!) < 1e-5, 'log p');
        assert.ok(maxRelDiff(fused.values[1]!, reference.values[1]!) < 1e-5, 'score');
        // Gradients: every variable the reference reaches, to float32 accuracy of the sweep.
        for (const [k, ref] of Object.entries(reference.g)) {
          const got = fused.g[k];
          assert.ok(got, `no gradient for ${k}`);
          assert.ok(
            maxRelDiff(got, ref) < 1e-4,
            `${k} (frozen ${frozen}): ${maxRelDiff(got, ref)}`,
          );
        }
        assert.deepEqual(Object.keys(fused.g).sort(), Object.keys(reference.g).sort());
      }
      // The score is the z-gradient of log p: a central difference of the native log p.
      const h = 1e-2;
      const r0 = targetLogProbAndScore(vae.posterior(x), z);
      const s = r0.score.arraySync() as number[][];
      const zArr = z.arraySync() as number[][];
      for (const [i, j] of [
        [0, 0],
        [5, 3],
        [12, 4],
      ] as const) {
        const shifted = (dz: number) => {
          const zz = zArr.map((row) => [...row]);
          (zz[i] as number[])[j]! += dz;
          const t = tf.tensor2d(zz);
          const lp = targetLogProbAndScore(vae.posterior(x), t).logProb;
          const v = (lp.arraySync() as number[])[i] as number;
          tf.dispose([t, lp]);
          return v;
        };
        const fd = (shifted(h) - shifted(-h)) / (2 * h);
        const exact = (s[i] as number[])[j] as number;
        assert.ok(
          Math.abs(fd - exact) < 2e-3 * (1 + Math.abs(exact)),
          `score[${i},${j}] ${exact} vs ${fd}`,
        );
      }
      tf.dispose([x, z, zVar, c, B, r0.logProb, r0.score]);
      vae.dispose();
    });
  }

  it('the per-row Gaussian: log q, score and their gradients match TF.js', async () => {
    const rng = Rng.fromSeed(21);
    const z = tf.variable(tf.mul(rng.normal([9, 4]), 2), true);
    const mean = tf.variable(rng.normal([9, 4]), true);
    const logScale = tf.variable(tf.mul(rng.normal([9, 4]), 0.7), true);
    const c = rng.normal([9]);
    const B = rng.normal([9, 4]);
    const q = new RowGaussian(mean as Tensor2D, logScale as Tensor2D);
    const { fused, reference } = await bothPaths((native) => {
      assert.equal(nativeOpsAvailable(), native);
      const values = tf.tidy(() => {
        const r = q.logProbAndScore(z as Tensor2D);
        return [Array.from(r.logProb.dataSync()), Array.from(r.score.dataSync())];
      });
      const { value, grads } = tf.variableGrads(() => {
        const r = q.logProbAndScore(z as Tensor2D);
        return tf.add(tf.sum(tf.mul(c, r.logProb)), tf.sum(tf.mul(B, r.score))) as Scalar;
      }, [z, mean, logScale]);
      const g = Object.fromEntries(
        Object.entries(grads).map(([k, t]) => [k, Array.from(t.dataSync())]),
      );
      tf.dispose([value, ...Object.values(grads)]);
      return { values, g };
    });
    assert.ok(maxRelDiff(fused.values[0]!, reference.values[0]!) < 1e-5, 'log q');
    assert.ok(maxRelDiff(fused.values[1]!, reference.values[1]!) < 1e-5, 'score');
    assert.equal(Object.keys(fused.g).length, 3);
    for (const [k, ref] of Object.entries(reference.g)) {
      assert.ok(maxRelDiff(fused.g[k] as number[], ref) < 1e-5, `${k}`);
    }
    tf.dispose([z, mean, logScale, c, B]);
  });

  it('falls back to TF.js ops inside nested tapes (its gradient has no gradient)', () => {
    const vae = makeVae([6], 3);
    const { x, z } = data(4, 2);
    const target = vae.posterior(x);
    let inner = true;
    // Third order: d/dz of (d/dz of sum(score^2)) . 1 needs the score's gradient differentiable.
    const g = tf.grad((zz: Tensor) =>
      tf.sum(
        tf.grad((z2: Tensor) => {
          inner = nativeOpsAvailable();
          return tf.sum(tf.square(targetLogProbAndScore(target, z2 as Tensor2D).score));
        })(zz),
      ),
    )(z);
    assert.equal(inner, false);
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
    tf.dispose([g, x, z]);
    vae.dispose();
  });

  it('a ULA-MCD training gradient through the sampler matches the TF.js path', async () => {
    const vae = makeVae([9, 7], 5);
    const { x } = data(6, 9);
    const sampler = new VaeSampler(
      vae,
      { ...vaeSamplerDefaults('ula-mcd'), kind: 'ula-mcd', steps: 5 },
      Rng.fromSeed(4),
    );
    // The sampler's parameters live in the VAE's store.
    const vars = vae.params.trainable();
    const { fused, reference } = await bothPaths(() => {
      const { value, grads } = tf.variableGrads(() => {
        const r = sampler.objective(x, 2, Rng.fromSeed(8));
        r.bound.dispose();
        return r.surrogate;
      }, vars);
      const out = {
        loss: value.dataSync()[0] as number,
        g: Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, Array.from(t.dataSync())])),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    });
    assert.ok(Math.abs(fused.loss - reference.loss) < 1e-4 * (1 + Math.abs(reference.loss)));
    for (const [k, ref] of Object.entries(reference.g)) {
      const d = maxRelDiff(fused.g[k] as number[], ref);
      assert.ok(d < 1e-3, `${k}: ${d}`);
    }
    vae.dispose();
    x.dispose();
  });

  it('frees every tensor', () => {
    const vae = makeVae([6, 5], 2);
    const { x, z } = data(8, 3);
    const target = vae.posterior(x);
    const before = liveTensorCount();
    for (let i = 0; i < 3; i++) {
      const r = targetLogProbAndScore(target, z);
      tf.dispose([r.logProb, r.score]);
      const { value, grads } = tf.variableGrads(
        () => {
          const q = targetLogProbAndScore(target, z);
          return tf.sum(tf.square(q.score)) as Scalar;
        },
        vae.decoder.paramNames().map((n) => vae.params.get(n)),
      );
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(liveTensorCount(), before);
    tf.dispose([x, z]);
    vae.dispose();
  });
});
