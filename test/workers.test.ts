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
  estimateLogZ,
  runLogZBatches,
  type EstimateLogZOptions,
} from '../src/eval/estimateLogZ.js';
import { LearnedSampler, type LearnedSamplerConfig } from '../src/annealing/learned.js';
import { evaluateSampler, evaluateSamplerBatches } from '../src/eval/evaluateSampler.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anneal, scratch } from './helpers/cli.js';
import { runTasks } from '../src/parallel/pool.js';
import { runBatches } from '../src/parallel/batches.js';
import type { EstimateRequest, EvaluateRequest } from '../src/runs/request.js';
import type { LogWeightSummary } from '../src/eval/logWeights.js';
import type { StepDiagnostics } from '../src/annealing/ais.js';

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
    // A step size that makes many proposals diverge: the pooled counts are sums.
    ['ais-hmc diverging', { sampler: 'ais-hmc', stepSize: 1.5, leapfrogSteps: 3 }],
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
        assert.equal(j.diverged, s.diverged, `step ${k + 1} diverged`);
      });
      const diverged = whole.perStep.reduce((a, s) => a + (s.diverged ?? 0), 0);
      assert.equal(diverged > 0, name.endsWith('diverging'), `${diverged} diverged proposals`);
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

describe('batched evaluation of learned samplers', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  const kinds: [string, Partial<LearnedSamplerConfig> & { kind: LearnedSamplerConfig['kind'] }][] =
    [
      ['ula', { kind: 'ula', steps: 6, stepSize: 0.05 }],
      [
        'uha-mcd',
        {
          kind: 'uha-mcd',
          steps: 5,
          stepSize: 0.1,
          scoreNet: { hidden: 8, blocks: 1, timeFeatures: 4 },
        },
      ],
      [
        'smc-uha (bern-gst, 2 systems per batch)',
        {
          kind: 'uha',
          steps: 6,
          stepSize: 0.1,
          resampling: { scheme: 'bern-gst', groupSize: 5, temperature: 0.5 },
        },
      ],
    ];
  for (const [name, config] of kinds) {
    it(`${name}: batches evaluated in groups give the whole evaluation's log-weights bit for bit`, () => {
      const target = createTarget('funnel', { dim: 4 });
      const sampler = new LearnedSampler(target, config, Rng.fromSeed(2));
      const options = { particles: 60, batches: 6, rng: Rng.fromSeed(11) };
      const before = liveTensorCount();
      const whole = evaluateSamplerBatches(sampler, options, 0, 6);
      const joined = combineBatchRuns(
        [
          evaluateSamplerBatches(sampler, options, 0, 2),
          evaluateSamplerBatches(sampler, options, 2, 1),
          evaluateSamplerBatches(sampler, options, 3, 3),
        ],
        [2, 1, 3],
      );
      assert.deepEqual(Array.from(joined.logW), Array.from(whole.logW));
      // The whole evaluation draws the same particles, then moves the caller's stream on.
      const e = evaluateSampler(sampler, options);
      assert.equal(e.n, 60);
      assert.equal(e.logZ, evaluateSampler(sampler, { ...options, rng: Rng.fromSeed(11) }).logZ);
      assert.notEqual(evaluateSampler(sampler, options).logZ, e.logZ, 'fresh particles');
      assert.equal(liveTensorCount(), before);
      assert.throws(
        () => evaluateSampler(sampler, { ...options, particles: 61 }),
        /61 particles do not split into 6 equal batches/,
      );
      sampler.dispose();
      target.dispose?.();
    });
  }
});

