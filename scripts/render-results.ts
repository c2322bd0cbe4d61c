// Re-renders every results page from its JSON (scripts/render/results.ts lists them), or with
// --check only reports the pages that differ from their rendering (exit 1 if any).
//
//   npx tsx scripts/render-results.ts [--check]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { RESULT_PAGES, type Files } from './render/results.js';

const files: Files = {
  read: (path) => readFileSync(path, 'utf8'),
  list: (dir) => readdirSync(dir),
};
const check = process.argv.includes('--check');
let stale = 0;
for (const { page, render } of RESULT_PAGES) {
  const text = render(files);
  if (readFileSync(page, 'utf8') === text) continue;
  stale++;
  if (check) process.stderr.write(`${page} differs from its JSON's rendering\n`);
  else {
    writeFileSync(page, text);
    process.stderr.write(`wrote ${page}\n`);
  }
}
if (check && stale > 0) process.exit(1);
if (stale === 0) process.stderr.write('every results page matches its JSON\n');
