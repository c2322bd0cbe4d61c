// scripts/flow-smc.ts on a tiny run: every target x seed cell trains CRAFT and evaluates it before
// and after, the page equals its rendering from the JSON and quotes the published CRAFT and SMC
// rows at the same K, and bad flags are refused in one line with nothing written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderFlowSmc, type FlowSmcData } from '../scripts/render/flowSmc.js';
import type { PublishedData } from '../scripts/render/published.js';

const work = mkdtempSync(join(tmpdir(), 'flow-smc-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/flow-smc.ts', ...args], {
    encoding: 'utf8',
  });
const published = JSON.parse(readFileSync('docs/results/published.json', 'utf8')) as PublishedData;

describe('scripts/flow-smc.ts', () => {
  it('trains CRAFT per seed and renders the page beside the published rows at the same K', () => {
    const docs = join(work, 'docs');
    const r = run(
      ...['--targets', 'funnel', '--steps', '8', '--seeds', '0,1', '--iterations', '3'],
      ...['--methods', 'craft,aft', '--aft-iterations', '2'],
      ...['--particles', '64', '--layers', '2', '--hidden', '8', '--leapfrog', '2'],
      ...['--eval-particles', '300', '--eval-systems', '3', '--docs', docs],
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(readFileSync(join(docs, 'flow-smc.json'), 'utf8')) as FlowSmcData;
    assert.deepEqual(
      data.rows.map((x) => `${x.method} ${x.target} ${x.seed}`),
      ['craft funnel 0', 'craft funnel 1', 'aft funnel 0', 'aft funnel 1'],
    );
    for (const row of data.rows) {
      assert.ok(Number.isFinite(row.logZ) && Number.isFinite(row.logZBefore));
      assert.equal(row.trueLogZ, 0);
      assert.ok(Number.isFinite(row.finalLoss));
    }
    const page = readFileSync(join(docs, 'flow-smc.md'), 'utf8');
    assert.equal(page, renderFlowSmc(data, published));
    // The funnel at K = 8 is in the authors' file: CRAFT -0.979, SMC -0.424.
    assert.match(page, /\| CRAFT \| 2 \| .* \| -0\.979 ± /);
    assert.match(page, /\| SMC \(anneal: the flows before training\) \| 4 \| .* \| -0\.424 ± /);
    assert.match(page, /\| AFT \| 2 \| .* \| -?\d\.\d{3} ± /);
    assert.match(page, /AFT fits each step's flow once/);
    assert.match(page, /published CRAFT 0\.979: /);
    assert.match(page, /AFT: \|mean log Z - exact\| after training: anneal \d/);
  });

  it('decides against the published error only when the mean over seeds is clear of it', () => {
    const data = (logZs: number[]): FlowSmcData => ({
      generated: { date: '2026-12-08', machine: 'test (2 cores)' },
      command: 'c',
      largerCommand: 'l',
      settings: {
        steps: 32,
        layers: 4,
        hidden: 64,
        iterations: 10,
        particles: 100,
        learningRate: 0.001,
        hmcStepSize: 0.3,
        leapfrogSteps: 10,
        essThreshold: 0.3,
        evalParticles: 300,
        evalSystems: 3,
      },
      paperIterations: 2000,
      rows: logZs.map((logZ, seed) => ({
        target: 'funnel',
        seed,
        logZBefore: -0.3,
        logZBeforeStdErr: 0.01,
        logZ,
        logZStdErr: 0.01,
        trueLogZ: 0,
        finalLoss: 0.4,
        skipped: 0,
        trainSeconds: 1,
      })),
    });
    // Published CRAFT at K = 32: -0.114.
    assert.match(
      renderFlowSmc(data([-0.02, -0.03, -0.01]), published),
      /: at or below the published error\./,
    );
    assert.match(
      renderFlowSmc(data([-0.5, -0.52, -0.48]), published),
      /: above the published error/,
    );
    assert.match(renderFlowSmc(data([-0.5, 0.4, 0.1]), published), /: not resolved with 3 seeds/);
  });

  it('refuses bad flags in one line and writes nothing', () => {
    const docs = join(work, 'bad');
    for (const [args, message] of [
      [['--targets', 'nope'], /nope/],
      [['--steps', '0'], /--steps/],
      [['--ess-threshold', '2'], /--ess-threshold must be a fraction/],
      [['--eval-particles', '100', '--eval-systems', '3'], /equal size/],
      [['--lr=-1'], /--lr must be a positive number/],
    ] as const) {
      const r = run(...args, '--docs', docs);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(existsSync(docs), false);
  });
});
