// The native kernels (native/, optional): each one against float64 host math and against the wasm
// backend's own kernel, gradients (to second order) with and without them, bad sizes refused, and
// no tensors leaked. Skipped, with the reason, where the addon is not built.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  tf,
  Rng,
  initEngine,
  dense,
  liveTensorCount,
  nativeStatus,
  useNativeKernels,
  gatherRowsOfEach,
  type Tensor,
} from '../src/engine/index.js';
import { loadNative, measureFmaPeak, NATIVE_UNARY } from '../src/engine/native.js';
import { setNativeRandom } from '../src/engine/rng.js';
import { nativeKernelsInstalled } from '../src/engine/nativeKernels.js';
import { setNativeGradients } from '../src/engine/nativeGradients.js';
import { NATIVE_OP } from '../src/engine/nativeIds.js';

const addon = loadNative();
const skip = addon ? false : `native addon not available: ${nativeStatus()}`;

const FLT_EPS = 1.1920929e-7;
const FLT_MIN = 1.1754944e-38;

/** Distance from a float64 reference in float32 ulps (of the rounded reference). */
function ulps(got: number, exact: number): number {
  const rounded = Math.fround(exact);
  if (Number.isNaN(exact)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(rounded)) return got === rounded ? 0 : Infinity;
  // Below the normal range only the absolute error means anything.
  if (Math.abs(rounded) < FLT_MIN) return Math.abs(got - exact) < FLT_MIN ? 0 : Infinity;
  return Math.abs(got - exact) / (Math.abs(rounded) * FLT_EPS);
}

const REFERENCE: Record<keyof typeof NATIVE_UNARY, (x: number) => number> = {
  Tanh: Math.tanh,
  Exp: Math.exp,
  Log: Math.log,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  Neg: (x) => -x,
  Square: (x) => x * x,
};

const OPS: Record<keyof typeof NATIVE_UNARY, (x: Tensor) => Tensor> = {
  Tanh: tf.tanh,
  Exp: tf.exp,
  Log: tf.log,
  Sigmoid: tf.sigmoid,
  Softplus: tf.softplus,
  Neg: tf.neg,
  Square: tf.square,
};

const SPECIALS = [
  0,
  -0,
  1e-30,
  -1e-30,
  1e-8,
  -1e-8,
  1e-4,
  0.6249,
  0.6251,
  -0.6251,
  1,
  -1,
  20,
  -20,
  88.5,
  89,
  -87.5,
  -103,
  -110,
  1e-40,
  Infinity,
  -Infinity,
  NaN,
];

