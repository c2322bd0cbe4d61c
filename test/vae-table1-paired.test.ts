// scripts/vae-table1-paired.ts on a tiny setting: IWAE-DReG and the AIS-trained decoder at each T
// train from every seed; the published comparisons are the runs' own per-image differences, the
// verdict follows the interval over seeds, and bad flags are refused in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TINY_VAE_CONFIG } from './helpers/tinyVae.js';
import {
  comparisons,
  renderVaeTable1Paired,
  type VaeTable1PairedData,
} from '../scripts/render/vaeTable1Paired.js';

const work = mkdtempSync(join(tmpdir(), 'vae-table1-paired-'));
after(() => rmSync(work, { recursive: true, force: true }));

const script = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/vae-table1-paired.ts', ...args], {
    encoding: 'utf8',
  });

describe('scripts/vae-table1-paired.ts', () => {
  it('compares the runs it made image by image, per seed and over seeds', () => {
    const config = join(work, 'tiny.yaml');
    writeFileSync(config, TINY_VAE_CONFIG);
    const runs = join(work, 'runs');
    const docs = join(work, 'docs');
    const r = script(
      ...['--config', config, '--seeds', '3,4', '--samples', '2', '--temperatures', '2,3'],
      ...['--ais-steps', '8', '--runs', runs, '--docs', docs, '--workers', '2'],
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(
      readFileSync(join(docs, 'vae-table1-paired.json'), 'utf8'),
    ) as VaeTable1PairedData;
    assert.deepEqual(
      data.runs.map((x) => `${x.seed} ${x.key}`),
      ['3 iwae-dreg', '3 ais-t2', '3 ais-t3', '4 iwae-dreg', '4 ais-t2', '4 ais-t3'],
    );
    // --ais-steps replaces the config's evaluation length.
    assert.ok(data.runs.every((x) => x.evaluation?.aisSteps === 8));
    const perImage = (seed: number, key: string) =>
      JSON.parse(readFileSync(join(runs, `seed-${seed}`, key, 'per-image.json'), 'utf8')) as {
        ais: number[];
      };
    assert.equal(data.pairs.length, 6);
    for (const p of data.pairs) {
      const a = perImage(p.seed, p.first).ais;
      const d = perImage(p.seed, p.second).ais.map((x, i) => x - (a[i] as number));
      const mean = d.reduce((s, x) => s + x, 0) / d.length;
      assert.ok(Math.abs(p.ais.diff - mean) < 1e-12, `${p.first} ${p.second} ${p.seed}`);
    }
    assert.deepEqual(
      comparisons(data).map((c) => `${c.second} - ${c.first}`),
      ['ais-t2 - iwae-dreg', 'ais-t3 - iwae-dreg', 'ais-t3 - ais-t2'],
    );
    const page = readFileSync(join(docs, 'vae-table1-paired.md'), 'utf8');
    assert.equal(page, renderVaeTable1Paired(data));
    assert.match(
      page,
      /\*\*Verdict at this scale: (shown|refuted at this scale|not resolved at this scale)\*\*/,
    );
  });

  it('refuses bad flags in one line', () => {
    for (const [args, message] of [
      [['--seeds', '1'], /at least two training seeds/],
      [['--temperatures', '5,5'], /each T once/],
      [['--temperatures', '1'], /--temperatures must be an integer >= 2/],
      [['--ais-steps', '0'], /--ais-steps must be an integer >= 1/],
      [['--config', join(work, 'missing.yaml')], /config file not found/],
    ] as const) {
      const r = script(...args, '--docs', join(work, 'no'), '--runs', join(work, 'no-runs'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
