// Regenerates the fixtures of test/golden.test.ts (test/fixtures/golden/<case>.json and
// capture.json) from this checkout's code: runs that test with ANNEAL_GOLDEN_CAPTURE=1, so each case
// runs twice (the two must agree) and is written instead of compared, then formats the fixtures.
//
// Run it only at a commit whose numbers you mean to pin: every later change is compared against
// them bit for bit. It refuses uncommitted changes under src/ and native/ (--allow-dirty records
// the commit as '<hash>-dirty'), and needs the native addon built (npm run build) on a machine of
// the SIMD level the test will run on (the fixtures record it; elsewhere the test is skipped).
//
//   npx tsx scripts/golden-capture.ts [--allow-dirty]
//
// To pin an older commit: `git worktree add /tmp/base <commit>`, npm ci there, copy
// test/golden.test.ts, this script and test/fixtures/golden/*.yaml into it, run the script there and
// copy test/fixtures/golden/*.json back.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';

const { values } = parseArgs({ options: { 'allow-dirty': { type: 'boolean', default: false } } });
const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test', 'fixtures', 'golden');
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

if (!existsSync(join(root, 'native', 'build', 'Release', 'anneal_native.node'))) {
  console.error('golden-capture: the native addon is not built (npm run build)');
  process.exit(1);
}
const dirty = git('status', '--porcelain', '--', 'src', 'native') !== '';
if (dirty && !values['allow-dirty']) {
  console.error('golden-capture: uncommitted changes under src/ or native/ (or --allow-dirty)');
  process.exit(1);
}
const commit = `${git('rev-parse', 'HEAD')}${dirty ? '-dirty' : ''}`;

const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/golden.test.ts'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ANNEAL_GOLDEN_CAPTURE: '1', ANNEAL_GOLDEN_COMMIT: commit },
  },
);
if (run.status !== 0) {
  console.error('golden-capture: the capture run failed; fixtures may be partly written');
  process.exit(run.status ?? 1);
}
for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
  const path = join(fixtures, file);
  const options = { ...(await resolveConfig(path)), filepath: path };
  writeFileSync(path, await format(readFileSync(path, 'utf8'), options));
}
console.log(`golden-capture: fixtures written in ${fixtures} from ${commit}`);
