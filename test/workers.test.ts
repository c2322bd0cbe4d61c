// Parallel runs give the numbers of a single-process run. A joint random stream (one lane per
// batch) draws each lane's share from that lane's own stream; a run's batches, split into groups
// and run separately, give bit-identical log-weights; and `anneal logz --workers N` prints the
// same estimate for N = 1, 2, 3, through worker threads.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Rng, initEngine, liveTensorCount } from '../src/engine/index.js';
import { setNativeRandom } from '../src/engine/rng.js';
import { createTarget } from '../src/targets/registry.js';
import {
  combineBatchRuns,
  runLogZBatches,
  type EstimateLogZOptions,
} from '../src/eval/estimateLogZ.js';
import { anneal } from './helpers/cli.js';

describe('joint random streams', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  for (const native of [true, false]) {
    it(`lane b of a draw is stream b's own draw (${native ? 'native' : 'JavaScript'} generator)`, () => {
      setNativeRandom(native);
      try {
        const joint = Rng.joint(Rng.fromSeed(4).split(3));
        const alone = Rng.fromSeed(4).split(3);
        for (let draw = 0; draw < 3; draw++) {
          const n = joint.normal([6, 5]).arraySync() as number[][];
          const u = joint.uniform([3, 2], -1, 2).arraySync() as number[][];
          alone.forEach((s, b) => {
            const nb = s.normal([2, 5]).arraySync() as number[][];
            const ub = s.uniform([1, 2], -1, 2).arraySync() as number[][];
            assert.deepEqual(n.slice(2 * b, 2 * b + 2), nb);
            assert.deepEqual(u.slice(b, b + 1), ub);
          });
        }
      } finally {
        setNativeRandom(true);
      }
    });
  }

  it('refuses draws that do not split evenly, splitting and saving its state', () => {
    const joint = Rng.joint(Rng.fromSeed(1).split(4));
    assert.throws(() => joint.normal([6, 2]), /split evenly over the lanes/);
    assert.throws(() => joint.split(2), /cannot split/);
    assert.throws(() => joint.state(), /cannot be saved/);
    assert.throws(() => Rng.joint([Rng.fromSeed(1), joint]), /plain streams/);
  });
});

describe('batched log Z runs', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  const cases: [string, Partial<EstimateLogZOptions>][] = [
    ['ais-ula', { sampler: 'ais-ula', stepSize: 0.05 }],
    ['ais-hmc', { sampler: 'ais-hmc', stepSize: 0.1, leapfrogSteps: 2 }],
    [
      'smc-hmc',
      { sampler: 'ais-hmc', stepSize: 0.1, leapfrogSteps: 2, resampling: { scheme: 'systematic' } },
    ],
  ];
  for (const [name, extra] of cases) {
    it(`${name}: batches run in groups give the single run's log-weights bit for bit`, () => {
      const target = createTarget('funnel', { dim: 5 });
      const options: EstimateLogZOptions = {
        target,
        steps: 12,
        particles: 60,
        batches: 6,
        seed: 7,
        ...extra,
      };
      const before = liveTensorCount();
      const whole = runLogZBatches(options, 0, 6);
      const parts = [
        runLogZBatches(options, 0, 1),
        runLogZBatches(options, 1, 3),
        runLogZBatches(options, 4, 2),
      ];
      const joined = combineBatchRuns(parts, [1, 3, 2]);
      assert.deepEqual(Array.from(joined.logW), Array.from(whole.logW));
      // Pooled per-step diagnostics agree with the single run's to float rounding.
      whole.perStep.forEach((s, k) => {
        const j = joined.perStep[k]!;
        assert.ok(Math.abs(j.logZ - s.logZ) < 1e-5 * (1 + Math.abs(s.logZ)), `step ${k + 1} log Z`);
        assert.ok(Math.abs(j.essFraction - s.essFraction) < 1e-6, `step ${k + 1} ESS`);
      });
      // A batch alone is not the first batch of another seed's run.
      const other = runLogZBatches({ ...options, seed: 8 }, 0, 1);
      assert.notDeepEqual(Array.from(other.logW), Array.from(parts[0]!.logW));
      assert.equal(liveTensorCount(), before);
      target.dispose?.();
    });
  }

  it('refuses particles that do not split into equal batches, and batch ranges outside the run', () => {
    const target = createTarget('funnel');
    assert.throws(
      () => runLogZBatches({ target, particles: 101, batches: 10 }, 0, 10),
      /101 particles do not split into 10 equal batches/,
    );
    assert.throws(
      () => runLogZBatches({ target, particles: 100, batches: 10 }, 8, 3),
      /not within/,
    );
  });
});

describe('anneal logz --workers', () => {
  const base = [
    'logz',
    '--target',
    'funnel',
    '--steps',
    '16',
    '--particles',
    '300',
    '--batches',
    '6',
  ];
  const logz = (...args: string[]) => {
    const r = anneal(...base, '--seed', '3', '--json', '--quiet', ...args);
    assert.equal(r.status, 0, r.stderr);
    const { seconds: _, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
    return rest;
  };

  for (const sampler of ['ais-hmc', 'smc-hmc']) {
    it(`${sampler}: 1, 2 and 3 workers print the same estimate`, () => {
      const one = logz('--sampler', sampler, '--workers', '1');
      assert.deepEqual(logz('--sampler', sampler, '--workers', '2'), one);
      assert.deepEqual(logz('--sampler', sampler, '--workers', '3'), one);
    });
  }

  it('a worker failure, a bad count or a learned sampler is one line and a non-zero exit', () => {
    const cases: [string[], number, RegExp][] = [
      [['--sampler', 'ais-ula', '--step-size', '50', '--workers', '2'], 1, /diverged/],
      [['--workers', '0'], 2, /--workers: expected an integer > 0/],
      [['--sampler', 'uha', '--workers', '2'], 2, /--workers applies to the fixed-kernel samplers/],
    ];
    for (const [args, status, message] of cases) {
      const r = anneal(...base, '--quiet', ...args);
      assert.equal(r.status, status, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