function grid(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

describe('native kernels', { skip }, () => {
  before(async () => {
    await initEngine({ backend: 'wasm', native: true });
  });
  after(async () => {
    await useNativeKernels(true);
  });

  it('are installed on the wasm backend and named by nativeStatus', () => {
    assert.ok(nativeKernelsInstalled());
    assert.match(nativeStatus(), /^(avx512|avx2|avx|neon|generic), \d+ threads?$/);
  });

  it('measure an arithmetic ceiling for the bench header: finite, positive, for one thread and all', () => {
    const peak = measureFmaPeak();
    assert.ok(peak);
    assert.ok(Number.isFinite(peak.oneThread) && peak.oneThread > 0);
    assert.ok(Number.isFinite(peak.allThreads) && peak.allThreads > 0);
    assert.equal(peak.threads, Number(/(\d+) threads?$/.exec(nativeStatus())?.[1]));
  });

  for (const name of Object.keys(NATIVE_UNARY) as (keyof typeof NATIVE_UNARY)[]) {
    it(`${name}: within 2 float32 ulps of float64 math, IEEE special values exact`, () => {
      const xs = new Float32Array([
        ...grid(name === 'Log' ? 1e-6 : -95, 95, 20001),
        ...(name === 'Log' ? grid(1e-38, 1e-30, 101) : []),
        ...SPECIALS,
      ]);
      const ys = tf.tidy(() => OPS[name](tf.tensor1d(xs)).dataSync());
      let worst = 0;
      let at = 0;
      for (let i = 0; i < xs.length; i++) {
        const u = ulps(ys[i] as number, REFERENCE[name](xs[i] as number));
        if (u > worst) [worst, at] = [u, xs[i] as number];
      }
      assert.ok(worst <= 2, `${name}: ${worst.toFixed(2)} ulps at x = ${at}`);
    });
  }

  it('matMul equals float64 host products for every transpose and batch layout', () => {
    const rng = Rng.fromSeed(5);
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false],
      [[13, 5], [5, 37], false, false],
      [[50, 200], [200, 70], false, false],
      [[29, 300], [45, 300], false, true],
      [[300, 100], [300, 33], true, false],
      [[25, 513], [70, 513], false, true],
      [[260, 7], [100, 260], true, true],
      // VAE-layer sizes: threaded, with edge tiles of a few rows and one vector.
      [[100, 784], [784, 200], false, false],
      [[100, 784], [100, 200], true, false],
      [[100, 200], [784, 200], false, true],
      [[3, 9, 17], [3, 17, 40], false, false], // batched
      [[4, 30, 20], [20, 11], false, false], // one B for every batch (rank 3 x rank 2)
      [[30, 20], [4, 11, 20], false, true], // one A for every batch
      [[0, 4], [4, 3], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = rng.normal(sa);
      const b = rng.normal(sb);
      const got = tf.matMul(a, b, ta, tb);
      // Host reference through tf's own arrays: batch-broadcast by index.
      const av = a.arraySync() as number[][] | number[][][];
      const bv = b.arraySync() as number[][] | number[][][];
      const batched = (v: unknown, rank: number, i: number) =>
        (rank === 3 ? (v as number[][][])[i] : v) as number[][];
      const batch = Math.max(
        sa.length === 3 ? (sa[0] as number) : 1,
        sb.length === 3 ? (sb[0] as number) : 1,
      );
      const gv = got.arraySync() as number[][] | number[][][];
      let worst = 0;
      for (let bi = 0; bi < batch; bi++) {
        const A = batched(av, sa.length, bi);
        const B = batched(bv, sb.length, bi);
        const G = (got.rank === 3 ? (gv as number[][][])[bi] : gv) as number[][];
        const m = G.length;
        for (let i = 0; i < m; i++) {
          const row = G[i] as number[];
          for (let j = 0; j < row.length; j++) {
            let s = 0;
            let scale = 0;
            const k = ta ? A.length : (A[0] as number[]).length;
            for (let l = 0; l < k; l++) {
              const x = ta ? (A[l] as number[])[i]! : (A[i] as number[])[l]!;
              const y = tb ? (B[j] as number[])[l]! : (B[l] as number[])[j]!;
              s += x * y;
              scale += Math.abs(x * y);
            }
            worst = Math.max(worst, Math.abs((row[j] as number) - s) / (scale + 1e-30));
          }
        }
      }
      assert.ok(worst < 1e-6, `matMul ${sa} x ${sb} (${ta}, ${tb}): relative error ${worst}`);
      tf.dispose([a, b, got]);
    }
  });

  it('give the same values and second-order gradients as the wasm kernels', async () => {
    // A small tanh/softplus network density: the loss holds the score (a gradient), so its
    // parameter gradient is second order, as in every learned sampler.
    const rng = Rng.fromSeed(11);
    const w1 = tf.variable(tf.mul(rng.normal([6, 40]), 0.4), true, 'nk_w1');
    const w2 = tf.variable(tf.mul(rng.normal([40, 6]), 0.4), true, 'nk_w2');
    const z = rng.normal([64, 6]);
    const run = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const score = tf.grad((x: Tensor) =>
            tf.sum(tf.softplus(tf.matMul(tf.tanh(tf.matMul(x, w1)), w2))),
          )(z);
          const y = tf.exp(tf.mul(0.1, score));
          return tf.add(tf.mean(tf.square(score)), tf.mean(tf.log(tf.add(y, 1)))) as tf.Scalar;
        }, [w1, w2]);
        return [value, grads.nk_w1 as Tensor, grads.nk_w2 as Tensor].map((t) =>
          Array.from(t.dataSync()),
        );
      });
    const fast = run();
    await useNativeKernels(false);
    assert.ok(!nativeKernelsInstalled());
    const reference = run();
    await useNativeKernels(true);
    for (let i = 0; i < fast.length; i++) {
      const f = fast[i] as number[];
      const r = reference[i] as number[];
      const scale = Math.max(...r.map(Math.abs));
      const diff = Math.max(...f.map((v, j) => Math.abs(v - (r[j] as number))));
      assert.ok(diff <= 1e-5 * scale, `output ${i}: max diff ${diff} (scale ${scale})`);
    }
    tf.dispose([w1, w2, z]);
  });

  it('dense layers: values, gradients and second-order gradients equal the TF.js ops', async () => {
    const rng = Rng.fromSeed(21);
    const x = rng.normal([37, 9]);
    const w = tf.variable(tf.mul(rng.normal([9, 21]), 0.5), true, 'dense_w');
    const b = tf.variable(tf.mul(rng.normal([21]), 0.5), true, 'dense_b');
    const v = tf.mul(rng.normal([21, 3]), 0.5);
    const run = () =>
      tf.tidy(() => {
        const net = (xx: Tensor) => tf.matMul(dense(xx, w, b, 'tanh'), v);
        const first = tf.variableGrads(() => tf.sum(tf.square(net(x))) as tf.Scalar, [w, b]);
        // A loss holding an input gradient (as a score), differentiated again w.r.t. the weights.
        const second = tf.variableGrads(() => {
          const score = tf.grad((xx: Tensor) => tf.sum(tf.sin(net(xx))))(x);
          return tf.sum(tf.square(score)) as tf.Scalar;
        }, [w, b]);
        return [
          net(x),
          first.grads.dense_w as Tensor,
          first.grads.dense_b as Tensor,
          second.grads.dense_w as Tensor,
          second.grads.dense_b as Tensor,
        ].map((t) => Array.from(t.dataSync()));
      });
    const fast = run();
    await useNativeKernels(false);
    const reference = run();
    await useNativeKernels(true);
    fast.forEach((f, i) => {
      const r = reference[i] as number[];
      const scale = Math.max(...r.map(Math.abs));
      const diff = Math.max(...f.map((value, j) => Math.abs(value - (r[j] as number))));
      assert.ok(diff <= 1e-5 * scale, `output ${i}: max diff ${diff} (scale ${scale})`);
    });
    tf.dispose([x, w, b, v]);
  });

  it('gather rows of several tensors by one index, with the scatter-add gradient of TF.js', async () => {
    const rng = Rng.fromSeed(12);
    const a = rng.normal([7, 3]);
    const b = rng.normal([7]);
    const c = rng.normal([7, 2, 2]);
    const index = tf.tensor1d([6, 0, 0, 3, 6, 6, 2, 1, 5], 'int32'); // repeats, and row 4 unused
    const w = [rng.normal([9, 3]), rng.normal([9]), rng.normal([9, 2, 2])];
    const run = () => {
      const picked = gatherRowsOfEach([a, b, c], index).map((t) => Array.from(t.dataSync()));
      const g = tf.grads((x: Tensor, y: Tensor, z: Tensor) =>
        tf.addN(gatherRowsOfEach([x, y, z], index).map((t, i) => tf.sum(tf.mul(t, w[i]!)))),
      )([a, b, c]);
      return { picked, grads: g.map((t) => Array.from(t.dataSync())) };
    };
    const native = run();
    await useNativeKernels(false);
    const reference = run();
    await useNativeKernels(true);
    assert.deepEqual(native.picked, reference.picked);
    native.grads.forEach((g, i) =>
      g.forEach((v, j) => assert.ok(Math.abs(v - reference.grads[i]![j]!) < 1e-6, `field ${i}`)),
    );
    assert.throws(() => gatherRowsOfEach([a], tf.tensor1d([7], 'int32')), /outside \[0, 7\)/);
    tf.dispose([a, b, c, index, ...w]);
  });

  it('binary arithmetic: bit for bit the wasm kernels on every broadcast, special values included', async () => {
    const rng = Rng.fromSeed(31);
    // Normals with IEEE specials mixed in (and divisions by them).
    const operand = (shape: number[]) =>
      tf.tidy(() => {
        const v = Float32Array.from(rng.normal(shape.length ? shape : [1]).dataSync());
        [0, -0, Infinity, -Infinity, NaN, 1e-40].forEach((x, i) => {
          if (i * 7 < v.length) v[i * 7] = x;
        });
        return tf.tensor(v, shape);
      });
    const shapes: [number[], number[]][] = [
      [
        [300, 50],
        [300, 50],
      ],
      [[300, 50], [50]],
      [
        [300, 50],
        [1, 50],
      ],
      [[50], [300, 50]],
      [
        [300, 50],
        [300, 1],
      ],
      [
        [300, 1],
        [300, 50],
      ],
      [[300, 50], []],
      [[], [300, 50]],
      [
        [300, 1],
        [1, 50],
      ], // a column against a row: an outer operation
      [
        [4, 30, 40],
        [30, 40],
      ],
      [
        [4, 30, 40],
        [4, 30, 1],
      ],
      [
        [4, 30, 40],
        [4, 1, 40],
      ], // a middle axis: TF.js's own kernel
      [[0, 50], [50]],
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div];
    const pairs = shapes.map(([sa, sb]) => [operand(sa), operand(sb)] as const);
    const run = () =>
      pairs.flatMap(([a, b]) => ops.map((op) => tf.tidy(() => Array.from(op(a, b).dataSync()))));
    const native = run();
    await useNativeKernels(false);
    const reference = run();
    await useNativeKernels(true);
    native.forEach((values, i) => {
      const r = reference[i] as number[];
      assert.equal(values.length, r.length);
      const at = values.findIndex((v, j) => !Object.is(v, r[j]));
      assert.equal(at, -1, `case ${i}: element ${at}: ${values[at]} against ${r[at]}`);
    });
    // Integers stay on TF.js's kernels.
    const ints = tf.tidy(() => tf.add(tf.tensor1d([1, 2], 'int32'), 3).arraySync());
    assert.deepEqual(ints, [4, 5]);
    tf.dispose(pairs.flat());
  });

  it('fused gradients (softplus, sigmoid, sum): first and second order bit for bit the formulas they replace, nothing leaked', () => {
    const rng = Rng.fromSeed(32);
    const x = rng.normal([300, 50]);
    const r = rng.normal([50]);
    const c = rng.normal([300, 1]);
    const density = (z: Tensor) =>
      tf.add(
        tf.sum(tf.mul(tf.softplus(tf.mul(z, r)), tf.sigmoid(tf.sub(z, c))), 1, true),
        tf.sum(tf.div(z, 3), 0),
      );
    const run = () =>
      tf.tidy(() => {
        const first = tf.grad((z: Tensor) => tf.sum(density(z)))(x);
        const second = tf.grad((z: Tensor) =>
          tf.sum(tf.square(tf.grad((y: Tensor) => tf.sum(density(y)))(z))),
        )(x);
        return [first, second].map((t) => Array.from(t.dataSync()));
      });
    const before = liveTensorCount();
    const fused = run();
    setNativeGradients(false);
    const reference = run();
    setNativeGradients(true);
    assert.equal(liveTensorCount(), before);
    fused.forEach((values, i) => {
      const at = values.findIndex((v, j) => !Object.is(v, reference[i]![j]));
      assert.equal(at, -1, `order ${i + 1}: element ${at}`);
    });
    tf.dispose([x, r, c]);
  });

  it('the HMC and MALA ops around a TF.js target refuse layouts that do not match', () => {
    const f = (n: number) => new Float32Array(n);
    const ints = Int32Array.of(2, 3);
    const ab = Float64Array.of(0.5, 0.5);
    // A kick and drift: [h, e, z, p, sI, sT, zOut, pOut].
    const kick = (h: number, z: number) => [f(h), f(1), f(z), f(6), f(6), f(6), f(6), f(6)];
    addon!.fused(NATIVE_OP.HmcKickDrift, ints, ab, kick(3, 6));
    assert.throws(() => addon!.fused(NATIVE_OP.HmcKickDrift, ints, ab, kick(2, 6)), /1 or d/);
    assert.throws(() => addon!.fused(NATIVE_OP.HmcKickDrift, ints, ab, kick(1, 5)), /n x d/);
    assert.throws(
      () => addon!.fused(NATIVE_OP.HmcAccept, ints, ab, kick(1, 6)),
      /wrong arguments for an HMC decision/,
    );
    assert.throws(
      () =>
        addon!.fused(NATIVE_OP.MalaAccept, Int32Array.of(2, 3), Float64Array.of(0.5, 0.5, -1), []),
      /wrong arguments for a MALA decision/,
    );
  });

  it('the binary kernel refuses short arrays, unknown ops and modes', () => {
    const a = new Float32Array(6);
    assert.throws(() => addon!.binary(0, a, 0, a, 0, a, 3, 3), /shorter than the sizes/);
    assert.throws(() => addon!.binary(0, a, 1, new Float32Array(2), 1, a, 2, 3), /shorter/);
    assert.throws(() => addon!.binary(99, a, 0, a, 0, a, 2, 3), /unknown op or mode/);
    assert.throws(() => addon!.binary(0, a, 7, a, 0, a, 2, 3), /unknown op or mode/);
    assert.throws(() => addon!.binary(0, a, 0, a, 0, a, -1, 3), /negative sizes/);
  });

  it('Identity shares memory: a clone outlives its source, values intact', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    const v = tf.variable(tf.tensor1d([4, 5]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([6, 7]));
    assert.deepEqual(Array.from(saved.dataSync()), [4, 5]);
    tf.dispose([y, v, saved]);
  });

  it('free every tensor they create', () => {
    const before = liveTensorCount();
    const rng = Rng.fromSeed(2);
    tf.tidy(() => {
      const x = rng.normal([50, 20]);
      tf.grad((w: Tensor) => tf.sum(tf.tanh(tf.matMul(x, w))))(rng.normal([20, 8]));
    });
    assert.equal(liveTensorCount(), before);
  });

  it('refuse arrays shorter than the sizes given, and unknown ops', () => {
    const a = new Float32Array(6);
    assert.throws(
      () => addon!.gemm(a, a, a, 1, 3, 3, 3, false, false, 0, 0),
      /shorter than the sizes/,
    );
    assert.throws(() => addon!.unary(99, a, a), /unknown op/);
    assert.throws(() => addon!.unary(0, a, new Float32Array(2)), /output shorter/);
    assert.throws(() => addon!.unary(0, [1, 2] as unknown as Float32Array, a), /Float32Array/);
    assert.throws(() => addon!.setThreads(0), /threads/);
  });

  it('turn off with useNativeKernels(false), leaving TF.js kernels in place', async () => {
    assert.equal(await useNativeKernels(false), false);
    const y = tf.tidy(() => tf.tanh(tf.tensor1d([0.5])).dataSync()[0] as number);
    assert.ok(Math.abs(y - Math.tanh(0.5)) < 1e-6);
    assert.equal(await useNativeKernels(true), true);
  });
});

