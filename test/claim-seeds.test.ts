// The claims over training seeds: scripts/mcd-seeds.ts and scripts/dsmcs-seeds.ts on tiny runs
// (pairs start equal, pages equal their rendering, bad flags refused in one line), the verdict
// rules, and the claims page and claim lines derived from the evidence JSON.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Files } from '../scripts/render/common.js';
import { claimVerdicts, renderClaims, withClaim } from '../scripts/render/claims.js';
import {
  dsmcsClaims,
  renderDsmcsSeeds,
  unnecessaryVerdict,
  type DsmcsSeedsData,
} from '../scripts/render/dsmcsSeeds.js';
import { pairSummaries, renderMcdSeeds, type McdSeedsData } from '../scripts/render/mcdSeeds.js';
import { exceedsVerdict, overSeeds } from '../scripts/render/overSeeds.js';

const work = mkdtempSync(join(tmpdir(), 'claim-seeds-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], {
    encoding: 'utf8',
  });

const mcdArgs = [
  ...['--targets', 'gmm8', '--dim', '3', '--steps', '2', '--seeds', '3,4'],
  ...['--train-particles', '8', '--eval-particles', '200'],
];

describe('scripts/mcd-seeds.ts', () => {
  it('starts each MCD run as exactly its base sampler, on the same evaluation stream', () => {
    const docs = join(work, 'mcd0');
    const r = run('mcd-seeds.ts', ...mcdArgs, '--iterations', '0', '--docs', docs);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(readFileSync(join(docs, 'mcd-seeds.json'), 'utf8')) as McdSeedsData;
    assert.deepEqual(
      data.rows.map((x) => `${x.seed} ${x.sampler}`),
      ['3 ula', '3 ula-mcd', '3 uha', '3 uha-mcd', '4 ula', '4 ula-mcd', '4 uha', '4 uha-mcd'],
    );
    // The score network's output layer starts at zero: untrained, MCD is its base sampler (to
    // float32 rounding: UHA-MCD's fused step adds the zero score in a different order).
    for (const p of pairSummaries(data)) {
      for (const d of [...p.elboDiffs, ...p.logZDiffs])
        assert.ok(Math.abs(d) < 1e-5, `${p.base}: ${d}`);
    }
  });

  it('trains the four samplers per seed and publishes the paired differences', () => {
    const docs = join(work, 'mcd');
    const r = run('mcd-seeds.ts', ...mcdArgs, '--iterations', '3', '--docs', docs);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(readFileSync(join(docs, 'mcd-seeds.json'), 'utf8')) as McdSeedsData;
    const page = readFileSync(join(docs, 'mcd-seeds.md'), 'utf8');
    assert.equal(page, renderMcdSeeds(data));
    const pairs = pairSummaries(data);
    assert.equal(pairs.length, 2);
    for (const p of pairs) {
      const rows = (kind: string) => data.rows.filter((x) => x.sampler === kind).map((x) => x.elbo);
      const expected = rows(`${p.base}-mcd`).map((x, i) => x - (rows(p.base)[i] as number));
      assert.deepEqual(p.elboDiffs, expected);
      assert.ok(
        p.elboDiffs.some((x) => x !== 0),
        'training moved the MCD runs',
      );
    }
    assert.match(
      page,
      /\*\*Verdict at this scale: (shown|refuted at this scale|not resolved at this scale)\*\*/,
    );
  });

  it('refuses bad flags in one line', () => {
    for (const [args, message] of [
      [['--targets', 'funnel'], /not one of the mixtures/],
      [['--seeds', '1'], /at least two training seeds/],
      [['--dim', '0'], /--dim must be an integer >= 1/],
      [['--initial-scale=-1'], /--initial-scale must be a positive number/],
      [['--ula-step', '0'], /--ula-step must be a positive number/],
    ] as const) {
      const r = run('mcd-seeds.ts', ...args, '--docs', join(work, 'no'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('scripts/dsmcs-seeds.ts', () => {
  it('trains DAIS and cat from each seed and publishes the claims', () => {
    const docs = join(work, 'dsmcs');
    const r = run(
      'dsmcs-seeds.ts',
      ...['--config', 'configs/dsmcs-static-small.yaml', '--seeds', '0,1', '--iterations', '10'],
      ...['--variants', 'none,cat', '--docs', docs, '--out', join(work, 'runs'), '--workers', '2'],
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const data = JSON.parse(readFileSync(join(docs, 'dsmcs-seeds.json'), 'utf8')) as DsmcsSeedsData;
    assert.deepEqual(
      data.runs.map((x) => `${x.seed} ${x.result.scheme}`),
      ['0 none', '0 cat', '1 none', '1 cat'],
    );
    const page = readFileSync(join(docs, 'dsmcs-seeds.md'), 'utf8');
    assert.equal(page, renderDsmcsSeeds(data));
    const c = dsmcsClaims(data);
    assert.equal(c.gstVerdict, null);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const [i, seed] of [0, 1].entries()) {
      const ess = (scheme: string) =>
        mean(
          data.runs.find((x) => x.seed === seed && x.result.scheme === scheme)?.result.finalEss ??
            [],
        );
      assert.ok(Math.abs((c.essDiff[i] as number) - (ess('cat') - ess('none'))) < 1e-12);
    }
    assert.match(page, /\(2\) not run/);
  });

  it('refuses bad flags in one line', () => {
    for (const [args, message] of [
      [['--variants', 'none,gst'], /must include none \(DAIS\) and cat/],
      [['--variants', 'none,cat,xyz'], /unknown 'xyz'/],
      [['--iterations', '15'], /multiple of 10/],
      [['--seeds', '2,2'], /each seed once/],
    ] as const) {
      const r = run('dsmcs-seeds.ts', ...args, '--docs', join(work, 'no'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('verdicts over seeds', () => {
  it('uses the 95% Student-t interval of the per-seed differences', () => {
    const o = overSeeds([1, 2, 3]);
    // sd 1, se 1/sqrt(3), t(0.975, 2) = 4.303
    assert.ok(Math.abs(o.t - 4.3027) < 1e-3);
    assert.ok(Math.abs(o.low - (2 - 4.3027 / Math.sqrt(3))) < 1e-3);
    assert.equal(exceedsVerdict([1, 2, 3]), 'not resolved at this scale');
    assert.equal(exceedsVerdict([1.9, 2, 2.1]), 'shown');
    assert.equal(exceedsVerdict([-1.9, -2, -2.1]), 'refuted at this scale');
    assert.equal(exceedsVerdict([1.9, 2, 2.1], false), 'not measurable at this scale');
  });

  it('counts "unnecessary" as shown only when the relaxed gradient gains at most the margin', () => {
    assert.equal(unnecessaryVerdict([-0.2, 0.1, -0.1]), 'shown');
    assert.equal(unnecessaryVerdict([-3, -2.5, -2.8]), 'shown');
    assert.equal(unnecessaryVerdict([1.0, 1.2, 1.1]), 'refuted at this scale');
    assert.equal(unnecessaryVerdict([-1, 1, 0.5]), 'not resolved at this scale');
  });
});

describe('the claims page', () => {
  const mcd: McdSeedsData = {
    generated: { date: '2026-01-01', machine: 'test' },
    command: 'c',
    largerCommand: 'l',
    iterations: 1,
    trainParticles: 2,
    evalParticles: 100,
    lr: 0.01,
    mixtureLoc: 10,
    mixtureDim: 200,
    mixtureInitialScale: 6,
    frozen: [],
    rows: [0, 1, 2].flatMap((seed) =>
      ['ula', 'ula-mcd', 'uha', 'uha-mcd'].map((sampler) => ({
        target: 'gmm8',
        dim: 200,
        sampler,
        steps: 64,
        logZ: -10,
        logZStdErr: 1,
        // MCD above its base by 5 +- 0.1 in every seed.
        elbo: sampler.endsWith('mcd') ? -95 + 0.1 * seed : -100,
        elboStdErr: 1,
        ess: 0.001,
        essCount: 1,
        logZStdErrReliable: false,
        trueLogZ: 0,
        skipped: 0,
        trainSeconds: 1,
        evalSeconds: 1,
        seed,
      })),
    ),
  };
  const files = (extra: Record<string, unknown>): Files => ({
    read: (path) => {
      const name = path.replace('docs/results/', '');
      return name in extra ? JSON.stringify(extra[name]) : readFileSync(path, 'utf8');
    },
    list: () => Object.keys(extra),
  });

  it('derives each verdict from its evidence JSON', () => {
    const v = claimVerdicts(files({ 'mcd-seeds.json': mcd }));
    assert.equal(v.mcd.verdict, 'shown');
    assert.match(v.mcd.evidence[0] as string, /log Z not ranked/);
    // Reversed, the same evidence refutes it.
    const reversed = { ...mcd, rows: mcd.rows.map((r) => ({ ...r, elbo: -r.elbo - 200 })) };
    assert.equal(
      claimVerdicts(files({ 'mcd-seeds.json': reversed })).mcd.verdict,
      'refuted at this scale',
    );
    // No evidence, no verdict.
    assert.equal(claimVerdicts(files({})).dsmcs.verdict, 'not resolved at this scale');
    const page = renderClaims(files({ 'mcd-seeds.json': mcd }));
    assert.match(
      page,
      /## Doucet et al\. 2022: Monte Carlo Diffusion[\s\S]*\*\*Verdict: shown\.\*\*/,
    );
  });

  it('puts the claim and verdict right under a page title', () => {
    const page = withClaim('# Title\n\nbody\n', 'mcd', files({ 'mcd-seeds.json': mcd }), 'Role.');
    const lines = page.split('\n');
    assert.equal(lines[0], '# Title');
    assert.match(lines[2] as string, /^\*\*Claim\*\* \(Doucet et al\. 2022\)/);
    assert.match(lines[4] as string, /^\*\*Verdict over training seeds: shown\*\*.*Role\.$/);
    assert.match(page, /body/);
  });
});
