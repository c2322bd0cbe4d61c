// broadcastPlan (src/engine/broadcastPlan.ts): whenever it gives a plan, the native kernel's
// reading of it (row i, column j of the output take operand elements by their modes) visits the
// elements TF.js's broadcasting rule pairs; and it gives one for the shapes a log density uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { broadcastPlan } from '../src/engine/broadcastPlan.js';
import { NATIVE_BROADCAST } from '../src/engine/native.js';

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** The flat index of `shape`'s element under output index `out` (row-major), by broadcasting. */
function broadcastIndex(
  shape: readonly number[],
  outShape: readonly number[],
  out: number,
): number {
  const r = outShape.length;
  const padded = [...Array<number>(r - shape.length).fill(1), ...shape];
  let rest = out;
  let index = 0;
  let stride = 1;
  for (let i = r - 1; i >= 0; i--) {
    const n = outShape[i] as number;
    const k = rest % n;
    rest = Math.floor(rest / n);
    if ((padded[i] as number) !== 1) index += k * stride;
    stride *= padded[i] as number;
  }
  return index;
}

/** The element the native kernel reads for output (i, j) under `mode`. */
function planIndex(mode: number, i: number, j: number, cols: number): number {
  if (mode === NATIVE_BROADCAST.full) return i * cols + j;
  if (mode === NATIVE_BROADCAST.row) return j;
  if (mode === NATIVE_BROADCAST.column) return i;
  return 0;
}

const shapePair = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      // Each operand: a suffix of the output's axes, some set to one.
      ...[0, 1].map(() =>
        fc
          .tuple(
            fc.nat({ max: out.length }),
            fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
          )
          .map(([drop, ones]) => out.slice(drop).map((n, i) => (ones[i] ? 1 : n))),
      ),
    ),
  );

describe('broadcastPlan', () => {
  it('reads, for every output element, the elements broadcasting pairs with it', () => {
    fc.assert(
      fc.property(shapePair, ([, a, b]) => {
        const plan = broadcastPlan(a as number[], b as number[]);
        if (!plan) return;
        const size = product(plan.shape);
        assert.equal(plan.rows * plan.cols, size);
        for (let i = 0; i < plan.rows; i++)
          for (let j = 0; j < plan.cols; j++) {
            const out: number = i * plan.cols + j;
            assert.equal(
              planIndex(plan.aMode, i, j, plan.cols),
              broadcastIndex(a as number[], plan.shape, out),
            );
            assert.equal(
              planIndex(plan.bMode, i, j, plan.cols),
              broadcastIndex(b as number[], plan.shape, out),
            );
          }
      }),
      { numRuns: 500 },
    );
  });

  it("covers a density's shapes and refuses what does not broadcast", () => {
    const plan = (a: number[], b: number[]) => broadcastPlan(a, b);
    assert.deepEqual(plan([1000, 500], [500]), {
      shape: [1000, 500],
      rows: 1000,
      cols: 500,
      aMode: NATIVE_BROADCAST.full,
      bMode: NATIVE_BROADCAST.row,
    });
    assert.equal(plan([1000, 1], [1000, 500])?.aMode, NATIVE_BROADCAST.column);
    assert.equal(plan([], [7, 3])?.aMode, NATIVE_BROADCAST.scalar);
    assert.equal(plan([4, 1, 5], [4, 3, 5]), null); // a middle axis
    assert.equal(plan([3], [4]), null); // no broadcast at all
    assert.deepEqual(plan([0, 5], [5])?.rows, 0);
  });
});
