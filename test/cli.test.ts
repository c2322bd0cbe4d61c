// End-to-end checks of the command line, run as a user would (a child process per command).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readConfigObject } from '../src/cli/config.js';
import { parseCraftRunConfig } from '../src/flows/craftConfig.js';
import { parseFlowRunConfig } from '../src/flows/config.js';
import { parseVaeRunConfig } from '../src/models/vaeConfig.js';
import { parseRunConfig } from '../src/train/config.js';

const entry = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));

function anneal(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ANNEAL_DEBUG: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shipped configs', () => {
  it("every file in configs/ passes its command's validation", () => {
    const files = readdirSync('configs').filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 10);
    for (const f of files) {
      const raw = readConfigObject(join('configs', f), 'settings');
      // A flow run has a flow section, a CRAFT run a craft section, a VAE run a model section, a
      // sampler run none of them.
      const parse =
        'flow' in raw
          ? parseFlowRunConfig
          : 'craft' in raw
            ? parseCraftRunConfig
            : 'model' in raw
              ? parseVaeRunConfig
              : parseRunConfig;
      assert.doesNotThrow(() => parse(raw, f), f);
    }
  });
});

describe('anneal CLI', () => {
  it('targets lists every target with its dimension and whether log Z is known', () => {
    const r = anneal('targets');
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['gaussian', 'funnel', 'mgm', 'dsmcs-mixture', 'many-well'])
      assert.match(r.stdout, new RegExp(`^${name}\\s`, 'm'));
    const j = anneal('targets', '--json');
    const rows = JSON.parse(j.stdout) as { name: string; logZKnown: boolean; defaultDim: number }[];
    assert.equal(rows.find((t) => t.name === 'many-well')?.defaultDim, 32);
  });

  it('logz --per-step prints the readings of every step, with what each averages over', () => {
    const r = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'smc-hmc',
      '--steps',
      '6',
      '--particles',
      '400',
      '--seed',
      '2',
      '--per-step',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^acceptance {2}0\.\d{3} \(the mean over the steps/m);
    const table = r.stdout.split('\nper step\n')[1] ?? '';
    const rows = table.split('\n').filter((l) => /^\s+\d+\s/.test(l));
    assert.equal(rows.length, 6);
    assert.match(table, /^\s*step\s+beta\s+essFraction\s+essCount\s+logZ/m);
    assert.match(table, /^ {2}resampled: SMC: the fraction of systems that resampled/m);
  });

  it('plot draws the per-step readings of a saved logz --json report of any sampler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anneal-plot-report-'));
    try {
      const r = anneal(
        'logz',
        '--target',
        'gaussian',
        '--sampler',
        'ais-hmc',
        '--steps',
        '8',
        '--json',
      );
      assert.equal(r.status, 0, r.stderr);
      const file = join(dir, 'report.json');
      writeFileSync(file, r.stdout);
      const p = anneal('plot', file);
      assert.equal(p.status, 0, p.stderr);
      assert.equal(p.stdout.trim(), join(dir, 'report-steps.svg'));
      const svg = readFileSync(join(dir, 'report-steps.svg'), 'utf8');
      for (const series of ['ESS / N (per system)', 'running log Z', 'acceptance'])
        assert.ok(svg.includes(series), series);
      // The same picture from code.
      const { perStepSvg } = await import('../src/eval/plots.js');
      const fromCode = await perStepSvg((JSON.parse(r.stdout) as { perStep: never }).perStep);
      assert.ok(fromCode.startsWith('<svg') && fromCode.includes('running log Z'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logz --json prints exactly one JSON object with the documented keys', () => {
    const r = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'ais-hmc',
      '--steps',
      '20',
      '--particles',
      '200',
      '--seed',
      '1',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), [
      'target',
      'sampler',
      'steps',
      'particles',
      'logZ',
      'logZStdErr',
      'batchLogZ',
      'essCount',
      'logZStdErrReliable',
      'logZStdErrOver',
      'elbo',
      'ess',
      'acceptance',
      'diverged',
      'trueLogZ',
      'seconds',
      'warnings',
      'perStep',
      'perStepMeaning',
    ]);
    // Per-step readings always, with the legend of what each averages over.
    const perStep = out.perStep as Record<string, unknown>[];
    assert.equal(perStep.length, 20);
    const meaning = out.perStepMeaning as Record<string, string>;
    assert.deepEqual(Object.keys(meaning).sort(), Object.keys(perStep[0] ?? {}).sort());
    assert.match(meaning.essFraction ?? '', /averaged over the systems/);
    const mean = perStep.reduce((a, s) => a + (s.acceptance as number), 0) / perStep.length;
    assert.ok(Math.abs((out.acceptance as number) - mean) < 1e-9);
    // AIS particles are independent: the standard error is over them, flagged exactly when there
    // are under 100 effective particles, and then it is the one warning.
    assert.equal(out.logZStdErrOver, 'particles');
    assert.equal(out.logZStdErrReliable, (out.essCount as number) >= 100);
    assert.deepEqual(
      out.warnings,
      out.logZStdErrReliable
        ? []
        : [
            `the standard error rests on ${(out.essCount as number).toFixed(1)} effective particles, fewer than 100: it is itself too uncertain to say how far off log Z is (likely too small); use more particles`,
          ],
    );
    assert.equal(out.target, 'gaussian');
    assert.equal(out.steps, 20);
    // gaussian default: dim 2, variances (0.5, 2) -> log Z = log(2 pi) + 0.5 log(1) = log(2 pi)
    assert.ok(Math.abs((out.trueLogZ as number) - Math.log(2 * Math.PI)) < 1e-9);
    assert.ok(
      Math.abs((out.logZ as number) - (out.trueLogZ as number)) <
        5 * (out.logZStdErr as number) + 0.05,
    );
    // No progress bar when stderr is not a terminal: only the warnings of the JSON, one a line.
    assert.equal(
      r.stderr,
      (out.warnings as string[]).map((w) => `anneal: warning: ${w}\n`).join(''),
    );
    // A well-tuned HMC chain on a Gaussian has no diverged proposals.
    assert.equal(out.diverged, 0);
  });

  it('reports diverged HMC proposals (text and JSON); ULA, without accept/reject, has none to report', () => {
    const base = ['logz', '--target', 'funnel', '--steps', '16', '--particles', '200'];
    const hmc = [...base, '--sampler', 'ais-hmc', '--step-size', '1', '--seed', '2'];
    const text = anneal(...hmc);
    assert.equal(text.status, 0, text.stderr);
    const line = /^diverged\s+(\d+) proposals diverged .* first at step (\d+) of 16;/m.exec(
      text.stdout,
    );
    assert.ok(line, text.stdout);
    const json = JSON.parse(anneal(...hmc, '--json').stdout) as { diverged: number };
    assert.equal(json.diverged, Number(line[1]));
    // 16 steps of 200 proposals each; a step size this large diverges on the funnel's neck.
    assert.ok(json.diverged > 0 && json.diverged <= 16 * 200);
    const ula = anneal(...base, '--sampler', 'ais-ula', '--seed', '2', '--json');
    assert.equal((JSON.parse(ula.stdout) as { diverged: unknown }).diverged, null);
    assert.doesNotMatch(
      anneal(...base, '--sampler', 'ais-ula', '--seed', '2').stdout,
      /^diverged/m,
    );
  });

  it('the human-readable report names the estimate, its error and the exact value', () => {
    const r = anneal(
      'logz',
      '--target',
      'funnel',
      '--sampler',
      'ais-ula',
      '--steps',
      '8',
      '--particles',
      '100',
      '--seed',
      '1',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^log Z\s+-?\d+\.\d+ ± \d+\.\d+/m);
    // Eight ULA steps on the funnel leave a handful of effective particles: the error is flagged.
    assert.match(
      r.stdout,
      /^log Z .*\(standard error over 100 independent particles; unreliable: \d+\.\d effective particles, fewer than 100\)$/m,
    );
    assert.match(r.stdout, /^exact log Z\s+0\.0000 \(error [+-]\d/m);
    assert.match(r.stdout, /^time\s+\d+\.\d+ s on wasm/m);
  });

  for (const [args, pattern] of [
    [
      ['logz', '--target', 'nope'],
      /unknown target 'nope'.*gaussian, funnel, rings, mgm, dsmcs-mixture, many-well/,
    ],
    [['logz', '--target', 'funnel', '--sampler', 'mcmc'], /'mcmc' is invalid.*ais-ula, ais-hmc/],
    [
      ['logz', '--target', 'funnel', '--sampler', 'ais-ula', '--steps', 'ten'],
      /--steps: expected a number \(got 'ten'\)/,
    ],
    [['logz', '--target', 'funnel', '--particles', '-5'], /--particles: expected an integer > 0/],
    [
      ['logz', '--target', 'funnel', '--sampler', 'ais-ula', '--step-size', '0'],
      /--step-size: expected a number > 0/,
    ],
    [['logz', '--target', 'many-well', '--dim', '3'], /many-well.*dim/],
    [['logz', '--target', 'funnel', '--loc', '2'], /funnel/],
    [['logz'], /required option '--target/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ] as const) {
    it(`bad input ${args.join(' ')} -> one line on stderr, exit status 2`, () => {
      const r = anneal(...args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^anneal: /);
      assert.match(lines[0]!, pattern);
    });
  }

  it('a diverging sampler fails with one line that names the step, exit status 1', () => {
    const r = anneal(
      'logz',
      '--target',
      'many-well',
      '--dim',
      '2',
      '--sampler',
      'ais-ula',
      '--steps',
      '20',
      '--particles',
      '50',
      '--step-size',
      '5',
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stderr.trim(),
      /^anneal: non-finite log-weights .* first at step \d+ of 20 .*smaller step size$/,
    );
  });

  it('--help shows examples and exits 0', () => {
    const r = anneal('logz', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /--step-size/);
  });
});
