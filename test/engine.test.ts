import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  tf,
  Rng,
  initEngine,
  resolveBackendName,
  currentBackend,
  stopGradient,
  logSigmoid,
  setMatMulGradientFix,
  liveTensorCount,
  type Tensor,
} from '../src/engine/index.js';
import { TEST_BACKENDS, useBackend, maxAbsDiff } from './helpers/backends.js';

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

/** Row-major host matMul in float64. */
function hostMatMul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += (a[i * k + l] as number) * (b[l * n + j] as number);
      out[i * n + j] = s;
    }
  return out;
}
function hostTranspose(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j] as number;
  return out;
}

describe('backend selection', () => {
  it('reads ANNEAL_BACKEND and rejects unknown names with the valid choices', () => {
    const saved = process.env.ANNEAL_BACKEND;
    try {
      process.env.ANNEAL_BACKEND = 'cpu';
      assert.equal(resolveBackendName(), 'cpu');
      assert.equal(resolveBackendName('wasm'), 'wasm');
      process.env.ANNEAL_BACKEND = 'tpu';
      assert.throws(() => resolveBackendName(), /unknown backend 'tpu'.*valid: wasm, cpu/);
    } finally {
      if (saved === undefined) delete process.env.ANNEAL_BACKEND;
      else process.env.ANNEAL_BACKEND = saved;
    }
  });

  it("concurrent starts leave the host program's console as they found it", async () => {
    const { initEngine } = await import('../src/engine/index.js');
    const saved = { log: console.log, warn: console.warn, error: console.error };
    const heard: string[] = [];
    const mine = {
      log: (...a: unknown[]) => heard.push(`log ${a.join(' ')}`),
      warn: (...a: unknown[]) => heard.push(`warn ${a.join(' ')}`),
      error: (...a: unknown[]) => heard.push(`error ${a.join(' ')}`),
    };
    Object.assign(console, mine);
    try {
      await Promise.all([initEngine({ backend: 'wasm' }), initEngine({ backend: 'wasm' })]);
      assert.equal(console.log, mine.log);
      assert.equal(console.warn, mine.warn);
      assert.equal(console.error, mine.error);
      console.log('still heard');
      assert.deepEqual(heard.slice(-1), ['log still heard']);
    } finally {
      Object.assign(console, saved);
    }
  });

  it("an uncaught error after the wasm backend starts reads as the program's own", () => {
    // The emscripten glue of the wasm backend installs rethrowing process listeners; initEngine
    // removes them, so Node prints the error (not the bundle's minified source) and exits with 1.
    const code = [
      "import { initEngine } from './src/engine/index.ts';",
      "await initEngine({ backend: 'wasm' });",
      "throw new Error('user failure');",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: { ...process.env, ANNEAL_NATIVE: '0' },
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Error: user failure/);
    assert.doesNotMatch(r.stderr, /var Module|WasmBackendModule/);
    assert.ok(r.stderr.length < 2000, `stderr is ${r.stderr.length} characters`);
  });
});

