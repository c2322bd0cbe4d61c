// A run directory's lock cannot be taken twice: two processes that find the same stale lock (left
// by a killed run) at the same instant never both take it over.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scratch } from './helpers/cli.js';

const runDir = fileURLToPath(new URL('../src/train/runDir.ts', import.meta.url));

/** A process id no process has (above Linux's pid_max): the lock's holder is gone. */
const DEAD = 0x3fffffff;

describe('run directory lock', () => {
  it('two processes racing for 40 stale locks: exactly one takes each', async () => {
    const { dir: work } = scratch('anneal-lock-');
    const pairs = 40;
    const dirs = Array.from({ length: pairs }, (_, k) => join(work, `run-${k}`));
    for (const d of dirs) {
      mkdirSync(d);
      writeFileSync(join(d, '.lock'), String(DEAD));
    }
    // Both processes wait for the same instants, then each tries every directory's lock at its own
    // instant and keeps what it got until both are done (a late try then meets a live holder).
    const start = Date.now() + 5000;
    const code = `
      const { lockRunDir } = await import(${JSON.stringify(runDir)});
      const dirs = ${JSON.stringify(dirs)};
      const out = [];
      for (let k = 0; k < dirs.length; k++) {
        const at = ${start} + k * 60;
        while (Date.now() < at) {}
        try {
          lockRunDir(dirs[k]);
          out.push('got');
        } catch (e) {
          out.push(/in use by process/.test(e.message) ? 'refused' : 'error: ' + e.message);
        }
      }
      while (Date.now() < ${start} + dirs.length * 60 + 1000) {}
      process.stdout.write(JSON.stringify(out));
    `;
    const run = () =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          code,
        ]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('close', (status) =>
          status === 0 ? resolve(JSON.parse(stdout) as string[]) : reject(new Error(stderr)),
        );
      });
    const [a, b] = await Promise.all([run(), run()]);
    for (let k = 0; k < pairs; k++) {
      const got = [a[k], b[k]].filter((r) => r === 'got').length;
      assert.equal(got, 1, `directory ${k}: ${a[k]} and ${b[k]}`);
      assert.ok(
        [a[k], b[k]].every((r) => r === 'got' || r === 'refused'),
        `${a[k]}, ${b[k]}`,
      );
    }
  });
});