describe('DAIS evaluation diagnostics', () => {
  it('per-step ESS is per system of the configured size, as the final log-weights give it', async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('funnel', { dim: 4 });
    const sampler = new LearnedSampler(
      target,
      { kind: 'uha', steps: 4, stepSize: 0.1, resampling: { scheme: 'none', groupSize: 5 } },
      Rng.fromSeed(2),
    );
    const run = evaluateSamplerBatches(
      sampler,
      { particles: 60, batches: 6, rng: Rng.fromSeed(1) },
      0,
      6,
    );
    const ess: number[] = [];
    for (let g = 0; g < 12; g++) {
      const w = Array.from(run.logW.slice(5 * g, 5 * g + 5));
      const top = Math.max(...w);
      const e = w.map((x) => Math.exp(x - top));
      const sum = e.reduce((a, b) => a + b, 0);
      ess.push((sum * sum) / (5 * e.reduce((a, b) => a + b * b, 0)));
    }
    const perSystem = ess.reduce((a, b) => a + b, 0) / 12;
    const last = run.perStep[run.perStep.length - 1]!;
    assert.ok(Math.abs(last.essFraction - perSystem) < 1e-4, `${last.essFraction} vs ${perSystem}`);
    assert.throws(
      () => evaluateSampler(sampler, { particles: 60, batches: 5, rng: Rng.fromSeed(1) }),
      /DAIS evaluation: 60 particles in 5 batches must give batches of whole systems of 5/,
    );
    sampler.dispose();
    target.dispose?.();
  });
});

/**
 * Two --json reports agree: bit for bit in the estimate, and, for the per-step readings and the mean
 * acceptance (combined over groups of batches in float64 here, read per chain in float32 with
 * one worker), to float32 rounding.
 */
