// Slice, split, concat and tile as native block copies (src/engine/copyBlocks.ts): the block
// description against row-major indexing (property test), then each kernel bit for bit against
// TF.js's own on random shapes, gradients included, int32 left to TF.js, malformed blocks refused
// by the addon, nothing leaked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  tf,
  initEngine,
  liveTensorCount,
  nativeStatus,
  useNativeKernels,
  type Tensor,
} from '../src/engine/index.js';
import { loadNative } from '../src/engine/native.js';
import { NATIVE_OP } from '../src/engine/nativeIds.js';
import { sliceBlock } from '../src/engine/copyBlocks.js';

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** Row-major flat indices of the elements of a slice, in the slice's own order. */
function sliceIndices(shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < product(size); n++) {
    let rest = n;
    for (let i = shape.length - 1; i >= 0; i--) {
      index[i] = (begin[i] as number) + (rest % (size[i] as number));
      rest = Math.floor(rest / (size[i] as number));
    }
    out.push(index.reduce((flat, k, i) => flat * (shape[i] as number) + k, 0));
  }
  return out;
}

/** A shape of rank 1-4 and a slice of it. */
const shapeAndSlice = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.tuple(
        ...shape.map((n) => fc.tuple(fc.nat({ max: n - 1 }), fc.integer({ min: 1, max: n }))),
      ),
    ),
  )
  .map(([shape, axes]) => {
    const begin = axes.map(([b]) => b);
    const size = axes.map(([b, s], i) => Math.min(s, (shape[i] as number) - b));
    return { shape, begin, size };
  });

describe('sliceBlock', () => {
  it('lists, row by row, exactly the elements of the slice, whenever it gives a block', () => {
    let blocks = 0;
    fc.assert(
      fc.property(shapeAndSlice, ({ shape, begin, size }) => {
        const block = sliceBlock(shape, begin, size);
        const partial = size.filter((s, i) => s !== shape[i]).length;
        // One partial axis (a split, a concat's place) is always a block.
        if (partial <= 1) assert.ok(block, `${shape} ${begin} ${size}`);
        if (!block) return;
        blocks++;
        const listed: number[] = [];
        for (let r = 0; r < block.rows; r++)
          for (let c = 0; c < block.cols; c++) listed.push(block.offset + r * block.stride + c);
        assert.deepEqual(listed, sliceIndices(shape, begin, size));
      }),
      { numRuns: 1000 },
    );
    assert.ok(blocks > 500);
    // Two separated partial axes are not one block.
    assert.equal(sliceBlock([4, 4, 4], [0, 1, 1], [4, 2, 2]), null);
    assert.deepEqual(sliceBlock([3, 5], [1, 2], [2, 3]), {
      rows: 2,
      cols: 3,
      stride: 5,
      offset: 7,
    });
  });
});

const addon = loadNative();
const skip = addon ? false : `native addon not available: ${nativeStatus()}`;

/** Values with IEEE specials mixed in, so a copy that rounds or reorders would show. */
function values(n: number, seed: number): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 97 + i * 1.3) * 10);
  [NaN, -0, Infinity, -Infinity, 1e-40].forEach((x, i) => {
    if (i * 5 < n) v[i * 5] = x;
  });
  return v;
}

/** Every case's outputs as flat arrays, run once with each set of kernels. */
type Case = () => Tensor | Tensor[];

async function bothWays(cases: Case[]): Promise<[number[][], number[][]]> {
  const run = () =>
    cases.flatMap((f) =>
      tf.tidy(() => {
        const out = f();
        return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
      }),
    );
  const native = run();
  await useNativeKernels(false);
  try {
    return [native, run()];
  } finally {
    await useNativeKernels(true);
  }
}

function assertSame(native: number[][], reference: number[][]) {
  assert.equal(native.length, reference.length);
  native.forEach((got, i) => {
    const want = reference[i] as number[];
    assert.equal(got.length, want.length, `output ${i}: length`);
    const at = got.findIndex((v, j) => !Object.is(v, want[j]));
    assert.equal(at, -1, `output ${i}: element ${at}: ${got[at]} against ${want[at]}`);
  });
}

