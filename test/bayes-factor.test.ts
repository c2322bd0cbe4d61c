// The log Bayes factor against a closed form: two Gaussian "models" whose normalizers differ by
// 0.5 log(det ratio). Independent runs add their variances; runs with the same seed share their
// random numbers, and only the paired error bar (from batch-by-batch differences) is right for them.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/engine/backend.js';
import { estimateLogZ, gaussianTarget } from '../src/index.js';
import { logBayesFactor } from '../src/eval/bayesFactor.js';

describe('logBayesFactor', () => {
  before(async () => {
    await initEngine();
  });

  it('matches the closed form, with error bars right for independent and for paired runs', () => {
    const a = gaussianTarget({ mean: [1, -1, 0.5], variance: [0.5, 2, 1] });
    const b = gaussianTarget({ mean: [1, -1, 0.5], variance: [0.6, 2, 1] });
    const exact = (a.logZ as number) - (b.logZ as number);
    assert.ok(Math.abs(exact - 0.5 * Math.log(0.5 / 0.6)) < 1e-9);
    const run = (target: typeof a, seed: number) =>
      estimateLogZ({ target, sampler: 'ais-hmc', steps: 16, particles: 500, stepSize: 0.3, seed });
    const paired: number[] = [];
    const pairedSe: number[] = [];
    const independentSe: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const ra = run(a, seed);
      const same = logBayesFactor(ra, run(b, seed), { paired: true });
      const other = logBayesFactor(ra, run(b, 1000 + seed));
      for (const bf of [same, other]) {
        const z = (bf.logBayesFactor - exact) / (bf.stdErr as number);
        assert.ok(Math.abs(z) < 4, `seed ${seed} ${bf.paired ? 'paired' : 'independent'}: z ${z}`);
      }
      paired.push(same.logBayesFactor);
      pairedSe.push(same.stdErr as number);
      independentSe.push(other.stdErr as number);
      assert.ok((same.correlation as number) > 0.5, `correlation ${same.correlation}`);
    }
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const m = mean(paired);
    const spread = Math.sqrt(paired.reduce((s, v) => s + (v - m) ** 2, 0) / (paired.length - 1));
    // The paired error bar is the spread the paired estimates really have (a factor-2 band for
    // 20 seeds and 10-batch error bars), and well below what independent runs would claim.
    const ratio = spread / mean(pairedSe);
    assert.ok(ratio > 0.5 && ratio < 2, `paired spread / SE ${ratio}`);
    assert.ok(
      mean(pairedSe) < 0.5 * mean(independentSe),
      `${mean(pairedSe)} vs ${mean(independentSe)}`,
    );
  });

  it('refuses a paired comparison of runs with different batches', () => {
    const r = { logZ: 0, logZStdErr: 0.1, batchLogZ: [0, 0.1, -0.1] };
    assert.throws(
      () => logBayesFactor(r, { ...r, batchLogZ: [0, 1] }, { paired: true }),
      /needs two runs with the same number of batches \(at least 2\), got 3 and 2/,
    );
  });

  it('anneal bayes-factor reads two saved reports', () => {
    const entry = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));
    const anneal = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { encoding: 'utf8' });
    const dir = mkdtempSync(join(tmpdir(), 'anneal-bf-'));
    try {
      for (const [file, dim] of [
        ['a.json', '2'],
        ['b.json', '4'],
      ] as const) {
        const r = anneal(
          'logz',
          '--target',
          'gaussian',
          '--dim',
          dim,
          '--sampler',
          'ais-hmc',
          '--steps',
          '16',
          '--seed',
          '3',
          '--json',
        );
        assert.equal(r.status, 0, r.stderr);
        writeFileSync(join(dir, file), r.stdout);
      }
      const r = anneal('bayes-factor', join(dir, 'a.json'), join(dir, 'b.json'), '--paired');
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /^log Bayes factor {2}-?\d+\.\d{4} ± \d+\.\d{4} \(gaussian over gaussian; paired over 10 batches, correlation -?\d\.\d{3}\)\n$/,
      );
      writeFileSync(join(dir, 'bad.json'), '{"logZ": 1}');
      const bad = anneal('bayes-factor', join(dir, 'a.json'), join(dir, 'bad.json'));
      assert.equal(bad.status, 2);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
      assert.match(
        bad.stderr,
        /not a report of anneal logz --json \(it needs logZ, logZStdErr and batchLogZ\)/,
      );
      const missing = anneal('bayes-factor', join(dir, 'a.json'), join(dir, 'none.json'));
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /^anneal: '.*none\.json' does not exist\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
