// `anneal train` and the learned-sampler paths of `anneal logz`, end to end.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { anneal, cliEntry, metricRows as metrics, scratch } from './helpers/cli.js';

const { dir: work, write } = scratch('anneal-train-');

/** A run directory's eval.json without its wall time (what must match between two runs). */
function evaluation(dir: string): Record<string, unknown> {
  const { seconds: _, ...rest } = JSON.parse(
    readFileSync(join(dir, 'eval.json'), 'utf8'),
  ) as Record<string, unknown>;
  return rest;
}
const TINY = `seed: 3
target: { name: gaussian }
sampler: { kind: uha-mcd, steps: 4, scoreNet: { hidden: 8, blocks: 1 } }
train: { iterations: 6, particles: 32, logEvery: 1, checkpointEvery: 2 }
eval: { particles: 500 }
`;

describe('anneal train', () => {
  const config = write('tiny.yaml', TINY);

  it('writes the resolved config, checkpoint, metrics and evaluation; a stopped run resumes exactly', () => {
    const straight = join(work, 'straight');
    const r1 = anneal('train', config, '--out', straight, '--json');
    assert.equal(r1.status, 0, r1.stderr);
    const summary = JSON.parse(r1.stdout) as Record<string, unknown>;
    assert.equal(summary.completed, true);
    assert.equal(summary.iterations, 6);
    for (const f of ['config.json', 'checkpoint.json', 'metrics.jsonl', 'eval.json'])
      assert.ok(existsSync(join(straight, f)), f);
    const resolved = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8')) as {
      sampler: { eta: number };
    };
    assert.equal(resolved.sampler.eta, 0.9, 'defaults are filled in');
    const rows = metrics(straight);
    assert.deepEqual(
      rows.map((r) => r.iteration),
      [1, 2, 3, 4, 5, 6],
    );
    for (const key of ['loss', 'elbo', 'gradNorm', 'skipped']) assert.ok(key in rows[0]!, key);

    const split = join(work, 'split');
    const r2 = anneal('train', config, '--out', split, '--stop-after', '3', '--quiet');
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stdout, /stopped early; continue with: anneal train --resume/);
    assert.ok(!existsSync(join(split, 'eval.json')));
    const r3 = anneal('train', '--resume', split, '--quiet');
    assert.equal(r3.status, 0, r3.stderr);
    const a = metrics(straight);
    const b = metrics(split);
    assert.deepEqual(
      b.map((r) => [r.iteration, r.loss, r.gradNorm]),
      a.map((r) => [r.iteration, r.loss, r.gradNorm]),
    );
    const params = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { params: unknown })
        .params;
    assert.deepEqual(params(split), params(straight));
    const evalA = JSON.parse(readFileSync(join(straight, 'eval.json'), 'utf8')) as { logZ: number };
    const evalB = JSON.parse(readFileSync(join(split, 'eval.json'), 'utf8')) as { logZ: number };
    assert.equal(evalB.logZ, evalA.logZ);
  });

  it('a reduce-on-plateau schedule lowers the rate when the loss stalls, and resumes exactly', () => {
    // A relative threshold of 50 % almost never counts as an improvement: the rate halves every
    // two iterations or so, which a resume that forgot the schedule's state would get wrong.
    const text = TINY.replace(
      'train: { iterations: 6,',
      'train: { iterations: 8, lrSchedule: { kind: plateau, patience: 1, threshold: 0.5 },',
    );
    const plateau = write('plateau.yaml', text);
    const straight = join(work, 'plateau-straight');
    assert.equal(anneal('train', plateau, '--out', straight, '--quiet').status, 0);
    const split = join(work, 'plateau-split');
    assert.equal(
      anneal('train', plateau, '--out', split, '--stop-after', '5', '--quiet').status,
      0,
    );
    assert.equal(anneal('train', '--resume', split, '--quiet').status, 0);
    const rates = (dir: string) => metrics(dir).map((r) => r.learningRate as number);
    assert.deepEqual(rates(split), rates(straight));
    assert.deepEqual(
      metrics(split).map((r) => r.loss),
      metrics(straight).map((r) => r.loss),
    );
    const r = rates(straight);
    assert.equal(r[0], 0.005);
    assert.ok((r[7] as number) <= 0.005 * 0.25, `rates ${r}`);
    for (let i = 1; i < r.length; i++) assert.ok((r[i] as number) <= (r[i - 1] as number));
  });

  it('refuses to overwrite an existing run, leaving its files intact', () => {
    const dir = join(work, 'straight');
    const before = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
    const r = anneal('train', config, '--out', dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^anneal: run directory .* already holds a run; pass --resume/);
    assert.equal(readFileSync(join(dir, 'checkpoint.json'), 'utf8'), before);
  });

  it("refuses a folder of the user's own files, writing nothing into it", () => {
    const dir = join(work, 'theirs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metrics.jsonl'), 'their own notes\n');
    writeFileSync(join(dir, 'eval.json'), '{"mine": true}\n');
    const r = anneal('train', config, '--out', dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /^anneal: '.*theirs' already holds files that are not an anneal run \(eval\.json, metrics\.jsonl\); choose a new or empty folder for --out\n$/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['eval.json', 'metrics.jsonl']);
    assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), 'their own notes\n');
    assert.equal(readFileSync(join(dir, 'eval.json'), 'utf8'), '{"mine": true}\n');
  });

  it('logz --from evaluates a trained run with fresh particles', () => {
    const r = anneal(
      'logz',
      '--from',
      join(work, 'straight'),
      '--particles',
      '400',
      '--seed',
      '5',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number | string>;
    assert.equal(out.sampler, 'uha-mcd');
    assert.equal(out.particles, 400);
    assert.ok(
      Math.abs((out.logZ as number) - (out.trueLogZ as number)) <
        6 * (out.logZStdErr as number) + 0.1,
    );
  });

  for (const [name, text, pattern] of [
    ['typo.yaml', TINY.replace('steps: 4', 'stepz: 4'), /sampler: unknown key 'stepz'/],
    [
      'kind.yaml',
      TINY.replace('uha-mcd', 'hmc'),
      /sampler\.kind: expected one of "ula", "uha", "ula-mcd", "uha-mcd", "ldvi", "cmcd", "cmcd-ud", got 'hmc'/,
    ],
    [
      'negative.yaml',
      TINY.replace('iterations: 6', 'iterations: -6'),
      /train\.iterations: expected more than 0, got -6/,
    ],
    ['broken.yaml', 'target: [unclosed', /is not valid YAML/],
    ['broken.json', '{"target": ', /is cut short/],
    ['comma.json', '{"target": 1,}', /is not valid JSON at line 1, column 14/],
    ['badtarget.yaml', TINY.replace('gaussian', 'gausian'), /unknown target 'gausian'/],
  ] as const) {
    it(`a bad config (${name}) gives one line naming the problem and exit status 2`, () => {
      const r = anneal('train', write(name, text), '--out', join(work, `out-${name}`));
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }

  it('a missing config file or run directory is named', () => {
    const r = anneal('train', join(work, 'nope.yaml'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /config file not found: '.*nope\.yaml'/);
    const r2 = anneal('train', '--resume', join(work, 'no-run'));
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /run config not found/);
  });
});

describe('anneal logz with learned samplers', () => {
  it('--sampler uha --train-iters trains, then evaluates on fresh particles', () => {
    const r = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'uha',
      '--steps',
      '8',
      '--train-iters',
      '5',
      '--train-particles',
      '64',
      '--particles',
      '500',
      '--seed',
      '2',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^trained\s+5 iterations \(0 skipped\)/m);
    assert.match(r.stdout, /^log Z\s+\d/m);
  });

  it('--train-iters with a fixed AIS sampler is refused', () => {
    const r = anneal('logz', '--target', 'gaussian', '--sampler', 'ais-hmc', '--train-iters', '5');
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /--train-iters applies to learned samplers \(ula, uha, ula-mcd, uha-mcd, ldvi, cmcd, cmcd-ud\), not ais-hmc/,
    );
  });
});