describe('copy kernels', { skip }, () => {
  before(async () => {
    await initEngine({ backend: 'wasm', native: true });
  });
  after(async () => {
    await useNativeKernels(true);
  });

  it('slice, split, concat and tile equal the wasm kernels bit for bit on random shapes', async () => {
    const cases: Case[] = [];
    fc.assert(
      fc.property(shapeAndSlice, fc.nat(1000), ({ shape, begin, size }, seed) => {
        const x = () => tf.tensor(values(product(shape), seed), shape);
        cases.push(() => tf.slice(x(), begin, size));
        const axis = seed % shape.length;
        const n = shape[axis] as number;
        const cut = (begin[axis] as number) % n;
        cases.push(() => tf.split(x(), cut > 0 ? [cut, n - cut] : 1, axis));
        const other = [...shape];
        other[axis] = (size[axis] as number) + 1;
        const empty = [...shape];
        empty[axis] = 0;
        cases.push(() =>
          tf.concat(
            [x(), tf.tensor(values(product(other), seed + 1), other), tf.zeros(empty)],
            axis,
          ),
        );
        const reps = shape.map((_, i) => (i === axis ? 1 + (seed % 3) : 1 + (i % 2) * (seed % 2)));
        cases.push(() => tf.tile(x(), reps));
        cases.push(() => tf.tile(x(), [3, ...shape.slice(1).map(() => 1)]));
      }),
      { numRuns: 60, seed: 7 },
    );
    // The score network's and the VAE's shapes: time features repeated over particles, a
    // column repeated over pixels (broadcastTo), negative sizes, rows of a batch.
    const z = () => tf.tensor(values(1000 * 10, 3), [1000, 10]);
    cases.push(
      () => tf.tile(tf.tensor2d([Array.from(values(8, 4))]), [1000, 1]),
      () => tf.broadcastTo(tf.tensor(values(100, 5), [100, 1]), [100, 784]),
      () => tf.broadcastTo(tf.tensor(values(7, 6), [7]), [3, 7]),
      () => tf.slice(z(), [0, 1], [-1, 9]),
      () => tf.slice(z(), [10, 0], [50, -1]),
      () => tf.concat([z(), z(), tf.tile(tf.tensor2d([Array.from(values(8, 4))]), [1000, 1])], 1),
    );
    const [native, reference] = await bothWays(cases);
    assertSame(native, reference);
  });

  it('gradients through slices, splits, concatenations and tiles equal the wasm kernels', async () => {
    const x = tf.tensor(values(6 * 7, 8), [6, 7]);
    const w = tf.tensor(values(6 * 7, 9), [6, 7]);
    const loss = (a: Tensor) => {
      const [p, q] = tf.split(a, [3, 4], 1);
      const s = tf.slice(a, [1, 2], [4, 3]);
      const c = tf.concat([q as Tensor, p as Tensor], 1);
      const t = tf.tile(tf.slice(a, [0, 0], [1, 7]), [6, 1]);
      return tf.add(tf.sum(tf.mul(tf.add(c, t), w)), tf.sum(tf.square(s)));
    };
    const [native, reference] = await bothWays([
      () => tf.grad(loss)(x),
      () => tf.grad((a: Tensor) => tf.sum(tf.square(tf.grad(loss)(a))))(x),
    ]);
    assertSame(native, reference);
    tf.dispose([x, w]);
  });

  it('leave int32 tensors to TF.js, and free every tensor they create', () => {
    const before = liveTensorCount();
    const ints = tf.tidy(() => {
      const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
      return [
        tf.slice(i, [0, 1], [2, 2]).arraySync(),
        tf.concat([i, i], 1).arraySync(),
        tf.tile(i, [2, 1]).arraySync(),
        tf.split(i, 3, 1).map((t) => t.arraySync()),
      ];
    });
    assert.deepEqual(ints, [
      [
        [2, 3],
        [5, 6],
      ],
      [
        [1, 2, 3, 1, 2, 3],
        [4, 5, 6, 4, 5, 6],
      ],
      [
        [1, 2, 3],
        [4, 5, 6],
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [[1], [4]],
        [[2], [5]],
        [[3], [6]],
      ],
    ]);
    assert.equal(liveTensorCount(), before);
  });

  it('the addon refuses blocks outside their arrays', () => {
    const a = new Float32Array(10);
    const b = new Float32Array(10);
    const run = (ints: number[]) =>
      addon!.fused(NATIVE_OP.CopyBlock, Int32Array.from(ints), new Float64Array(0), [a, b]);
    run([2, 5, 5, 0, 5, 0]);
    assert.throws(() => run([2, 5, 5, 1, 5, 0]), /outside its arrays/);
    assert.throws(() => run([3, 4, 4, 0, 3, 0]), /outside its arrays/);
    assert.throws(() => run([2, 3, -1, 5, 3, 0]), /outside its arrays/);
    assert.throws(() => run([2, 3, 3, 0, 2, 0]), /outside its arrays/); // rows overlap
    assert.throws(
      () => addon!.fused(NATIVE_OP.CopyBlock, Int32Array.of(1, 1), new Float64Array(0), [a, b]),
      /wrong arguments for copy block/,
    );
  });
});
