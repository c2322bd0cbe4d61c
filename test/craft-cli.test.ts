// `anneal craft train` and `anneal craft eval`, end to end: a run directory, an exact resume, the
// evaluation of a trained run, and bad configs and invocations refused in one line with nothing
// written.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { anneal, metricRows as metrics, scratch } from './helpers/cli.js';

const { dir: work, write } = scratch('anneal-craft-');
const CONFIG = `seed: 3
target: { name: gaussian, dim: 3 }
craft: { steps: 2, layers: 2, hidden: [8], hmc: { stepSize: 0.3, leapfrogSteps: 2, moves: 1 } }
train: { iterations: 6, particles: 64, learningRate: 0.01, logEvery: 1, checkpointEvery: 2 }
eval: { particles: 600, systems: 3 }
`;

describe('anneal craft', () => {
  it('train writes a run directory; a stopped run resumes exactly; eval reads it', () => {
    const config = write('craft.yaml', CONFIG);
    const straight = join(work, 'straight');
    const r = anneal('craft', 'train', config, '--out', straight, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number | boolean | string>;
    assert.equal(out.completed, true);
    assert.equal(out.steps, 2);
    assert.equal(out.systems, 3);
    for (const f of ['config.json', 'checkpoint.json', 'metrics.jsonl', 'eval.json'])
      assert.ok(existsSync(join(straight, f)), f);
    const rows = metrics(straight);
    assert.deepEqual(
      rows.map((x) => x.iteration),
      [1, 2, 3, 4, 5, 6],
    );
    // SMC's log Z is unbiased in Z: on a Gaussian it lands near the exact value.
    const e = JSON.parse(readFileSync(join(straight, 'eval.json'), 'utf8')) as Record<
      string,
      number
    >;
    assert.ok(Math.abs(e.logZ! - e.trueLogZ!) < 0.5, `log Z ${e.logZ} vs ${e.trueLogZ}`);

    const split = join(work, 'split');
    assert.equal(
      anneal('craft', 'train', config, '--out', split, '--stop-after', '3', '--quiet').status,
      0,
    );
    assert.ok(!existsSync(join(split, 'eval.json')));
    assert.equal(anneal('craft', 'train', '--resume', split, '--quiet').status, 0);
    assert.deepEqual(
      metrics(split).map((x) => [x.iteration, x.loss, x.gradNorm]),
      rows.map((x) => [x.iteration, x.loss, x.gradNorm]),
    );

    const ev = anneal('craft', 'eval', '--from', straight, '--particles', '900', '--json');
    assert.equal(ev.status, 0, ev.stderr);
    const got = JSON.parse(ev.stdout) as Record<string, number>;
    assert.equal(got.iterations, 6);
    assert.ok(Number.isFinite(got.logZ) && got.logZStdErr! > 0);
    const text = anneal('craft', 'eval', '--from', straight);
    assert.match(text.stdout, /^log Z\s+-?\d+\.\d{4} ± \d/m);
    assert.match(text.stdout, /^craft\s+2 steps, a RealNVP of 2 layers each; HMC 1 x 2 leapfrog/m);
  });

  for (const [name, text, pattern] of [
    ['typo.yaml', CONFIG.replace('layers: 2', 'layer: 2'), /craft: unknown key 'layer'/],
    [
      'stepsizes.yaml',
      CONFIG.replace('stepSize: 0.3', 'stepSize: [0.3, 0.2, 0.1]'),
      /craft\.hmc\.stepSize: give one step size or one per temperature step/,
    ],
    [
      'systems.yaml',
      CONFIG.replace('systems: 3', 'systems: 7'),
      /eval\.particles: must split into eval\.systems systems/,
    ],
    ['target.yaml', CONFIG.replace('gaussian', 'nope'), /nope/],
    ['iterations.yaml', CONFIG.replace('iterations: 6', 'iterations: -1'), /train\.iterations/],
  ] as const) {
    it(`a bad CRAFT config (${name}) gives one line naming the problem and exit status 2`, () => {
      const out = join(work, `out-${name}`);
      const r = anneal('craft', 'train', write(name, text), '--out', out);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.ok(!existsSync(out), 'nothing written');
    });
  }

  it('refuses eval of another kind of run, and uneven systems, in one line', () => {
    const flow = write(
      'flow.yaml',
      `target: { name: gaussian }
flow: { kind: realnvp, layers: 2, hidden: [8] }
train: { iterations: 2, batch: 32 }
eval: { particles: 100, testSamples: 100 }
`,
    );
    const flowDir = join(work, 'flow-run');
    assert.equal(anneal('flow', 'train', flow, '--out', flowDir, '--quiet').status, 0);
    const r = anneal('craft', 'eval', '--from', flowDir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /is a flow run, not a craft run; use anneal flow eval/);
    const u = anneal('craft', 'eval', '--from', join(work, 'straight'), '--systems', '7');
    assert.equal(u.status, 2, u.stderr);
    assert.match(u.stderr, /must split into --systems 7 systems/);
    assert.equal(u.stderr.trim().split('\n').length, 1);
  });
});
