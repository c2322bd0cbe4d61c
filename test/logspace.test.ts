import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  tf,
  logSumExp,
  logMeanExp,
  essCount,
  essFraction,
  logMeanExpHost,
  logSumExpHost,
  essCountHost,
  essFractionHost,
  liveTensorCount,
} from '../src/engine/index.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';

const val = (t: tf.Tensor) => {
  const v = t.dataSync()[0] as number;
  t.dispose();
  return v;
};

for (const backend of TEST_BACKENDS) {
  describe(`log-space numerics on ${backend}`, () => {
    it('logSumExp and logMeanExp at extremes', async () => {
      await useBackend(backend);
      const before = liveTensorCount();
      // weight ratio 1e30 between the two entries: no overflow, exact to float precision
      const big = tf.tensor1d([1000, 1000 - 30 * Math.LN10]);
      assert.ok(Math.abs(val(logSumExp(big)) - (1000 + Math.log1p(1e-30))) < 1e-3);
      const tiny = tf.tensor1d([-1000, -1000 + 30 * Math.LN10]);
      assert.ok(Math.abs(val(logSumExp(tiny)) - (-1000 + 30 * Math.LN10)) < 1e-3);
      // -Infinity entries are zero weights; all -Infinity gives -Infinity, not NaN
      const someInf = tf.tensor1d([-Infinity, 0, -Infinity, 0]);
      assert.ok(Math.abs(val(logSumExp(someInf)) - Math.log(2)) < 1e-6);
      assert.ok(Math.abs(val(logMeanExp(someInf)) - Math.log(0.5)) < 1e-6);
      const allInf = tf.tensor1d([-Infinity, -Infinity]);
      assert.equal(val(logSumExp(allInf)), -Infinity);
      // equal weights
      const equal = tf.fill([8], -3.5);
      assert.ok(Math.abs(val(logMeanExp(equal)) + 3.5) < 1e-6);
      // along an axis
      const rows = tf.tensor2d([0, 0, -Infinity, Math.log(3)], [2, 2]);
      const r = logSumExp(rows, 1);
      assert.deepEqual(r.shape, [2]);
      const rv = r.dataSync();
      assert.ok(
        Math.abs((rv[0] as number) - Math.log(2)) < 1e-6 &&
          Math.abs((rv[1] as number) - Math.log(3)) < 1e-6,
      );
      tf.dispose([big, tiny, someInf, allInf, equal, rows, r]);
      assert.equal(liveTensorCount(), before);
    });

    it('reverse ESS as a count and as a fraction, named apart', async () => {
      await useBackend(backend);
      const equal = tf.fill([10], 7);
      assert.ok(Math.abs(val(essCount(equal)) - 10) < 1e-4);
      assert.ok(Math.abs(val(essFraction(equal)) - 1) < 1e-6);
      // one weight 1e30 times the others: ESS -> 1
      const dominated = tf.tensor1d([30 * Math.LN10, 0, 0, 0]);
      assert.ok(Math.abs(val(essCount(dominated)) - 1) < 1e-5);
      assert.ok(Math.abs(val(essFraction(dominated)) - 0.25) < 1e-6);
      // zero weights do not count
      const withZeros = tf.tensor1d([0, 0, -Infinity, -Infinity]);
      assert.ok(Math.abs(val(essCount(withZeros)) - 2) < 1e-5);
      // a known case: w = (1, 2, 3) -> (6^2)/(14) = 2.5714
      const known = tf.tensor1d([0, Math.log(2), Math.log(3)]);
      assert.ok(Math.abs(val(essCount(known)) - 36 / 14) < 1e-4);
      tf.dispose([equal, dominated, withZeros, known]);
    });
  });
}

describe('host log-space numerics (float64)', () => {
  it('agree with closed forms at extremes', () => {
    assert.equal(logSumExpHost([-Infinity, -Infinity]), -Infinity);
    assert.ok(Math.abs(logSumExpHost([1e4, 1e4]) - (1e4 + Math.log(2))) < 1e-9);
    assert.ok(Math.abs(essCountHost([0, Math.log(2), Math.log(3)]) - 36 / 14) < 1e-12);
    assert.ok(Math.abs(essFractionHost([5, 5, 5, 5]) - 1) < 1e-12);
    assert.ok(Math.abs(essCountHost([69.0775527898, 0, 0]) - 1) < 1e-12);
  });

  it('NaN propagates: it never becomes a zero weight', () => {
    assert.ok(Number.isNaN(logSumExpHost([NaN, NaN])));
    assert.ok(Number.isNaN(logSumExpHost([0, NaN, 1])));
    assert.ok(Number.isNaN(logSumExpHost([-Infinity, NaN])));
    assert.ok(Number.isNaN(logMeanExpHost([NaN])));
    assert.ok(Number.isNaN(essCountHost([1, NaN])));
    assert.equal(logSumExpHost([Infinity, 0]), Infinity);
  });
});
