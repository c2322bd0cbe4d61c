// Learning-rate schedules, including reduce-on-plateau's state machine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  freshPlateau,
  learningRateAt,
  observePlateau,
  type PlateauSchedule,
} from '../src/train/schedule.js';
import { lrScheduleFor } from '../src/train/config.js';

describe('learning-rate schedules', () => {
  it("a config's cosine schedule learns the run's length; the others pass through", () => {
    assert.deepEqual(lrScheduleFor({ kind: 'cosine', minFactor: 0.2 }, 50), {
      kind: 'cosine',
      minFactor: 0.2,
      iterations: 50,
    });
    const step = { kind: 'step', every: 10, gamma: 0.5 } as const;
    assert.equal(lrScheduleFor(step, 50), step);
  });

  it('step and cosine rates at chosen iterations', () => {
    assert.equal(learningRateAt(0.1, { kind: 'constant' }, 500), 0.1);
    assert.ok(
      Math.abs(learningRateAt(0.1, { kind: 'step', every: 10, gamma: 0.5 }, 25) - 0.025) < 1e-15,
    );
    const cosine = { kind: 'cosine', minFactor: 0.1, iterations: 100 } as const;
    assert.equal(learningRateAt(1, cosine, 0), 1);
    assert.ok(Math.abs(learningRateAt(1, cosine, 50) - 0.55) < 1e-12);
    assert.ok(Math.abs(learningRateAt(1, cosine, 100) - 0.1) < 1e-12);
  });

  it('plateau: reduces after `patience` stale iterations, counts only relative improvements beyond the threshold, stops at minFactor', () => {
    const s: PlateauSchedule = {
      kind: 'plateau',
      factor: 0.5,
      patience: 2,
      threshold: 0.01,
      minFactor: 0.2,
    };
    let p = freshPlateau();
    const seen: number[] = [];
    // 10 sets the best; 9.95 is within 1 % of it (stale); NaN is ignored; 8 improves.
    for (const loss of [10, 9.95, 9.99, NaN, 8, 8, 8, 8, 8, 8, 8, 8, 8]) {
      p = observePlateau(s, p, loss);
      seen.push(learningRateAt(1, s, 0, p));
    }
    // After 10: best; 9.95, 9.99: stale 1, 2; NaN: unchanged; 8: best again; then 8 x 8 stale:
    // the third stale one (stale 3 > patience 2) halves the rate, and so on down to 0.2.
    assert.deepEqual(seen, [1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
    for (let i = 0; i < 6; i++) p = observePlateau(s, p, 8);
    assert.equal(p.scale, 0.2);
    // A negative best: improvement is still relative to its magnitude.
    let q = observePlateau(s, freshPlateau(), -100);
    q = observePlateau(s, q, -100.5);
    assert.equal(q.stale, 1);
    q = observePlateau(s, q, -102);
    assert.deepEqual(q, { best: -102, stale: 0, scale: 1 });
  });
});
