// scripts/benchmark.ts on a tiny run: every target x method x seed cell runs from a mean-field
// start, the page equals its rendering from the JSON, published rows are found by their names in
// the authors' file, the best-ELBO comparison uses the margin, and bad flags are refused in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  benchmarkCells,
  ELBO_MARGIN,
  renderBenchmark,
  type BenchmarkData,
} from '../scripts/render/benchmark.js';
import type { PublishedData } from '../scripts/render/published.js';

const work = mkdtempSync(join(tmpdir(), 'benchmark-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/benchmark.ts', ...args], {
    encoding: 'utf8',
  });
const published = JSON.parse(readFileSync('docs/results/published.json', 'utf8')) as PublishedData;

describe('scripts/benchmark.ts', () => {
  it('runs each cell and renders the page beside the published row at the same K', () => {
    const docs = join(work, 'docs');
    const r = run(
      ...['--targets', 'sonar', '--methods', 'ula,cmcd', '--steps', '8', '--seeds', '0,1'],
      ...['--iterations', '3', '--mfvi-iterations', '20', '--eval-particles', '200'],
      ...['--particles', '16', '--docs', docs],
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(readFileSync(join(docs, 'benchmark.json'), 'utf8')) as BenchmarkData;
    assert.deepEqual(
      data.rows.map((x) => `${x.method} ${x.seed}`),
      ['ula 0', 'ula 1', 'cmcd 0', 'cmcd 1'],
    );
    for (const row of data.rows) {
      assert.ok(Number.isFinite(row.elbo) && Number.isFinite(row.logZ));
      // The mean-field start is fitted: its ELBO is a number, below log Z (a lower bound).
      assert.ok(row.mfviElbo !== null && row.mfviElbo < row.logZ + 50);
    }
    const page = readFileSync(join(docs, 'benchmark.md'), 'utf8');
    assert.equal(page, renderBenchmark(data, published));
    // sonar at K = 8 is in the authors' file: ULA -122.50, CMCD -112.27.
    const [sonar] = benchmarkCells(data, published);
    assert.equal(sonar?.cells.find((c) => c.method === 'cmcd')?.paper?.method, 'CMCD');
    assert.ok(Math.abs((sonar?.bestPaper?.elbo as number) - -112.27) < 0.01);
    assert.match(page, /\| CMCD \| 2 \| .* \| -112\.27 ± /);
  });

  it('judges the best ELBO against the best published one with the margin', () => {
    const row = (method: string, elbo: number) => ({
      target: 'sonar',
      method,
      steps: 8,
      seed: 0,
      mfviElbo: null,
      elbo,
      elboStdErr: 0.1,
      logZ: -108.4,
      logZStdErr: 0.1,
      logZStdErrReliable: true,
      ess: 0.5,
      skipped: 0,
      trainSeconds: 1,
    });
    const data = (elbo: number): BenchmarkData => ({
      generated: { date: '2026-12-07', machine: 'test (2 cores)' },
      command: 'c',
      largerCommand: 'l',
      settings: {
        steps: 8,
        iterations: 1,
        particles: 2,
        learningRate: 0.001,
        mfviIterations: 1,
        mfviLearningRate: 0.01,
        clipNorm: 10,
        objective: 'elbo',
        evalParticles: 100,
        ulaStep: 0.01,
        uhaStep: 0.01,
      },
      paperIterations: 150000,
      rows: [row('ula', -130), row('cmcd', elbo), { ...row('cmcd', elbo), seed: 1 }],
    });
    const within = renderBenchmark(data(-112.27 - ELBO_MARGIN / 2), published);
    assert.match(within, /within 0\.1 nats of the best published value or above it/);
    const below = renderBenchmark(data(-112.27 - 2 * ELBO_MARGIN), published);
    assert.match(below, /below the best published value by more than 0\.1 nats/);
  });

  it('refuses bad flags in one line', () => {
    for (const [args, message] of [
      [['--methods', 'ais-hmc'], /'ais-hmc' is not a learned sampler/],
      [['--targets', 'nope'], /unknown target 'nope'/],
      [['--objective', 'kl'], /--objective must be elbo or logvar/],
      [['--lr', '0'], /--lr must be a positive number/],
      [['--objective', 'logvar', '--methods', 'ula,uha'], /logvar runs for the ULA samplers/],
      [['--seeds', '1'], /at least two training seeds/],
    ] as const) {
      const r = run(...args, '--docs', join(work, 'no'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