function assertSameReport(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  const { perStep: a, acceptance: aa, ...aRest } = actual;
  const { perStep: e, acceptance: ea, ...eRest } = expected;
  assert.deepEqual(aRest, eRest);
  const close = (x: unknown, y: unknown, what: string) => {
    if (typeof x === 'number' && typeof y === 'number')
      assert.ok(Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);
    else assert.deepEqual(x, y, what);
  };
  close(aa, ea, 'acceptance');
  const rows = (v: unknown) => v as Record<string, unknown>[];
  assert.equal(rows(a).length, rows(e).length);
  rows(a).forEach((row, k) => {
    for (const key of Object.keys(rows(e)[k] ?? {}))
      close(row[key], rows(e)[k]?.[key], `step ${k + 1} ${key}`);
  });
}

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
      assertSameReport(logz('--sampler', sampler, '--workers', '2'), one);
      assertSameReport(logz('--sampler', sampler, '--workers', '3'), one);
    });
  }

  it('a worker failure, a bad count or a learned sampler is one line and a non-zero exit', () => {
    const cases: [string[], number, RegExp][] = [
      [['--sampler', 'ais-ula', '--step-size', '50', '--workers', '2'], 1, /diverged/],
      [['--sampler', 'ais-ula', '--workers', '0'], 2, /--workers: expected an integer > 0/],
    ];
    for (const [args, status, message] of cases) {
      const r = anneal(...base, '--quiet', ...args);
      assert.equal(r.status, status, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('anneal logz --workers with learned samplers', () => {
  const { dir: work, write } = scratch('anneal-workers-');
  const common = ['--particles', '240', '--batches', '6', '--seed', '5', '--json', '--quiet'];
  const run = (...args: string[]) => {
    const r = anneal('logz', ...args, ...common);
    assert.equal(r.status, 0, r.stderr);
    const { seconds: _, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
    return rest;
  };

  it('evaluating after --train-iters: 1 and 3 workers print the same estimate', () => {
    const args = [
      '--target',
      'funnel',
      '--sampler',
      'uha-mcd',
      '--steps',
      '4',
      '--train-iters',
      '3',
    ];
    const one = run(...args, '--train-particles', '32', '--workers', '1');
    assertSameReport(run(...args, '--train-particles', '32', '--workers', '3'), one);
  });

  it('evaluating a trained run (--from): 1 and 2 workers print the same estimate', () => {
    const dir = join(work, 'run');
    const config = write(
      'smc.yaml',
      `seed: 1
target: { name: gaussian, dim: 3 }
sampler: { kind: ula, steps: 4, resampling: { scheme: systematic, groupSize: 20 } }
train: { iterations: 2, particles: 40 }
eval: { particles: 200 }
`,
    );
    const t = anneal('train', config, '--out', dir, '--quiet');
    assert.equal(t.status, 0, t.stderr);
    const one = run('--from', dir, '--workers', '1');
    assertSameReport(run('--from', dir, '--workers', '2'), one);
  });
});

describe('worker pool', () => {
  const job = new URL('./helpers/squareJob.ts', import.meta.url).href;
  it('runs more tasks than workers, in task order, with progress, and stops on the first failure', async () => {
    await initEngine({ backend: 'wasm' });
    for (const workers of [1, 2]) {
      const seen: number[] = [];
      const messages: unknown[] = [];
      const results = await runTasks<number, number>(
        job,
        [1, 2, 3, 4, 5],
        { workers, backend: 'wasm' },
        { onResult: (i) => seen.push(i), onProgress: (_, m) => messages.push(m) },
      );
      assert.deepEqual(results, [1, 4, 9, 16, 25]);
      assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
      assert.equal(messages.length, 5);
      await assert.rejects(
        runTasks<number, number>(job, [1, -2, 3, 4], { workers, backend: 'wasm' }),
        (e: Error) => e.name === 'RangeError' && e.message === 'negative payload -2',
      );
    }
  });
});

describe('runBatches: a request, in this thread or on workers', () => {
  /** What a run reports, less its wall time and pooled per-step diagnostics. */
  const numbers = (e: LogWeightSummary & { trueLogZ: number | null }) => ({
    logZ: e.logZ,
    logZStdErr: e.logZStdErr,
    elbo: e.elbo,
    elboStdErr: e.elboStdErr,
    essFraction: e.essFraction,
    essCount: e.essCount,
    batches: e.batches,
    trueLogZ: e.trueLogZ,
  });

  it("an estimate request: estimateLogZ's numbers on 1 and 2 workers, with progress", async () => {
    await initEngine({ backend: 'wasm' });
    const request: EstimateRequest = {
      kind: 'estimate',
      target: { name: 'funnel', dim: 5 },
      sampler: 'ais-hmc',
      steps: 8,
      particles: 60,
      batches: 3,
      seed: 2,
      stepSize: 0.1,
      leapfrogSteps: 2,
      initial: { scale: 1.5 },
    };
    // Plain data: it reaches the workers as it is.
    assert.deepEqual(JSON.parse(JSON.stringify(request)), request);
    const target = createTarget('funnel', { dim: 5 });
    const { kind: _, target: __, initial: ___, ...settings } = request;
    const direct = estimateLogZ({ ...settings, target, initial: { scale: 1.5 } });
    target.dispose?.();
    const steps: number[] = [];
    const one = await runBatches(request, 1, { onStep: (k) => steps.push(k) });
    assert.deepEqual(numbers(one), numbers(direct));
    assert.equal(steps.at(-1), 8);
    steps.length = 0;
    const two = await runBatches(request, 2, { onStep: (k) => steps.push(k) });
    assert.deepEqual(numbers(two), numbers(direct));
    assert.equal(two.moves, direct.moves);
    assert.equal(steps.at(-1), 8);
  });

  it('onReading: every step once, in order, pooled over workers as the result reports it', async () => {
    await initEngine({ backend: 'wasm' });
    const request: EstimateRequest = {
      kind: 'estimate',
      target: { name: 'funnel', dim: 5 },
      sampler: 'smc-hmc',
      steps: 8,
      particles: 90,
      batches: 3,
      seed: 5,
    };
    for (const workers of [1, 2]) {
      const seen: StepDiagnostics[] = [];
      const r = await runBatches(request, workers, { onReading: (s) => seen.push(s) });
      assert.deepEqual(
        seen.map((s) => s.step),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      seen.forEach((s, k) => {
        const end = r.perStep[k] as StepDiagnostics;
        const at = `${workers} workers, step ${k + 1}`;
        assert.ok(Math.abs(s.logZ - end.logZ) < 1e-9, `${at}: log Z`);
        assert.ok(Math.abs(s.logZIncrement - end.logZIncrement) < 1e-9, `${at}: increment`);
        assert.ok(Math.abs(s.essFraction - end.essFraction) < 1e-9, `${at}: ESS`);
        assert.ok(Math.abs((s.acceptance as number) - (end.acceptance as number)) < 1e-9, at);
        assert.equal(s.diverged, end.diverged, `${at}: diverged`);
      });
    }
  });

  it("an evaluate request of trained parameters: evaluateSampler's numbers on 2 workers", async () => {
    await initEngine({ backend: 'wasm' });
    const target = createTarget('gaussian', { dim: 3 });
    const sampler = new LearnedSampler(target, { kind: 'ula', steps: 4 }, Rng.fromSeed(3));
    const direct = evaluateSampler(sampler, { particles: 60, batches: 3, rng: Rng.fromSeed(4) });
    const request: EvaluateRequest = {
      kind: 'evaluate',
      sampler: {
        target: { name: 'gaussian', dim: 3 },
        config: sampler.config,
        params: sampler.params.save(),
      },
      particles: 60,
      batches: 3,
      seed: 4,
    };
    sampler.dispose();
    target.dispose?.();
    const readings: number[] = [];
    const two = await runBatches(request, 2, { onReading: (s) => readings.push(s.logZ) });
    assert.deepEqual(numbers(two), numbers(direct));
    assert.equal(readings.length, 4);
    assert.ok(Math.abs((readings[3] as number) - (two.perStep[3]?.logZ as number)) < 1e-9);
    await assert.rejects(
      runBatches({ ...request, particles: 61 }, 2),
      /61 particles do not split into 3 equal batches/,
    );
  });
});

describe('reproduction scripts with --workers', () => {
  const { dir: work } = scratch('anneal-sweep-');
  it('scripts/mcd-table.ts: its cells on 1 and 2 workers give the same rows', () => {
    const rows = (workers: number) => {
      const out = join(work, `mcd-${workers}`);
      const r = spawnSync(
        process.execPath,
        [
          ...['--import', 'tsx', 'scripts/mcd-table.ts', '--targets', 'gaussian,gmm8'],
          ...['--steps', '3', '--kinds', 'ula,uha-mcd', '--iterations', '2'],
          ...['--train-particles', '16', '--eval-particles', '100', '--out', out],
          ...['--workers', String(workers)],
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const { rows: table } = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as {
        rows: Record<string, unknown>[];
      };
      return table.map(({ trainSeconds: _t, evalSeconds: _e, ...rest }) => rest);
    };
    const one = rows(1);
    assert.equal(one.length, 4);
    assert.deepEqual(rows(2), one);
  });

  it('scripts/mcd-table.ts --freeze and --mixture-dim reach the cells and the page', () => {
    const out = join(work, 'mcd-frozen');
    const r = spawnSync(
      process.execPath,
      [
        ...['--import', 'tsx', 'scripts/mcd-table.ts', '--targets', 'gmm8', '--steps', '3'],
        ...['--kinds', 'ula', '--iterations', '2', '--train-particles', '16'],
        ...['--eval-particles', '100', '--out', out, '--freeze', 'initial,schedule'],
        ...['--mixture-loc', '10', '--mixture-dim', '5'],
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const data = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as {
      frozen: string[];
      mixtureDim: number;
      rows: { dim: number }[];
    };
    assert.deepEqual(data.frozen, ['initial', 'schedule']);
    assert.equal(data.rows[0]?.dim, 5);
    const page = readFileSync(`${out}.md`, 'utf8');
    assert.match(
      page,
      /--mixture-loc 10 --mixture-dim 5 --freeze initial,schedule --targets gmm8 --steps 3 --kinds ula`/,
    );
    assert.match(
      page,
      /its initial distribution and schedule fixed \(the same for every sampler\)/,
    );
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/mcd-table.ts', '--freeze', 'mass', '--out', out],
      { encoding: 'utf8' },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--freeze takes initial, schedule or both, got 'mass'/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'one line, no stack trace');
  });
});