describe('SMC from the command line', () => {
  const SMC = `seed: 4
target: { name: gaussian }
sampler: { kind: uha, steps: 4, resampling: { scheme: gst, groupSize: 16 } }
train: { iterations: 4, particles: 32, logEvery: 1, checkpointEvery: 2 }
eval: { particles: 320, batches: 10 }
`;
  it('anneal train with resampling: SMC bound by default, per-system evaluation, exact resume', () => {
    const config = write('smc.yaml', SMC);
    const straight = join(work, 'smc-straight');
    const r1 = anneal('train', config, '--out', straight, '--quiet');
    assert.equal(r1.status, 0, r1.stderr);
    const resolved = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8')) as {
      train: { objective: unknown };
    };
    assert.deepEqual(resolved.train.objective, { kind: 'iw', groupSize: 16 });
    const evaluation = JSON.parse(readFileSync(join(straight, 'eval.json'), 'utf8')) as {
      smcBound: { systems: number; particlesPerSystem: number; value: number };
      logZ: number;
    };
    assert.equal(evaluation.smcBound.systems, 20);
    assert.equal(evaluation.smcBound.particlesPerSystem, 16);
    // Jensen: the mean of log Z-hat over systems is below the log of their mean.
    assert.ok(evaluation.smcBound.value <= evaluation.logZ + 1e-9);

    const split = join(work, 'smc-split');
    assert.equal(anneal('train', config, '--out', split, '--stop-after', '2', '--quiet').status, 0);
    assert.equal(anneal('train', '--resume', split, '--quiet').status, 0);
    assert.deepEqual(
      metrics(split).map((r) => [r.iteration, r.loss, r.gradNorm]),
      metrics(straight).map((r) => [r.iteration, r.loss, r.gradNorm]),
    );
  });

  it('a step-size network (stepSizeNet) trains, checkpoints its weights and evaluates with --from', () => {
    const dir = join(work, 'smc-stepnet');
    const config = write(
      'smc-stepnet-ok.yaml',
      SMC.replace('steps: 4,', 'steps: 4, stepSizeNet: { width: 8 },'),
    );
    const r = anneal('train', config, '--out', dir, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const params = (
      JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as {
        params: Record<string, { shape: number[] }>;
      }
    ).params;
    assert.deepEqual(params['stepSizes.embedding']?.shape, [4, 8]);
    assert.ok(!('stepSizes.log' in params));
    const e = anneal('logz', '--from', dir, '--particles', '320', '--json');
    assert.equal(e.status, 0, e.stderr);
    assert.ok(Number.isFinite((JSON.parse(e.stdout) as { logZ: number }).logZ));
  });

  for (const [name, text, pattern] of [
    [
      'smc-group.yaml',
      SMC.replace('groupSize: 16', 'groupSize: 24'),
      /sampler\.resampling\.groupSize: must divide train\.particles \(32\)/,
    ],
    [
      'smc-scheme.yaml',
      SMC.replace('scheme: gst', 'scheme: gumbel'),
      /sampler\.resampling\.scheme: .*"gst"/,
    ],
    [
      'smc-stepnet.yaml',
      SMC.replace('steps: 4,', 'steps: 4, stepSize: 0.3, stepSizeNet: { width: 8 },'),
      /sampler\.stepSize: must be below stepSizeNet\.scale/,
    ],
    [
      'smc-bern.yaml',
      SMC.replace('scheme: gst', 'scheme: bern-cat, essThreshold: 0.5'),
      /Bernoulli draw on the ESS; drop the ESS threshold/,
    ],
  ] as const) {
    it(`a bad SMC config (${name}) gives one line naming the problem and exit status 2`, () => {
      const r = anneal('train', write(name, text), '--out', join(work, `out-${name}`));
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }

  it('anneal logz --sampler smc-hmc with adaptive resampling reports the SMC bound', () => {
    const r = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'smc-hmc',
      '--steps',
      '10',
      '--particles',
      '400',
      '--resampling',
      'stratified',
      '--ess-threshold',
      '0.5',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sampler\s+smc-hmc \(stratified, when ESS < 0\.5 N\)/m);
    assert.match(r.stdout, /^SMC bound\s+-?\d.* \(mean log Z-hat of 10 systems of 40\)/m);
  });

  it('resampling options without an SMC sampler are refused', () => {
    const r = anneal('logz', '--target', 'gaussian', '--sampler', 'ais-ula', '--resampling', 'gst');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /need an SMC sampler \(smc-ula, smc-uha, smc-hmc, smc-mala\)/);
  });
});

