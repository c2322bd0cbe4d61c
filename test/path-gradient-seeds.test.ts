// scripts/path-gradient-seeds.ts on a tiny lattice: both estimators are trained from each seed,
// the page's paired differences are those of the runs' own final and equal-time checkpoints, the
// verdict follows the interval over seeds, and bad flags are refused in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  renderPathSeeds,
  seedPairs,
  verdictOf,
  type PathSeedsData,
} from '../scripts/render/pathSeeds.js';

const work = mkdtempSync(join(tmpdir(), 'path-seeds-'));
after(() => rmSync(work, { recursive: true, force: true }));

const script = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/path-gradient-seeds.ts', ...args], {
    encoding: 'utf8',
  });

describe('scripts/path-gradient-seeds.ts', () => {
  it('trains both estimators from each seed and publishes their paired differences', () => {
    const docs = join(work, 'docs');
    const r = script(
      ...['--experiment', 'phi4', '--length', '2', '--width', '2', '--seeds', '5,6'],
      ...['--iterations', '4', '--every', '2', '--batch', '8', '--hidden', '4'],
      ...['--eval-particles', '200', '--docs', docs],
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(
      readFileSync(join(docs, 'path-gradient-phi4.json'), 'utf8'),
    ) as PathSeedsData;
    assert.deepEqual(
      data.runs.map((x) => `${x.estimator} ${x.seed}`),
      ['standard 5', 'path-fast 5', 'standard 6', 'path-fast 6'],
    );
    for (const run of data.runs) {
      assert.deepEqual(
        run.points.map((p) => p.iteration),
        [0, 2, 4],
      );
      const times = run.points.map((p) => p.trainSeconds as number);
      assert.equal(times[0], 0);
      assert.ok(times.every((t, i) => i === 0 || t >= (times[i - 1] as number)));
    }
    // Both estimators start from the same flow: equal ESS before any training.
    for (const seed of [5, 6]) {
      const [s, p] = ['standard', 'path-fast'].map(
        (e) => data.runs.find((x) => x.seed === seed && x.estimator === e)?.points[0]?.reverseEss,
      );
      assert.equal(s, p);
    }
    const pairs = seedPairs(data);
    assert.equal(pairs.length, 2);
    // A run's ESS is the mean of its last three checkpoints (here: all of them).
    for (const pair of pairs) {
      for (const [estimator, value] of [
        ['standard', pair.standard],
        ['path-fast', pair.path],
      ] as const) {
        const points = data.runs.find((x) => x.seed === pair.seed && x.estimator === estimator)
          ?.points as { reverseEss: number }[];
        const mean = points.reduce((a, p) => a + p.reverseEss, 0) / points.length;
        assert.ok(Math.abs(value - mean) < 1e-12, `${estimator} seed ${pair.seed}`);
      }
    }
    const page = readFileSync(join(docs, 'path-gradient-phi4.md'), 'utf8');
    assert.equal(page, renderPathSeeds(data));
    assert.match(
      page,
      /\*\*Verdict at this scale: (shown|refuted at this scale|not resolved at this scale|not measurable at this scale)\*\*/,
    );
    assert.match(page, /95% t-interval \[[-+]\d+\.\d+, [-+]\d+\.\d+\], 2 seeds/);
    assert.ok(readFileSync(join(docs, 'path-gradient-phi4.svg'), 'utf8').startsWith('<svg'));
  });

  it('calls a claim shown, refuted or unresolved from the interval over seeds', () => {
    assert.equal(verdictOf([0.1, 0.12, 0.11], true), 'shown');
    assert.equal(verdictOf([-0.1, -0.12, -0.11], true), 'refuted at this scale');
    assert.equal(verdictOf([0.1, -0.05, 0.02], true), 'not resolved at this scale');
    assert.equal(verdictOf([0.1, 0.12, 0.11], false), 'not measurable at this scale');
  });

  it('refuses bad flags in one line', () => {
    for (const [args, message] of [
      [['--seeds', '1'], /at least two training seeds/],
      [['--seeds', '1,1'], /each seed once/],
      [['--experiment', 'gmm'], /--experiment must be phi4 or u1/],
      [['--length', '1'], /--length must be an integer >= 2/],
      [['--lr', 'abc'], /--lr must be a positive number/],
      [['--name', 'Bad Name'], /--name must be lowercase letters, digits and dashes/],
    ] as const) {
      const r = script(...args, '--docs', join(work, 'no'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