for (const backend of TEST_BACKENDS) {
  describe(`engine fixes on ${backend}`, () => {
    it('initializes the backend', async () => {
      await useBackend(backend);
      assert.equal(currentBackend(), backend);
    });

    it('matMul gradients are right for every transpose combination, fix on and off', async () => {
      await useBackend(backend);
      const rng = Rng.fromSeed(11);
      const [m, k, n] = [3, 4, 5];
      const A = rng.normalArray(m * k);
      const B = rng.normalArray(k * n);
      const C = rng.normalArray(m * n); // loss = sum(C * (A @ B))
      // d/dA = C @ B^T, d/dB = A^T @ C
      const dA = hostMatMul(C, hostTranspose(B, k, n), m, n, k);
      const dB = hostMatMul(hostTranspose(A, m, k), C, k, m, n);
      for (const fix of [true, false]) {
        setMatMulGradientFix(fix);
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          const before = liveTensorCount();
          const a = ta
            ? tf.tensor2d(f32(hostTranspose(A, m, k)), [k, m])
            : tf.tensor2d(f32(A), [m, k]);
          const b = tb
            ? tf.tensor2d(f32(hostTranspose(B, k, n)), [n, k])
            : tf.tensor2d(f32(B), [k, n]);
          const c = tf.tensor2d(f32(C), [m, n]);
          const [ga, gb] = tf.grads((x: Tensor, y: Tensor) =>
            tf.sum(tf.mul(c, tf.matMul(x, y, ta, tb))),
          )([a, b]);
          const expectA = ta ? hostTranspose(dA, m, k) : dA;
          const expectB = tb ? hostTranspose(dB, k, n) : dB;
          assert.ok(maxAbsDiff(ga!.dataSync(), expectA) < 1e-4, `dA fix=${fix} ta=${ta} tb=${tb}`);
          assert.ok(maxAbsDiff(gb!.dataSync(), expectB) < 1e-4, `dB fix=${fix} ta=${ta} tb=${tb}`);
          tf.dispose([a, b, c, ga!, gb!]);
          assert.equal(liveTensorCount(), before);
        }
      }
      setMatMulGradientFix(true);
    });

    it('stopGradient blocks first- and second-order gradients', async () => {
      await useBackend(backend);
      const x = tf.tensor1d([1.5, -2, 0.5]);
      // f = sum(x^2 * sg(x)): df/dx = 2 x sg(x) = 2 x^2 (not 3 x^2)
      const g = tf.grad((v: Tensor) => tf.sum(tf.mul(tf.square(v), stopGradient(v))))(x);
      assert.ok(maxAbsDiff(g.dataSync(), [4.5, 8, 0.5]) < 1e-5);
      // second order: h(x) = sum(grad_x f) = sum(2 x sg(x)), dh/dx = 2 sg(x)
      const h = tf.grad((v: Tensor) =>
        tf.sum(tf.grad((w: Tensor) => tf.sum(tf.mul(tf.square(w), stopGradient(w))))(v)),
      )(x);
      assert.ok(maxAbsDiff(h.dataSync(), [3, -4, 1]) < 1e-5);
      tf.dispose([x, g, h]);
    });

    it('comparison ops have zero gradients, so masks can sit inside differentiated code', async () => {
      await useBackend(backend);
      const x = tf.tensor1d([-1, 2, 0.5, -3]);
      for (const cmp of [
        tf.greater,
        tf.greaterEqual,
        tf.less,
        tf.lessEqual,
        tf.equal,
        tf.notEqual,
      ]) {
        const g = tf.grad((v: Tensor) =>
          tf.sum(tf.mul(v, tf.cast(cmp(v, tf.scalar(0)), 'float32'))),
        )(x);
        const mask = cmp(x, tf.scalar(0)).dataSync();
        assert.deepEqual(Array.from(g.dataSync()), Array.from(mask, Number));
        g.dispose();
      }
      x.dispose();
    });

    it('logSigmoid is stable at extremes and has the right gradient', async () => {
      await useBackend(backend);
      const xs = [-100, -5, 0, 3, 100];
      const x = tf.tensor1d(xs);
      const v = logSigmoid(x).dataSync();
      const expected = xs.map((t) =>
        t < 0 ? t - Math.log1p(Math.exp(t)) : -Math.log1p(Math.exp(-t)),
      );
      assert.ok(maxAbsDiff(v, expected) < 1e-4);
      const g = tf
        .grad((t: Tensor) => tf.sum(logSigmoid(t)))(x)
        .dataSync();
      assert.ok(
        maxAbsDiff(
          g,
          xs.map((t) => 1 / (1 + Math.exp(t))),
        ) < 1e-5,
      );
      x.dispose();
    });

    it('gather has a gradient (a scatter-add on wasm), repeated indices summed', async () => {
      await useBackend(backend);
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
      const idx = tf.tensor1d([2, 0, 2, 2], 'int32');
      const w = tf.tensor2d([1, 10, 2, 20, 3, 30, 4, 40], [4, 2]);
      const g = tf.grad((v: Tensor) => tf.sum(tf.mul(tf.gather(v, idx), w)))(x);
      assert.deepEqual(Array.from(g.dataSync()), [2, 20, 0, 0, 8, 80]);
      // axis 1
      const g1 = tf.grad((v: Tensor) =>
        tf.sum(
          tf.mul(
            tf.gather(v, tf.tensor1d([1, 1], 'int32'), 1),
            tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]),
          ),
        ),
      )(x);
      assert.deepEqual(Array.from(g1.dataSync()), [0, 3, 0, 7, 0, 11]);
      tf.dispose([x, idx, w, g, g1]);
    });

    it('the gather gradient is itself differentiable (second order through a gather)', async () => {
      await useBackend(backend);
      // f(x) = sum_rows (gather(x, idx) . c)^2 / 2 over rows; grad_x f = scatter(idx, (g c) c^T).
      // L(x) = |grad_x f|^2 has d L / d x computable by hand: with x of one column and c = 1,
      // grad f[j] = count_j * x_j, so L = sum_j count_j^2 x_j^2 and dL/dx_j = 2 count_j^2 x_j.
      const x = tf.tensor2d([1.5, -2, 0.5], [3, 1]);
      const idx = tf.tensor1d([2, 0, 2, 2], 'int32');
      const f = (v: Tensor) => tf.mul(0.5, tf.sum(tf.square(tf.gather(v, idx))));
      const loss = (v: Tensor) => tf.sum(tf.square(tf.grad(f)(v)));
      const g = tf.grad(loss)(x);
      const counts = [1, 0, 3];
      const expected = [1.5, -2, 0.5].map((xj, j) => 2 * (counts[j] as number) ** 2 * xj + 0);
      assert.deepEqual(Array.from(g.dataSync()), expected);
      tf.dispose([x, idx, g]);
    });
  });
}