describe('anneal plot', () => {
  it('train leaves training and per-step pictures; plot redraws them elsewhere and refuses what is not a run', () => {
    const s = scratch('anneal-plot-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'funnel', dim: 3 },
        sampler: { kind: 'ula', steps: 6 },
        train: { iterations: 6, particles: 16, logEvery: 2 },
        eval: { particles: 100 },
      }),
    );
    const run = join(s.dir, 'run');
    assert.equal(anneal('train', config, '--out', run, '--quiet').status, 0);
    for (const name of ['training.svg', 'steps.svg']) {
      const svg = readFileSync(join(run, name), 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      // Both panels of each picture are drawn.
      assert.ok((svg.match(/role-axis/g) ?? []).length >= 4, name);
    }
    const steps = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')) as {
      perStepLogZ: number[];
    };
    assert.equal(steps.perStepLogZ.length, 6);
    const out = join(s.dir, 'pictures');
    mkdirSync(out);
    const r = anneal('plot', run, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      join(out, 'training.svg'),
      join(out, 'steps.svg'),
    ]);
    const bad = anneal('plot', s.dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /is not a run directory \(no config.json\)/);
    const noOut = anneal('plot', run, '--out', join(s.dir, 'nowhere'));
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /--out '.*nowhere' does not exist/);
  });
});

