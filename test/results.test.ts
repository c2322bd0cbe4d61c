// Every results page is exactly the rendering of its JSON: no number in docs/results (or
// docs/performance.md) is typed by hand, and every markdown page there has a renderer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RESULT_PAGES, type Files } from '../scripts/render/results.js';
import { parseBudget, planBudget } from '../scripts/budget.js';

const files: Files = {
  read: (path) => readFileSync(path, 'utf8'),
  list: (dir) => readdirSync(dir),
};

describe('results pages', () => {
  for (const { page, render } of RESULT_PAGES) {
    it(`${page} equals the rendering of its JSON`, () => {
      assert.equal(
        readFileSync(page, 'utf8'),
        render(files),
        `${page}: run npx tsx scripts/render-results.ts`,
      );
    });
  }

  it("the README's tarball size is the last package check's", () => {
    const pack = JSON.parse(readFileSync('docs/results/package.json', 'utf8')) as {
      tarball: { bytes: number; files: number };
    };
    const kb = Math.round(pack.tarball.bytes / 1000);
    assert.match(
      readFileSync('README.md', 'utf8'),
      new RegExp(`the tarball was ${kb} kB \\(${pack.tarball.files} files\\) at that run`),
    );
  });

  it('every markdown page in docs/results has a renderer', () => {
    const covered = new Set(RESULT_PAGES.map((p) => p.page));
    const pages = readdirSync('docs/results')
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/results/${f}`);
    assert.deepEqual(
      pages.filter((p) => !covered.has(p)),
      [],
    );
  });
});

describe('--budget of the results scripts', () => {
  it('gives every variant the most units that fit, sharing the workers, at least one', () => {
    // 2 variants at 3 s and 1 s per unit: 4 s per unit on one thread; on two, the longer variant
    // alone (3 s) bounds the wall time, not the even share (2 s).
    assert.equal(planBudget(1, { a: 3, b: 1 }, 1).units, 15);
    assert.equal(planBudget(1, { a: 3, b: 1 }, 2).units, 20);
    assert.equal(planBudget(1, { a: 1, b: 1, c: 1, d: 1 }, 2).units, 30);
    assert.equal(planBudget(0.01, { a: 3, b: 1 }, 1).units, 1);
    assert.deepEqual(planBudget(2, { a: 0.5 }, 1), {
      minutes: 2,
      secondsPerUnit: { a: 0.5 },
      units: 240,
    });
  });

  it('reads minutes > 0 and rejects anything else with a one-line error', () => {
    assert.equal(parseBudget(undefined), null);
    assert.equal(parseBudget('90'), 90);
    assert.equal(parseBudget('0.5'), 0.5);
    for (const bad of ['0', '-3', 'soon', ''])
      assert.throws(() => parseBudget(bad), /--budget must be a number of minutes > 0/);
  });
});
