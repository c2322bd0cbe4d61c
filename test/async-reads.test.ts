// The paths for backends that cannot read device memory synchronously (webgpu): awaited reads
// must give exactly what the synchronous ones give, free every tensor, and never call a
// synchronous read; the webgpu backend itself refuses to start cleanly where it cannot run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMany, initEngine, liveTensorCount, Rng, tf, type Tensor } from '../src/engine/index.js';
import { verifyWebgpu } from '../src/engine/webgpu.js';
import { runAis, runAisAsync } from '../src/annealing/ais.js';
import { AnnealingPath } from '../src/annealing/path.js';
import { makeKernel } from '../src/annealing/samplers.js';
import { linearSchedule } from '../src/annealing/schedule.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { gaussianTarget } from '../src/targets/index.js';
import { parseVaeRunConfig } from '../src/models/vaeConfig.js';
import { buildVaeRun, evaluateVae, writeVaePictures } from '../src/models/vaeRun.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageSet } from '../src/data/index.js';

/** Counts the synchronous reads of tensors (dataSync and its kin) while fn runs: there must be none. */
async function withoutSyncReads<T>(fn: () => Promise<T>): Promise<T> {
  // Tensor.dataSync goes through the engine; backend kernels' own host reads (the cpu backend's
  // gather, say) do not, and a GPU backend has no such reads to make.
  const engine = tf.engine() as unknown as { readSync: (id: unknown) => unknown };
  const original = engine.readSync;
  let reads = 0;
  engine.readSync = function (this: unknown, id: unknown) {
    reads += 1;
    return original.call(this, id);
  };
  try {
    const out = await fn();
    assert.equal(reads, 0, 'a synchronous read of a tensor');
    return out;
  } finally {
    engine.readSync = original;
  }
}

describe('addMany (AddN in groups a WebGPU device can bind)', () => {
  it('equals tf.addN for 1 to 50 inputs and frees its intermediates', async () => {
    await initEngine({ backend: 'cpu' });
    for (const n of [1, 2, 7, 8, 15, 50]) {
      const xs = Array.from({ length: n }, (_, i) => tf.fill([3], i + 1));
      const before = liveTensorCount();
      const sum = addMany(xs);
      assert.equal(liveTensorCount(), before + 1);
      assert.deepEqual(Array.from(sum.dataSync()), new Array(3).fill((n * (n + 1)) / 2));
      assert.notEqual(sum, xs[0]); // a new tensor even for one input, as tf.addN gives
      tf.dispose([sum, ...xs]);
    }
    assert.throws(() => addMany([]), /at least one tensor/);
  });
});

