// scripts/vae-mcd-paired.ts on a tiny setting: every training seed's four runs are made, and the
// published paired statistics are those of the runs' own per-image values (the mean difference
// over the same test images, its paired standard error), with the spread over seeds beside them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TINY_VAE_CONFIG } from './helpers/tinyVae.js';
import type { VaePairedData } from '../scripts/render/vaePaired.js';

const work = mkdtempSync(join(tmpdir(), 'vae-paired-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the script with `args`, as a user would. */
const script = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/vae-mcd-paired.ts', ...args], {
    encoding: 'utf8',
  });

describe('scripts/vae-mcd-paired.ts', () => {
  it('publishes the paired differences of the runs it made, per seed and over seeds', () => {
    const config = join(work, 'tiny.yaml');
    writeFileSync(config, TINY_VAE_CONFIG);
    const runs = join(work, 'runs');
    const docs = join(work, 'docs');
    const tiny = ['--config', config, '--seeds', '3,4', '--ula-steps', '3', '--uha-steps', '2'];
    tiny.push('--runs', runs, '--docs', docs);
    const r = script(...tiny);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(
      readFileSync(join(docs, 'vae-mcd-paired.json'), 'utf8'),
    ) as VaePairedData;
    assert.equal(data.runs.length, 8);
    assert.equal(data.pairs.length, 4);
    const perImage = (seed: number, kind: string) =>
      JSON.parse(readFileSync(join(runs, `seed-${seed}`, kind, 'per-image.json'), 'utf8')) as {
        ais: number[];
      };
    for (const p of data.pairs) {
      const base = perImage(p.seed, p.base).ais;
      const mcd = perImage(p.seed, `${p.base}-mcd`).ais;
      const d = mcd.map((x, i) => x - (base[i] as number));
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
      assert.equal(p.ais.images, 12);
      assert.ok(Math.abs(p.ais.diff - mean) < 1e-12, `${p.base} seed ${p.seed}`);
      assert.ok(Math.abs(p.ais.pairedStdErr - sd / Math.sqrt(12)) < 1e-12);
    }
    const page = readFileSync(join(docs, 'vae-mcd-paired.md'), 'utf8');
    assert.match(page, /95% interval \[[-+]\d+\.\d+, [-+]\d+\.\d+\]/);
    assert.match(page, /t\(0\.975, 1\)/);
    // A second run reuses every finished run (nothing retrained) and writes the same statistics.
    const again = script(...tiny);
    assert.equal(again.status, 0, again.stderr.slice(-2000));
    assert.match(again.stderr, /done before/);
    const second = JSON.parse(
      readFileSync(join(docs, 'vae-mcd-paired.json'), 'utf8'),
    ) as VaePairedData;
    assert.deepEqual(second.pairs, data.pairs);
  });

  it('refuses a single seed, a repeated seed, a bad count and a missing config, in one line', () => {
    for (const [args, message] of [
      [['--seeds', '1'], /at least two training seeds/],
      [['--seeds', '1,1'], /each seed once/],
      [['--epochs', '0'], /--epochs must be an integer >= 1/],
      [['--config', join(work, 'missing.yaml')], /config file not found/],
      [['--workers', '0'], /--workers must be an integer >= 1/],
    ] as const) {
      const r = script(...args, '--docs', join(work, 'no'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
