// Re-rendering the results pages from their JSON (scripts/render/results.ts lists them). Scripts
// call it after writing their JSON into docs/results, so the pages that read it too (the claims
// page, and every page's claim and verdict lines) never lag behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PublishedData } from './render/published.js';
import { RESULT_PAGES, type Files } from './render/results.js';

const files: Files = {
  read: (path) => readFileSync(path, 'utf8'),
  list: (dir) => readdirSync(dir),
};

/** The registered pages that differ from their rendering; each rewritten unless `check`. */
export function refreshResultPages(check = false): string[] {
  const stale: string[] = [];
  for (const { page, render } of RESULT_PAGES) {
    const text = render(files);
    if (existsSync(page) && readFileSync(page, 'utf8') === text) continue;
    stale.push(page);
    if (!check) writeFileSync(page, text);
  }
  return stale;
}

/** After a script wrote into `docs`: the repository's pages re-rendered, if that is docs/results. */
export function refreshAfterWriting(docs: string): void {
  if (resolve(docs) !== resolve('docs/results')) return;
  for (const page of refreshResultPages()) process.stderr.write(`wrote ${page}\n`);
}

/**
 * A script's page set beside the published numbers: `docs/NAME.json` and its rendering
 * `docs/NAME.md`, then the repository's pages refreshed (refreshAfterWriting).
 */
export function writePublishedPage<D>(
  docs: string,
  name: string,
  data: D,
  render: (data: D, published: PublishedData) => string,
): void {
  const published = JSON.parse(
    readFileSync(new URL('../docs/results/published.json', import.meta.url), 'utf8'),
  ) as PublishedData;
  mkdirSync(docs, { recursive: true });
  writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(`${docs}/${name}.md`, render(data, published));
  process.stderr.write(`wrote ${docs}/${name}.md and .json\n`);
  refreshAfterWriting(docs);
}
