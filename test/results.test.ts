// Every results page is exactly the rendering of its JSON: no number in docs/results (or
// docs/performance.md) is typed by hand, and every markdown page there has a renderer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RESULT_PAGES, type Files } from '../scripts/render/results.js';

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
