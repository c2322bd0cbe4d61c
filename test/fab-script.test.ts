// scripts/fab.ts on a tiny run: every target x seed cell trains FAB with its preset and is
// evaluated as FAB evaluates; the page equals its rendering from the JSON and sets the published
// numbers beside it; bad flags are refused in one line with nothing written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderFab, type FabData } from '../scripts/render/fab.js';
import type { PublishedData } from '../scripts/render/published.js';

const work = mkdtempSync(join(tmpdir(), 'fab-script-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fab.ts', ...args], {
    encoding: 'utf8',
  });
const published = JSON.parse(readFileSync('docs/results/published.json', 'utf8')) as PublishedData;

describe('scripts/fab.ts', () => {
  it('trains FAB per seed and renders the page beside the published flow ESS', () => {
    const docs = join(work, 'docs');
    const r = run(
      ...['--targets', 'gmm40', '--seeds', '0,1', '--iterations', '6'],
      ...['--eval-particles', '400', '--eval-batch', '200', '--docs', docs],
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(readFileSync(join(docs, 'fab.json'), 'utf8')) as FabData;
    assert.deepEqual(
      data.rows.map((x) => `${x.target} ${x.seed}`),
      ['gmm40 0', 'gmm40 1'],
    );
    for (const row of data.rows) {
      assert.ok(row.flowEss > 0 && row.flowEss <= 1);
      assert.equal(row.trueLogZ, 0);
      assert.ok(Number.isFinite(row.aisLogZ) && (row.aisMae as number) >= 0);
      assert.ok(row.forwardEss !== null && row.nll !== null);
    }
    assert.equal(data.runs[0]?.iterations, 6);
    const page = readFileSync(join(docs, 'fab.md'), 'utf8');
    assert.equal(page, renderFab(data, published));
    assert.match(page, /\| flow reverse ESS \| .* \| 0\.64 \(/);
    assert.match(page, /Trained 6 gradient updates of the published 208300/);
  });

  it('refuses bad flags in one line and writes nothing', () => {
    const docs = join(work, 'bad');
    for (const args of [
      ['--targets', 'nope', '--iterations', '2'],
      ['--targets', 'gmm40'],
      ['--targets', 'gmm40', '--fraction', '2'],
      ['--targets', 'gmm40,funnel', '--fraction', 'gmm40=0.1'],
      ['--targets', 'gmm40', '--iterations', '2', '--eval-particles', '300', '--eval-batch', '200'],
    ]) {
      const r = run(...args, '--docs', docs);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.ok(!existsSync(docs));
  });
});
