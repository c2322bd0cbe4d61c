// The benchmark targets seeds, brownian, lgcp and FAB's gmm40: log densities pinned at fixed points to float64
// values from an independent numpy implementation of the models (test/reference/
// benchmark_targets.py, which prints them), closed-form scores against autodiff, the registry's
// options and refusals, and no tensors left behind.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  initEngine,
  liveTensorCount,
  tf,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import { createTarget, TargetError, type Target } from '../src/targets/index.js';
import { finpinesCounts } from '../src/targets/lgcp.js';
import { GMM40_MEANS } from '../src/targets/gmm40.js';

/** The k-th test point of test/reference/benchmark_targets.py: 0.4 sin(1.3 i + 0.9 k) + 0.1 k. */
const point = (dim: number, k: number, shift = 0) =>
  Array.from({ length: dim }, (_, i) => 0.4 * Math.sin(1.3 * i + 0.9 * k) + 0.1 * k + shift);

// Printed by `python3 test/reference/benchmark_targets.py`.
const REFERENCE = {
  seeds: [-155.9501872892511, -174.35021979419926, -189.62928048565388],
  brownian: [-45.30253756793758, -53.781002106657645, -57.69598124925142],
  lgcp8: [356.1693175135987, 372.6621528766982, 387.85183494983175],
  lgcp40: [-1302.1660631896284, -1293.6184514734232, -1289.8332439566975],
};

const CASES: { label: string; make: () => Target; shift: number; expected: number[] }[] = [
  { label: 'seeds', make: () => createTarget('seeds'), shift: 0, expected: REFERENCE.seeds },
  {
    label: 'brownian',
    make: () => createTarget('brownian'),
    shift: 0,
    expected: REFERENCE.brownian,
  },
  {
    label: 'lgcp 8 x 8',
    make: () => createTarget('lgcp', { width: 8 }),
    shift: 4,
    expected: REFERENCE.lgcp8,
  },
  { label: 'lgcp 40 x 40', make: () => createTarget('lgcp'), shift: 4, expected: REFERENCE.lgcp40 },
];

describe('benchmark targets', () => {
  before(async () => {
    await initEngine({ backend: 'cpu' });
  });

  for (const c of CASES) {
    it(`${c.label}: log density at three points equals the float64 reference; score equals autodiff`, () => {
      const baseline = liveTensorCount();
      const target = c.make();
      const rows = [0, 1, 2].map((k) => point(target.dim, k, c.shift));
      const z = tf.tensor2d(rows) as Tensor2D;
      const logProb = target.logProb(z);
      const values = Array.from(logProb.dataSync());
      values.forEach((v, k) => {
        const e = c.expected[k] as number;
        // float32 sums of a few thousand terms: a few units in the 6th significant digit
        assert.ok(Math.abs(v - e) <= 2e-5 * Math.abs(e) + 1e-3, `${c.label}[${k}]: ${v} vs ${e}`);
      });
      const score = target.score?.(z);
      assert.ok(score, `${c.label} has a closed-form score`);
      const auto = tf.grad((x: Tensor) => tf.sum(target.logProb(x as Tensor2D)))(z);
      const s = score.dataSync();
      const a = auto.dataSync();
      let scale = 0;
      for (const x of a) scale = Math.max(scale, Math.abs(x));
      for (let i = 0; i < a.length; i++)
        assert.ok(
          Math.abs((s[i] as number) - (a[i] as number)) <= 1e-4 * scale + 1e-4,
          `${c.label} score[${i}] ${s[i]} vs autodiff ${a[i]}`,
        );
      tf.dispose([z, logProb, score, auto]);
      target.dispose?.();
      assert.equal(liveTensorCount(), baseline, `${c.label} leaves no tensors`);
    });
  }

  it("gmm40: FAB's means and log density at three points equal the float64 reference", () => {
    const baseline = liveTensorCount();
    // Printed by `python3 test/reference/gmm40.py` (PyTorch's generator after manual_seed(0)).
    const firstMeans = [
      [-0.2994728088378906, 21.457744598388672],
      [-32.92180633544922, -29.43756103515625],
      [-15.406174659729004, 10.72629451751709],
    ];
    const expected = [-23.31634794918144, -6.072751058691814, -46.802623173016144];
    firstMeans.forEach((m, k) =>
      m.forEach((x, j) => assert.ok(Math.abs((GMM40_MEANS[k]?.[j] as number) - x) < 1e-6)),
    );
    assert.equal(GMM40_MEANS.length, 40);
    const target = createTarget('gmm40');
    assert.equal(target.dim, 2);
    assert.equal(target.logZ, 0);
    const z = tf.tensor2d([
      [0, 0],
      [-0.3, 21.4],
      [10, -5],
    ]) as Tensor2D;
    const logProb = target.logProb(z);
    Array.from(logProb.dataSync()).forEach((v, k) => {
      const e = expected[k] as number;
      assert.ok(Math.abs(v - e) <= 2e-5 * Math.abs(e) + 1e-4, `gmm40[${k}]: ${v} vs ${e}`);
    });
    tf.dispose([z, logProb]);
    target.dispose?.();
    assert.throws(() => createTarget('gmm40', { dim: 3 }), TargetError);
    assert.equal(liveTensorCount(), baseline);
  });

  it('lgcp bins all 126 pines; its width and dim agree or are refused in one line', () => {
    for (const width of [8, 40]) {
      const counts = finpinesCounts(width);
      assert.equal(
        counts.reduce((x, y) => x + y, 0),
        126,
      );
    }
    const t = createTarget('lgcp', { dim: 64 });
    assert.equal(t.dim, 64);
    t.dispose?.();
    assert.throws(() => createTarget('lgcp', { dim: 50 }), /dim must be W\^2/);
    assert.throws(() => createTarget('lgcp', { dim: 64, width: 9 }), TargetError);
    assert.throws(() => createTarget('seeds', { dim: 3 }), /dim must be exactly 26/);
    assert.throws(() => createTarget('brownian', { width: 3 }), /does not apply to target/);
  });
});