describe('resuming damaged runs', () => {
  it('a run killed before its first checkpoint resumes from iteration 0, exactly, and stale temporaries go', () => {
    const s = scratch('anneal-early-kill-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'gaussian', dim: 2 },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 6, particles: 16, logEvery: 2, checkpointEvery: 3 },
        eval: { particles: 100 },
      }),
    );
    const straight = join(s.dir, 'straight');
    assert.equal(anneal('train', config, '--out', straight, '--quiet').status, 0);
    // What a kill before the first checkpoint leaves: config.json, and a half-written temporary.
    const killed = join(s.dir, 'killed');
    mkdirSync(killed);
    writeFileSync(join(killed, 'config.json'), readFileSync(join(straight, 'config.json')));
    writeFileSync(join(killed, 'checkpoint.json.tmp-99999'), '{"version":');
    const r = anneal('train', '--resume', killed, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(killed, 'checkpoint.json.tmp-99999')), false);
    const strip = (rows: Record<string, number>[]) => rows.map(({ seconds: _, ...rest }) => rest);
    assert.deepEqual(strip(metrics(killed)), strip(metrics(straight)));
    const logZ = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { logZ: number }).logZ;
    assert.equal(logZ(killed), logZ(straight));
  });

  it('a damaged or foreign checkpoint is refused in one line naming it', () => {
    const s = scratch('anneal-bad-checkpoint-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'gaussian', dim: 2 },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 6, particles: 16, logEvery: 2, checkpointEvery: 2 },
      }),
    );
    const run = join(s.dir, 'run');
    assert.equal(anneal('train', config, '--out', run, '--stop-after', '2', '--quiet').status, 0);
    const file = join(run, 'checkpoint.json');
    const good = readFileSync(file, 'utf8');
    type Ckpt = {
      params: Record<string, { shape: number[]; values: number[] }>;
      trainer: { rng: { key?: number[] } };
    };
    const cases: [(c: Ckpt) => void, RegExp][] = [
      [
        (c) => {
          const p = Object.values(c.params)[0] as { shape: number[]; values: number[] };
          p.shape = [p.values.length + 1];
        },
        /checkpoint '.*checkpoint.json' is damaged or from another version: params\..*: holds a different number of values than its shape/,
      ],
      [
        (c) => {
          delete c.trainer.rng.key;
        },
        /is damaged or from another version: trainer\.rng\.key: expected a list, got nothing/,
      ],
      [
        (c) => {
          const [name, p] = Object.entries(c.params)[0] as [
            string,
            { shape: number[]; values: number[] },
          ];
          c.params[name] = { ...p, shape: [...p.shape, 1] };
        },
        /the checkpoint in '.*run' does not fit its config \(parameter '.*' has shape/,
      ],
      [
        (c) => {
          c.params.extra = { shape: [1], values: [0] };
        },
        /does not fit its config \(the checkpoint has parameters this model lacks: extra\)/,
      ],
    ];
    for (const [damage, message] of cases) {
      const c = JSON.parse(good) as Ckpt;
      damage(c);
      writeFileSync(file, JSON.stringify(c));
      const r = anneal('train', '--resume', run, '--quiet');
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });

  it('a damaged metrics.jsonl is named with its line on resume', () => {
    const s = scratch('anneal-bad-metrics-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'gaussian', dim: 2 },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 6, particles: 16, logEvery: 2, checkpointEvery: 2 },
      }),
    );
    const run = join(s.dir, 'run');
    assert.equal(anneal('train', config, '--out', run, '--stop-after', '4', '--quiet').status, 0);
    writeFileSync(join(run, 'metrics.jsonl'), '{"iteration":2}\n{"iter');
    const r = anneal('train', '--resume', run, '--quiet');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /'.*metrics.jsonl' line 2 is not JSON: the run's metrics are damaged/);
  });
});