describe('second-order gradients (cpu) against float64 finite differences', () => {
  // log p(z) = sum_j v_j tanh((z W + b)_j): a small MLP density. The loss contains grad_z log p,
  // as score-matching and MCD objectives do: L(W, b, v) = sum_rows |grad_z log p(z)|^2.
  const [n, d, h] = [4, 3, 5];
  const rng = Rng.fromSeed(5);
  const Z = rng.normalArray(n * d);
  const W0 = rng.normalArray(d * h).map((t) => 0.7 * t);
  const b0 = rng.normalArray(h).map((t) => 0.3 * t);
  const v0 = rng.normalArray(h);

  function hostLoss(W: Float64Array, b: Float64Array, v: Float64Array): number {
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const gz = new Float64Array(d);
      for (let j = 0; j < h; j++) {
        let a = b[j] as number;
        for (let i = 0; i < d; i++) a += (Z[r * d + i] as number) * (W[i * h + j] as number);
        const t = Math.tanh(a);
        const c = (v[j] as number) * (1 - t * t);
        for (let i = 0; i < d; i++) gz[i] = (gz[i] as number) + c * (W[i * h + j] as number);
      }
      for (let i = 0; i < d; i++) loss += (gz[i] as number) ** 2;
    }
    return loss;
  }

  it('matches central differences for every weight', async () => {
    await initEngine({ backend: 'cpu' });
    const before = liveTensorCount();
    const z = tf.tensor2d(f32(Z), [n, d]);
    const params = [tf.tensor2d(f32(W0), [d, h]), tf.tensor1d(f32(b0)), tf.tensor1d(f32(v0))];
    const loss = (W: Tensor, b: Tensor, v: Tensor) => {
      const logp = (x: Tensor) => tf.sum(tf.mul(tf.tanh(tf.add(tf.matMul(x, W), b)), v));
      return tf.sum(tf.square(tf.grad(logp)(z)));
    };
    const gradTensors = tf.grads(loss)(params);
    const grads = gradTensors.map((g) => Float64Array.from(g.dataSync()));
    tf.dispose(gradTensors);
    const base = [W0, b0, v0];
    const eps = 1e-6;
    let worst = 0;
    for (let p = 0; p < 3; p++) {
      const arr = base[p] as Float64Array;
      for (let i = 0; i < arr.length; i++) {
        const plus = base.map((x) => Float64Array.from(x));
        const minus = base.map((x) => Float64Array.from(x));
        (plus[p] as Float64Array)[i] = (arr[i] as number) + eps;
        (minus[p] as Float64Array)[i] = (arr[i] as number) - eps;
        const fd =
          (hostLoss(plus[0]!, plus[1]!, plus[2]!) - hostLoss(minus[0]!, minus[1]!, minus[2]!)) /
          (2 * eps);
        const got = (grads[p] as Float64Array)[i] as number;
        worst = Math.max(worst, Math.abs(got - fd) / Math.max(1, Math.abs(fd)));
      }
    }
    assert.ok(worst < 2e-4, `worst relative error ${worst}`);
    tf.dispose([z, ...params]);
    assert.equal(liveTensorCount(), before);
  });
});

