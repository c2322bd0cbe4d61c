// Re-renders every results page from its JSON (scripts/render/results.ts lists them), or with
// --check only reports the pages that differ from their rendering (exit 1 if any).
//
//   npx tsx scripts/render-results.ts [--check]
import { refreshResultPages } from './pages.js';

const check = process.argv.includes('--check');
const stale = refreshResultPages(check);
for (const page of stale)
  process.stderr.write(check ? `${page} differs from its JSON's rendering\n` : `wrote ${page}\n`);
if (check && stale.length > 0) process.exit(1);
if (stale.length === 0) process.stderr.write('every results page matches its JSON\n');