describe('divergence', () => {
  it('a run whose every iteration is skipped stops with exit 1, blames the learning rate and evaluates nothing', () => {
    const s = scratch('anneal-diverge-');
    for (const [command, config] of [
      [
        ['train'],
        {
          target: { name: 'funnel', dim: 4 },
          sampler: { kind: 'uha', steps: 8 },
          train: { iterations: 40, particles: 32, learningRate: 1e6, checkpointEvery: 1000 },
        },
      ],
      [
        ['flow', 'train'],
        {
          target: { name: 'mgm', dim: 2 },
          flow: { kind: 'realnvp', layers: 2 },
          train: { iterations: 40, batch: 64, learningRate: 1e6, checkpointEvery: 1000 },
        },
      ],
      [
        ['vae', 'train'],
        {
          data: { name: 'mnist', trainImages: 500 },
          model: { latentDim: 4, hidden: [16] },
          train: { epochs: 10, batch: 100, learningRate: 1e6 },
          eval: { testImages: 10, aisSteps: 0 },
        },
      ],
    ] as const) {
      const file = s.write(`${command.join('-')}.json`, JSON.stringify(config));
      const out = join(s.dir, command.join('-'));
      const r = anneal(...command, file, '--out', out, '--quiet');
      assert.equal(r.status, 1, `${command.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(
        r.stderr,
        /training diverged at iteration \d+: the last 25 iterations were all skipped .* the learning rate 1000000 is very large/,
      );
      assert.equal(existsSync(join(out, 'eval.json')), false);
      // The logged rows on the way into the divergence are kept, for a look at what went wrong.
      const rows = metrics(out);
      assert.ok(rows.length > 0 && (rows.at(-1)?.skipped as number) > 0, JSON.stringify(rows));
    }
    const logz = anneal(
      'logz',
      '--target',
      'funnel',
      '--sampler',
      'uha',
      '--steps',
      '8',
      '--train-iters',
      '40',
      '--lr',
      '1e6',
      '--particles',
      '100',
    );
    assert.equal(logz.status, 1, logz.stderr);
    assert.match(logz.stderr, /training diverged/);
  });
});

describe('interruption and concurrent use', () => {
  /** Starts `anneal ARGS` as a child process; its exit code and stderr once it ends. */
  const start = (...args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
      env: { ...process.env, ANNEAL_DEBUG: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, stderr })),
    );
    return { child, exited };
  };
  const waitFor = async (ready: () => boolean, what: string) => {
    for (let i = 0; i < 1200 && !ready(); i++) await sleep(20);
    assert.ok(ready(), `timed out waiting for ${what}`);
  };
  const lastIteration = (dir: string) => {
    try {
      return (
        JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as {
          trainer: { iteration: number };
        }
      ).trainer.iteration;
    } catch {
      return -1;
    }
  };

  it('SIGINT during the evaluation stops between batches, says training is checkpointed and how to evaluate; the resumed evaluation is the straight one', async () => {
    const s = scratch('anneal-sigint-eval-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'funnel', dim: 4 },
        sampler: { kind: 'ula', steps: 16 },
        train: { iterations: 2, particles: 16, checkpointEvery: 1 },
        // Long enough to be interrupted: 200 batches.
        eval: { particles: 400000, batches: 200 },
      }),
    );
    const run = join(s.dir, 'run');
    const { child, exited } = start('train', config, '--out', run, '--quiet');
    await waitFor(() => lastIteration(run) === 2, 'training to finish');
    await sleep(300);
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /^anneal: interrupted during the evaluation; training is finished and checkpointed \(iteration 2\); evaluate with: anneal train --resume (.*)\n$/,
    );
    assert.equal(existsSync(join(run, 'eval.json')), false);
    assert.equal(existsSync(join(run, '.lock')), false);
    const resumed = anneal('train', '--resume', run, '--quiet');
    assert.equal(resumed.status, 0, resumed.stderr);
    const straight = join(s.dir, 'straight');
    assert.equal(anneal('train', config, '--out', straight, '--quiet').status, 0);
    assert.deepEqual(evaluation(run), evaluation(straight));
    // kill -9 in the evaluation: nothing was written, and the resumed run evaluates in full.
    const killed = join(s.dir, 'killed');
    const second = start('train', config, '--out', killed, '--quiet');
    await waitFor(() => lastIteration(killed) === 2, 'training to finish');
    await sleep(300);
    second.child.kill('SIGKILL');
    await second.exited;
    assert.equal(existsSync(join(killed, 'eval.json')), false);
    const again = anneal('train', '--resume', killed, '--quiet');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(evaluation(killed), evaluation(straight));
    assert.deepEqual(
      readdirSync(killed).filter((f) => /\.tmp-\d+$|^\.lock$/.test(f)),
      [],
    );
  });

  it('SIGINT while the pictures are drawn: the run is complete, the message says how to draw them, no half-written picture', async () => {
    const s = scratch('anneal-sigint-pictures-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'gaussian', dim: 2 },
        sampler: { kind: 'ula', steps: 2 },
        train: { iterations: 4, particles: 8, logEvery: 1 },
        eval: { particles: 100 },
      }),
    );
    const run = join(s.dir, 'run');
    assert.equal(anneal('train', config, '--out', run, '--quiet').status, 0);
    // Many rows (all within the checkpoint's iterations, so resume keeps them) make the training
    // picture take seconds to draw.
    const rows = Array.from(
      { length: 300000 },
      (_, i) =>
        `${JSON.stringify({ iteration: 1 + (i % 4), loss: Math.sin(i), elbo: Math.cos(i), gradNorm: 1, learningRate: 0.005, skipped: 0, seconds: 0 })}\n`,
    ).join('');
    writeFileSync(join(run, 'metrics.jsonl'), rows);
    rmSync(join(run, 'eval.json'));
    rmSync(join(run, 'training.svg'));
    rmSync(join(run, 'steps.svg'));
    // A finished run resumed: it evaluates again, writes eval.json, then draws.
    const { child, exited } = start('train', '--resume', run, '--quiet');
    await waitFor(() => existsSync(join(run, 'eval.json')), 'the evaluation');
    await sleep(200);
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /^anneal: interrupted while drawing the pictures; the run itself is complete; draw them with: anneal plot .*run\n$/,
    );
    assert.deepEqual(
      readdirSync(run).filter((f) => /\.tmp-\d+$|^\.lock$/.test(f)),
      [],
      'temporaries or the lock left behind',
    );
    assert.equal(existsSync(join(run, 'steps.svg')), false, 'drawing went on after the signal');
    // kill -9 while drawing: a half-written picture never takes a picture's name, and the next
    // drawing clears what the killed one left.
    rmSync(join(run, 'eval.json'));
    rmSync(join(run, 'training.svg'), { force: true });
    const killed = start('train', '--resume', run, '--quiet');
    await waitFor(() => existsSync(join(run, 'eval.json')), 'the evaluation');
    await sleep(400);
    killed.child.kill('SIGKILL');
    await killed.exited;
    if (existsSync(join(run, 'training.svg')))
      assert.match(readFileSync(join(run, 'training.svg'), 'utf8'), /<\/svg>\s*$/);
    const plot = anneal('plot', run);
    assert.equal(plot.status, 0, plot.stderr);
    assert.match(readFileSync(join(run, 'training.svg'), 'utf8'), /<\/svg>\s*$/);
    assert.deepEqual(
      readdirSync(run).filter((f) => /\.tmp-\d+$/.test(f)),
      [],
    );
  });

  it('a damaged newest checkpoint resumes from the one before it, with a warning; the run ends as a straight one', () => {
    const s = scratch('anneal-damaged-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        seed: 4,
        target: { name: 'funnel', dim: 4 },
        sampler: { kind: 'uha', steps: 4 },
        train: { iterations: 12, particles: 16, logEvery: 1, checkpointEvery: 3 },
        eval: { particles: 200 },
      }),
    );
    const straight = join(s.dir, 'straight');
    assert.equal(anneal('train', config, '--out', straight, '--quiet').status, 0);
    for (const [damage, text] of [
      ['cut short', (t: string) => t.slice(0, Math.floor(t.length / 2))],
      ['emptied', () => ''],
      ['zeroed', (t: string) => '\0'.repeat(t.length)],
    ] as const) {
      const run = join(s.dir, damage);
      assert.equal(anneal('train', config, '--out', run, '--stop-after', '9', '--quiet').status, 0);
      assert.equal(lastIteration(run), 9);
      const file = join(run, 'checkpoint.json');
      writeFileSync(file, text(readFileSync(file, 'utf8')));
      const resumed = anneal('train', '--resume', run, '--quiet');
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(
        resumed.stderr,
        /^anneal: warning: checkpoint '.*checkpoint\.json' .*: the file is damaged; resuming from the checkpoint before it \(iteration 6\); the damaged file is kept as checkpoint\.damaged\.json\n$/,
      );
      const strip = (rows: Record<string, number>[]) => rows.map(({ seconds: _, ...rest }) => rest);
      assert.deepEqual(strip(metrics(run)), strip(metrics(straight)), damage);
      assert.deepEqual(evaluation(run), evaluation(straight), damage);
    }
  });

  it('SIGINT checkpoints the finished iteration and says how to resume; a second process is refused; a stale lock is taken over', async () => {
    const s = scratch('anneal-sigint-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'funnel', dim: 4 },
        sampler: { kind: 'ula', steps: 8 },
        train: { iterations: 1000000, particles: 32, logEvery: 10, checkpointEvery: 100000 },
      }),
    );
    const run = join(s.dir, 'run');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliEntry, 'train', config, '--out', run, '--quiet'],
      {
        env: { ...process.env, ANNEAL_DEBUG: '' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    // Wait until it trains (its lock and some metrics exist), then try a second process on it.
    for (let i = 0; i < 600 && !existsSync(join(run, '.lock')); i++) await sleep(50);
    await sleep(1500);
    const second = anneal('train', '--resume', run, '--quiet');
    assert.equal(second.status, 2);
    assert.match(
      second.stderr,
      new RegExp(
        `run directory '.*run' is in use by process ${child.pid}; wait for it to finish, or stop it first`,
      ),
    );
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    const m = /interrupted at iteration (\d+); resume with: anneal train --resume (.*)\n$/.exec(
      stderr,
    );
    assert.ok(m, stderr);
    assert.equal(m[2], run);
    const checkpoint = JSON.parse(readFileSync(join(run, 'checkpoint.json'), 'utf8')) as {
      trainer: { iteration: number };
    };
    assert.equal(checkpoint.trainer.iteration, Number(m[1]));
    assert.equal(existsSync(join(run, '.lock')), false);
    // A lock left by a process that is gone (kill -9) does not block the run.
    writeFileSync(join(run, '.lock'), '999999');
    const resumed = anneal(
      'train',
      '--resume',
      run,
      '--stop-after',
      String(Number(m[1]) + 5),
      '--quiet',
    );
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(existsSync(join(run, '.lock')), false);
  });
});

describe('crash safety', () => {
  it('kill -9 at arbitrary moments (checkpoint writes included), then resume: bit-identical, nothing left behind', async () => {
    const s = scratch('anneal-kill9-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        seed: 3,
        target: { name: 'funnel', dim: 4 },
        sampler: { kind: 'uha', steps: 8 },
        // A checkpoint after every iteration: most kills land in or near a write.
        train: { iterations: 400, particles: 32, logEvery: 1, checkpointEvery: 1 },
        eval: { particles: 200, batches: 4 },
      }),
    );
    const straight = join(s.dir, 'straight');
    assert.equal(anneal('train', config, '--out', straight, '--quiet').status, 0);
    const crashed = join(s.dir, 'crashed');
    // Each kill waits until the run has trained a few more iterations (start-up time varies with
    // the machine's load), then lands after a further seeded delay of 0-40 ms: inside an
    // iteration or inside a checkpoint write.
    const extra = [7, 31, 0, 23, 15, 38];
    const rows = () =>
      existsSync(join(crashed, 'metrics.jsonl'))
        ? readFileSync(join(crashed, 'metrics.jsonl'), 'utf8').split('\n').length - 1
        : 0;
    for (const wait of extra) {
      if (existsSync(join(crashed, 'eval.json'))) break;
      const resume = existsSync(join(crashed, 'config.json'));
      const args = resume
        ? ['train', '--resume', crashed, '--quiet']
        : ['train', config, '--out', crashed, '--quiet'];
      const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
        env: { ...process.env, ANNEAL_DEBUG: '' },
        stdio: 'ignore',
      });
      let done = false;
      const exited = new Promise<void>((resolve) =>
        child.on('exit', () => {
          done = true;
          resolve();
        }),
      );
      const before = rows();
      for (let i = 0; i < 1200 && !done && rows() < before + 25; i++) await sleep(10);
      await sleep(wait);
      child.kill('SIGKILL');
      await exited;
    }
    if (!existsSync(join(crashed, 'eval.json'))) {
      const last = anneal('train', '--resume', crashed, '--quiet');
      assert.equal(last.status, 0, last.stderr);
    }
    const strip = (rows: Record<string, number>[]) => rows.map(({ seconds: _, ...rest }) => rest);
    assert.deepEqual(strip(metrics(crashed)), strip(metrics(straight)));
    assert.deepEqual(evaluation(crashed), evaluation(straight));
    const left = readdirSync(crashed).filter((f) => /\.tmp-\d+$|^\.lock$/.test(f));
    assert.deepEqual(left, []);
  });
});