describe('seeded random streams', () => {
  it('the same seed gives the same numbers; other seeds and split streams differ', async () => {
    await initEngine({ backend: 'cpu' });
    const a = Rng.fromSeed(42).normal([1000]).dataSync();
    const b = Rng.fromSeed(42).normal([1000]).dataSync();
    const c = Rng.fromSeed(43).normal([1000]).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.ok(maxAbsDiff(a, c) > 0.5);
    const [s1, s2] = Rng.fromSeed(42).split(2);
    const x1 = s1!.normalArray(1000);
    const x2 = s2!.normalArray(1000);
    // Independent streams: sample correlation of 1000 pairs is within ~4/sqrt(1000) of 0.
    let corr = 0;
    for (let i = 0; i < 1000; i++) corr += (x1[i] as number) * (x2[i] as number);
    assert.ok(Math.abs(corr / 1000) < 4 / Math.sqrt(1000));
    assert.ok(maxAbsDiff(x1, Rng.fromSeed(42).normalArray(1000)) > 0.5);
  });

  it('draws are reproducible across backends and resume exactly from a saved state', async () => {
    await initEngine({ backend: 'cpu' });
    const onCpu = Rng.fromSeed(7).uniform([64]).dataSync();
    await initEngine({ backend: 'wasm' });
    const onWasm = Rng.fromSeed(7).uniform([64]).dataSync();
    assert.deepEqual(Array.from(onCpu), Array.from(onWasm));
    const r = Rng.fromSeed(9);
    r.normalArray(10);
    const saved = r.state();
    const next = r.normalArray(5);
    assert.deepEqual(Array.from(Rng.fromState(saved).normalArray(5)), Array.from(next));
  });

  it('normal and uniform draws have the right moments', () => {
    const n = 100000;
    const x = Rng.fromSeed(1).normalArray(n);
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    assert.ok(Math.abs(mean) < 4 / Math.sqrt(n));
    assert.ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / n));
    const u = Rng.fromSeed(2).uniformArray(n);
    assert.ok(u.every((v) => v > 0 && v < 1));
    const um = u.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(um - 0.5) < 4 * Math.sqrt(1 / 12 / n));
  });

  for (const backend of TEST_BACKENDS) {
    it(`categorical draws match their probabilities (${backend})`, async () => {
      await useBackend(backend);
      const probs = [0.1, 0.2, 0.3, 0.4];
      const logits = tf.tensor2d([probs.map((p) => Math.log(p) + 3)]); // unnormalized on purpose
      const n = 20000;
      const draws = Rng.fromSeed(3).categorical(logits, n);
      const values = draws.dataSync();
      const counts = [0, 0, 0, 0];
      for (const v of values) counts[v] = (counts[v] as number) + 1;
      probs.forEach((p, k) => {
        const se = Math.sqrt(n * p * (1 - p));
        assert.ok(
          Math.abs((counts[k] as number) - n * p) < 4 * se,
          `category ${k}: ${counts[k]} vs ${n * p}`,
        );
      });
      tf.dispose([logits, draws]);
    });
  }
});