describe('random streams', () => {
  it("normals are Box-Muller of the stream's uniforms to 1e-15 (own log and sin/cos)", () => {
    setNativeRandom(false);
    try {
      for (const seed of [0, 1, 99]) {
        const n = 4001;
        const z = Rng.fromSeed(seed).normalArray(n);
        // normalArray draws its uniforms in pairs (u1, u2) from one generator, as uniformArray does.
        const u = Rng.fromSeed(seed).uniformArray(n + 1);
        let worst = 0;
        for (let i = 0; i < n; i += 2) {
          const r = Math.sqrt(-2 * Math.log(u[i] as number));
          const t = 2 * Math.PI * (u[i + 1] as number);
          worst = Math.max(worst, Math.abs((z[i] as number) - r * Math.cos(t)));
          if (i + 1 < n) worst = Math.max(worst, Math.abs((z[i + 1] as number) - r * Math.sin(t)));
        }
        assert.ok(worst < 1e-14, `seed ${seed}: max deviation ${worst}`);
      }
    } finally {
      setNativeRandom(true);
    }
  });

  it('the native generator gives exactly the JavaScript numbers', { skip }, async () => {
    await initEngine({ backend: 'wasm' });
    let mismatches = 0;
    let total = 0;
    for (let seed = 0; seed < 12; seed++) {
      for (const n of [1, 2, 7, 511, 512, 513, 10001]) {
        const state = { ...Rng.fromSeed(seed * 7919).state(), counter: seed * 1000003 };
        const draw = (native: boolean) => {
          setNativeRandom(native);
          const normals = Rng.fromState(state).normalArray(n);
          const tensor = Rng.fromState(state).normal([n]);
          const uniform = Rng.fromState(state).uniform([n], -2, 3);
          const out = [normals, tensor.dataSync(), uniform.dataSync()];
          tf.dispose([tensor, uniform]);
          return out;
        };
        const js = draw(false);
        const native = draw(true);
        for (let k = 0; k < js.length; k++) {
          for (let i = 0; i < n; i++) {
            total++;
            if (!Object.is(js[k]![i], native[k]![i])) mismatches++;
          }
        }
      }
    }
    setNativeRandom(true);
    assert.equal(mismatches, 0, `${mismatches} of ${total} values differ`);
  });
});
