// A results table run in shards: three processes each run every third cell of a small MCD table
// (scripts/shards.ts), a fourth merges them, and the merged JSON equals the unsharded run's in
// every number but the wall times. A merge with a shard missing, or with other settings than the
// shards', is refused in one line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const SMALL = [
  ...['--targets', 'gmm8,sonar', '--kinds', 'ula,uha', '--steps', '2,4'],
  ...['--iterations', '2', '--train-particles', '8', '--eval-particles', '40'],
];
const script = (...args: string[]) => [
  '--import',
  'tsx',
  'scripts/mcd-table.ts',
  ...SMALL,
  ...args,
];
const run = (...args: string[]) =>
  spawnSync(process.execPath, script(...args), { encoding: 'utf8' });
/** Starts one shard as a process of its own; resolves with its exit status and stderr. */
const start = (...args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, script(...args), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stderr }));
  });

interface Table {
  generated: { shards?: number };
  rows: Record<string, unknown>[];
}
const table = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Table;
/** The rows without their wall times. */
const numbers = (t: Table) => t.rows.map(({ trainSeconds: _, evalSeconds: __, ...rest }) => rest);

describe('results tables in shards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anneal-shards-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('three shards in separate processes merge into the unsharded table, bit for bit', async () => {
    const whole = run('--out', join(dir, 'whole'));
    assert.equal(whole.status, 0, whole.stderr);
    const part = join(dir, 'part');
    const shards = await Promise.all(
      [1, 2, 3].map((i) => start('--out', part, '--shard', `${i}/3`)),
    );
    for (const s of shards) assert.equal(s.status, 0, s.stderr);
    for (const i of [1, 2, 3]) assert.ok(existsSync(`${part}.shard-${i}-of-3.json`));
    assert.equal(existsSync(`${part}.json`), false, 'a shard wrote the table');
    const merged = run('--out', part, '--merge-shards');
    assert.equal(merged.status, 0, merged.stderr);
    const a = table(join(dir, 'whole.json'));
    const b = table(`${part}.json`);
    assert.equal(b.rows.length, 8);
    assert.deepEqual(numbers(b), numbers(a));
    assert.equal(b.generated.shards, 3);
    assert.match(readFileSync(`${part}.md`, 'utf8'), /in 3 shards on /);
  });

  it('a merge with a shard missing or other settings is refused in one line', () => {
    const part = join(dir, 'lonely');
    const one = run('--out', part, '--shard', '1/2');
    assert.equal(one.status, 0, one.stderr);
    const missing = run('--out', part, '--merge-shards');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^--merge-shards: shard 2 of 2 not found beside .*lonely\n$/);
    const two = run('--out', part, '--shard', '2/2');
    assert.equal(two.status, 0, two.stderr);
    const other = run('--out', part, '--merge-shards', '--lr', '0.02');
    assert.equal(other.status, 2);
    assert.match(other.stderr, /the shards were run with other settings than this command has/);
    const bad = run('--out', part, '--shard', '3/2');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--shard: expected i\/n with 1 <= i <= n \(as 2\/5\), got '3\/2'/);
  });
});