describe('awaited reads give the synchronous results', () => {
  it('runAisAsync: the same weights and per-step readings as runAis, no sync read', async () => {
    await initEngine({ backend: 'cpu' }); // no fused chains: the op-by-op path defers its read
    const target = gaussianTarget({ mean: [1, -1], variance: [0.5, 2] });
    const run = (async_: boolean) => {
      const initial = DiagGaussian.isotropic(2, 1);
      const options = {
        path: new AnnealingPath(initial, target),
        kernel: makeKernel('ais-hmc', 6, { stepSize: 0.3, leapfrogSteps: 3 }),
        betas: linearSchedule(6),
        particles: 64,
        rng: Rng.fromSeed(3),
      };
      return { initial, result: async_ ? runAisAsync(options) : runAis(options) };
    };
    const base = liveTensorCount();
    const sync = run(false);
    const s = await sync.result;
    const a = await withoutSyncReads(async () => {
      const r = run(true);
      const out = await r.result;
      r.initial.dispose();
      return out;
    });
    assert.deepEqual(Array.from(await a.logW.data()), Array.from(await s.logW.data()));
    assert.deepEqual(a.perStep, s.perStep);
    assert.equal(a.perStep.length, 6);
    tf.dispose([a.z, a.logW, s.z, s.logW]);
    sync.initial.dispose();
    assert.equal(liveTensorCount(), base);
  });

  it('Trainer.stepAsync on an AIS-trained VAE: the same metrics as step(), no sync read', async () => {
    await initEngine({ backend: 'cpu' });
    const pixels = 12;
    const rng = Rng.fromSeed(5);
    const images = Float32Array.from(rng.uniform([40, pixels]).dataSync());
    const train: ImageSet = {
      source: 'synthetic',
      count: 40,
      pixels,
      images,
      labels: new Uint8Array(40),
    };
    const config = parseVaeRunConfig(
      {
        seed: 1,
        data: { name: 'mnist' },
        model: { latentDim: 3, hidden: [8] },
        train: {
          epochs: 1,
          batch: 10,
          learningRate: 0.01,
          objective: { kind: 'ais', samples: 2, temperatures: 3, leapfrogSteps: 2 },
        },
      },
      'test',
    );
    const metrics = async (useAsync: boolean) => {
      const run = buildVaeRun(config, train);
      const out = [];
      for (let i = 0; i < 3; i++)
        out.push(useAsync ? await run.trainer.stepAsync() : run.trainer.step());
      const steps = Array.from(run.vae.params.get('ais.stepSizes').dataSync());
      run.model.dispose();
      run.trainer.dispose();
      run.vae.dispose();
      return { out, steps };
    };
    const sync = await metrics(false);
    const awaited = await metrics(true);
    assert.deepEqual(awaited.out, sync.out);
    assert.deepEqual(awaited.steps, sync.steps);
    assert.ok(sync.out.every((m) => Number.isFinite(m.loss) && m.loss > 0));
    // The awaited path itself reads nothing synchronously.
    const run = buildVaeRun(config, train);
    await withoutSyncReads(async () => {
      for (let i = 0; i < 2; i++) await run.trainer.stepAsync();
    });
    run.model.dispose();
    run.trainer.dispose();
    run.vae.dispose();
  });
  it('evaluateVae, BDMC, the pictures and a learned sampler summary: finite results, no sync read, nothing leaked', async () => {
    await initEngine({ backend: 'cpu' });
    const pixels = 16; // 4 x 4 pictures
    const rng = Rng.fromSeed(8);
    const images = Float32Array.from(
      Array.from(rng.uniform([30, pixels]).dataSync(), (u) => (u < 0.4 ? 1 : 0)),
    );
    const set = (count: number): ImageSet => ({
      source: 'synthetic',
      count,
      pixels,
      images: images.subarray(0, count * pixels),
      labels: new Uint8Array(count),
    });
    const config = parseVaeRunConfig(
      {
        seed: 2,
        data: { name: 'mnist' },
        model: { latentDim: 2, hidden: [8] },
        train: {
          epochs: 1,
          batch: 10,
          learningRate: 0.01,
          objective: { kind: 'uha', samples: 1, steps: 3 },
        },
        eval: {
          elboSamples: 2,
          iwaeSamples: 8,
          aisSteps: 4,
          aisChains: 2,
          aisLeapfrog: 2,
          bdmcImages: 3,
          seed: 9,
        },
      },
      'test',
    );
    const run = buildVaeRun(config, set(30));
    await run.trainer.stepAsync(); // the optimizer's moments exist from here on
    const base = liveTensorCount();
    const dir = mkdtempSync(join(tmpdir(), 'anneal-async-eval-'));
    try {
      const sampler = run.model.sampler;
      assert.ok(sampler);
      const { evaluation, summary, pictures } = await withoutSyncReads(async () => {
        await run.trainer.stepAsync();
        const evaluation = await evaluateVae(run.vae, set(12), config.eval, undefined, sampler);
        const summary = await sampler.sampler.summaryAsync();
        const pictures = await writeVaePictures(dir, run.vae, set(12), 9);
        return { evaluation, summary, pictures };
      });
      assert.equal(liveTensorCount(), base);
      for (const v of [evaluation.elbo, evaluation.iwae, evaluation.ais?.mean]) {
        assert.ok(Number.isFinite(v), `a finite evaluation, got ${v}`);
      }
      assert.equal(evaluation.elboKind, 'uha');
      assert.ok(evaluation.bdmc && Number.isFinite(evaluation.bdmc.gap));
      assert.deepEqual(summary, sampler.sampler.summary());
      assert.equal(summary.betas.length, 4);
      assert.ok(summary.eta !== null && summary.eta > 0 && summary.eta < 1);
      for (const file of pictures) assert.ok(statSync(file).size > 0, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      run.model.dispose();
      run.trainer.dispose();
      run.vae.dispose();
    }
  });
});

describe('the webgpu backend', () => {
  it('refuses to start in one line where its packages or a GPU are missing', async () => {
    await initEngine({ backend: 'cpu' });
    await assert.rejects(
      initEngine({ backend: 'webgpu' }),
      (e: Error) =>
        e.name === 'EngineError' &&
        /^backend 'webgpu' (needs the optional package|found no GPU adapter)/.test(e.message) &&
        !e.message.includes('\n'),
    );
    assert.equal(tf.getBackend(), 'cpu'); // the running backend is left as it was
  });

  it('its start-up check passes where the arithmetic is right and frees what it made', async () => {
    await initEngine({ backend: 'cpu' });
    const before = liveTensorCount();
    await verifyWebgpu(tf);
    assert.equal(liveTensorCount(), before);
  });

  it('its start-up check refuses a backend that computes zeros', async () => {
    await initEngine({ backend: 'cpu' });
    // A stand-in for a GPU whose shaders do nothing: every sum reads zero.
    const broken = { ...tf, sum: (x: Tensor) => tf.zerosLike(tf.sum(x)) } as typeof tf;
    await assert.rejects(verifyWebgpu(broken), /computes wrong values on this GPU/);
  });
});
