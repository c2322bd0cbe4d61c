// Posterior helpers: weighted summaries against closed forms, equal-weight resampling, the ArviZ
// layout, and --samples from every sampler.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/engine/backend.js';
import { createTarget, estimateLogZ, Rng } from '../src/index.js';
import { arvizDict, posteriorSummary, resampleEqual } from '../src/eval/posterior.js';
import type { WeightedParticles } from '../src/eval/logZEstimate.js';

/** n standard normal draws in d dimensions, weighted towards N(mu, I) (exact importance weights). */
function tilted(n: number, d: number, mu: number, seed: number): WeightedParticles {
  const z = Float32Array.from(Rng.fromSeed(seed).normalArray(n * d));
  const logW = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += mu * (z[i * d + j] as number) - (mu * mu) / 2;
    logW[i] = s;
  }
  return { z, logW, count: n, dim: d };
}

describe('posterior helpers', () => {
  before(async () => {
    await initEngine();
  });

  it('equal weights give the plain mean, sd and order statistics, and ESS n', () => {
    const z = Float32Array.from([3, 1, 2, 5, 4]);
    const s = posteriorSummary(
      { z, logW: new Float32Array(5), count: 5, dim: 1 },
      { levels: [0.2, 0.6, 1 - 1e-9] },
    );
    const [c] = s.coordinates;
    assert.equal(c?.mean, 3);
    assert.ok(Math.abs((c?.sd as number) - Math.sqrt(2)) < 1e-12);
    assert.deepEqual(c?.quantiles, [1, 3, 5]);
    assert.ok(Math.abs(s.ess - 5) < 1e-9);
    assert.ok(Math.abs((c?.ess as number) - 5) < 1e-9);
  });

  it('importance weights towards N(0.5, I): means within 4 standard errors, sd near 1', () => {
    const s = posteriorSummary(tilted(20000, 3, 0.5, 1));
    for (const c of s.coordinates) {
      assert.ok(Math.abs(c.mean - 0.5) < 4 * c.mcse, `${c.name}: ${c.mean} ± ${c.mcse}`);
      assert.ok(Math.abs(c.sd - 1) < 0.05, `${c.name} sd ${c.sd}`);
      assert.ok(Math.abs((c.quantiles[1] as number) - 0.5) < 0.1, `${c.name} median`);
      assert.ok(c.ess < 20000 && c.ess > 5000, `${c.name} ess ${c.ess}`);
    }
    // The same run read as 10 groups: the standard error from their spread is of the same size.
    const g = posteriorSummary(tilted(20000, 3, 0.5, 1), { groups: 10 });
    assert.equal(g.mcseFromGroups, true);
    for (const [j, c] of g.coordinates.entries()) {
      const ratio = c.mcse / (s.coordinates[j]?.mcse as number);
      assert.ok(ratio > 0.4 && ratio < 2.5, `${c.name}: group mcse ratio ${ratio}`);
    }
  });

  it("the auto sampler's draws of a Gaussian posterior: its exact means within 4 standard errors", () => {
    // gaussian (dim 2): N(1, diag(0.5, 2)).
    const target = createTarget('gaussian', { dim: 2 });
    const r = estimateLogZ({ target, seed: 5, returnSamples: true });
    const samples = r.samples as WeightedParticles;
    const systems = r.auto?.systemLogZ.length as number;
    const s = posteriorSummary(samples, { groups: systems, names: ['a', 'b'] });
    const sd = [Math.sqrt(0.5), Math.sqrt(2)];
    s.coordinates.forEach((c, j) => {
      assert.ok(Math.abs(c.mean - 1) < 4 * c.mcse + 1e-3, `${c.name}: ${c.mean} ± ${c.mcse}`);
      assert.ok(Math.abs(c.sd / (sd[j] as number) - 1) < 0.1, `${c.name} sd ${c.sd}`);
    });
  });

  it('resampling to equal weights keeps each draw within one of its expected count', () => {
    const s = tilted(50, 1, 1, 3);
    const n = 1000;
    const equal = resampleEqual(s, n, Rng.fromSeed(4));
    const top = Math.max(...s.logW);
    const w = Array.from(s.logW, (v) => Math.exp(v - top));
    const total = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < s.count; i++) {
      const count = equal.z.filter((v) => v === s.z[i]).length;
      const expected = (n * (w[i] as number)) / total;
      assert.ok(Math.abs(count - expected) <= 1 + 1e-9, `draw ${i}: ${count} vs ${expected}`);
    }
  });

  it('the ArviZ layout: every coordinate as [chains][draws] of equal-weight draws', () => {
    const a = arvizDict(tilted(400, 2, 0.3, 5), Rng.fromSeed(6), { names: ['x', 'y'] });
    assert.deepEqual(Object.keys(a), ['posterior']);
    assert.deepEqual(Object.keys(a.posterior), ['x', 'y']);
    assert.equal(a.posterior.x?.length, 4);
    assert.equal(a.posterior.x?.[0]?.length, 100);
  });

  it('refuses groups that do not divide the draws, and levels outside (0, 1)', () => {
    const s = tilted(10, 1, 0, 1);
    assert.throws(
      () => posteriorSummary(s, { groups: 3 }),
      /groups must be an integer >= 2 that divides the 10 draws/,
    );
    assert.throws(
      () => posteriorSummary(s, { levels: [0, 0.5] }),
      /quantile levels must be in \(0, 1\)/,
    );
  });

  it('anneal logz --samples writes the draws of a fixed sampler, and the ArviZ layout', () => {
    const entry = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'anneal-samples-'));
    try {
      const run = (file: string) =>
        spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            entry,
            'logz',
            '--target',
            'gaussian',
            '--sampler',
            'smc-hmc',
            '--steps',
            '8',
            '--particles',
            '400',
            '--samples',
            join(dir, file),
          ],
          { encoding: 'utf8' },
        );
      const csv = run('draws.csv');
      assert.equal(csv.status, 0, csv.stderr);
      const lines = readFileSync(join(dir, 'draws.csv'), 'utf8').trim().split('\n');
      assert.equal(lines[0], 'z1,z2,logW');
      assert.equal(lines.length, 401);
      const az = run('draws.arviz.json');
      assert.equal(az.status, 0, az.stderr);
      const parsed = JSON.parse(readFileSync(join(dir, 'draws.arviz.json'), 'utf8')) as {
        posterior: Record<string, number[][]>;
      };
      assert.deepEqual(Object.keys(parsed.posterior), ['z1', 'z2']);
      assert.equal(parsed.posterior.z1?.length, 4);
      const bad = run('draws.txt');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /give a file ending in \.csv, \.json or \.arviz\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
