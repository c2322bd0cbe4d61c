// Re-rendering the results pages from their JSON (scripts/render/results.ts lists them). Scripts
// call it after writing their JSON into docs/results, so the pages that read it too (the claims
// page, and every page's claim and verdict lines) never lag behind.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
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
