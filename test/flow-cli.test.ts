// `anneal flow train` and `anneal flow eval`, end to end.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { anneal, metricRows as metrics, scratch } from './helpers/cli.js';

const { dir: work, write } = scratch('anneal-flow-');
const REVERSE = `seed: 2
target: { name: gaussian }
flow: { kind: realnvp, layers: 2, hidden: [8] }
train: { iterations: 6, batch: 64, learningRate: 0.01, logEvery: 1, checkpointEvery: 2 }
eval: { particles: 400, testSamples: 400 }
`;

describe('anneal flow', () => {
  it('FAB trains with its replay buffer, resumes exactly (buffer and step sizes too) and reports AIS', () => {
    const config = write(
      'fab.yaml',
      `seed: 3
target: { name: gaussian }
flow: { kind: realnvp, layers: 2, hidden: [8] }
train:
  iterations: 8
  batch: 32
  learningRate: 0.01
  logEvery: 1
  checkpointEvery: 3
  loss: { kind: fab, intermediate: 1, stepSize: 0.3, buffer: { maxBatches: 6, minBatches: 3, updatesPerPass: 3 } }
eval: { particles: 400, batches: 4, testSamples: 200 }
`,
    );
    const straight = join(work, 'fab-straight');
    const r = anneal('flow', 'train', config, '--out', straight, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.ok(Number.isFinite(out.aisLogZ) && Number.isFinite(out.aisMae), r.stdout);
    assert.equal((out.stepSizes as number[]).length, 1);
    const rows = metrics(straight);
    const split = join(work, 'fab-split');
    // Stopped mid-cycle (iteration 4 of a 3-update cycle): the queue of drawn minibatches resumes.
    assert.equal(
      anneal('flow', 'train', config, '--out', split, '--stop-after', '4', '--quiet').status,
      0,
    );
    assert.equal(anneal('flow', 'train', '--resume', split, '--quiet').status, 0);
    assert.deepEqual(
      metrics(split).map((m) => [m.iteration, m.loss, m.gradNorm, m.elbo]),
      rows.map((m) => [m.iteration, m.loss, m.gradNorm, m.elbo]),
    );
    // Evaluating the run again with its own evaluation's seed and sizes repeats its AIS estimate.
    const ev = anneal(
      ...['flow', 'eval', '--from', straight, '--particles', '400', '--batches', '4'],
      ...['--test-samples', '200', '--seed', '1000003', '--json'],
    );
    assert.equal(ev.status, 0, ev.stderr);
    const evOut = JSON.parse(ev.stdout) as Record<string, unknown>;
    assert.equal(evOut.aisLogZ, out.aisLogZ);
    assert.deepEqual(evOut.stepSizes, out.stepSizes);
    const text = anneal('flow', 'train', config, '--out', join(work, 'fab-text'), '--quiet');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /FAB \(alpha 2, replay buffer\)/);
    assert.match(text.stdout, /log Z \(AIS\) +-?\d/);
  });

  it('train writes a run directory; a stopped run resumes exactly; eval reads it', () => {
    const config = write('reverse.yaml', REVERSE);
    const straight = join(work, 'straight');
    const r1 = anneal('flow', 'train', config, '--out', straight, '--json');
    assert.equal(r1.status, 0, r1.stderr);
    const out = JSON.parse(r1.stdout) as Record<string, unknown>;
    assert.equal(out.completed, true);
    assert.equal(out.flow, 'realnvp');
    for (const f of ['config.json', 'checkpoint.json', 'metrics.jsonl', 'eval.json'])
      assert.ok(existsSync(join(straight, f)), f);
    const resolved = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8')) as {
      train: { loss: { kind: string; estimator: string } };
    };
    assert.deepEqual(resolved.train.loss, { kind: 'reverse-kl', estimator: 'path-fast' });
    const rows = metrics(straight);
    assert.deepEqual(
      rows.map((r) => r.iteration),
      [1, 2, 3, 4, 5, 6],
    );
    // The reported ELBO of reverse-KL training is a lower bound on log Z in expectation.
    const { trueLogZ } = JSON.parse(readFileSync(join(straight, 'eval.json'), 'utf8')) as {
      trueLogZ: number;
    };
    const meanElbo = rows.reduce((a, r) => a + (r.elbo as number), 0) / rows.length;
    assert.ok(meanElbo < trueLogZ, `mean ELBO ${meanElbo} vs log Z ${trueLogZ}`);

    const split = join(work, 'split');
    assert.equal(
      anneal('flow', 'train', config, '--out', split, '--stop-after', '3', '--quiet').status,
      0,
    );
    assert.ok(!existsSync(join(split, 'eval.json')));
    assert.equal(anneal('flow', 'train', '--resume', split, '--quiet').status, 0);
    assert.deepEqual(
      metrics(split).map((r) => [r.iteration, r.loss, r.gradNorm]),
      rows.map((r) => [r.iteration, r.loss, r.gradNorm]),
    );

    const e = anneal('flow', 'eval', '--from', straight, '--particles', '500', '--json');
    assert.equal(e.status, 0, e.stderr);
    const ev = JSON.parse(e.stdout) as Record<string, number>;
    assert.equal(ev.iterations, 6);
    assert.ok(ev.reverseEss! > 0 && ev.reverseEss! <= 1);
    assert.ok(ev.forwardEss! > 0 && ev.forwardEss! <= 1);
    assert.ok(Math.abs(ev.logZ! - ev.trueLogZ!) < 6 * ev.logZStdErr! + 0.05);
  });

  it('forward KL trains on target samples with the path-gradient form', () => {
    const config = write(
      'forward.yaml',
      REVERSE.replace('logEvery: 1', 'logEvery: 1, loss: { kind: forward-kl, trainSamples: 500 }'),
    );
    const r = anneal('flow', 'train', config, '--out', join(work, 'forward'), '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /; forward-kl \(path-fast\)$/m);
    assert.match(r.stdout, /^NLL\s+\d/m);
  });

  it('forward KL on phi^4, which has no exact sampler, trains on SMC-HMC samples with a plateau schedule', () => {
    const config = write(
      'phi4-forward.yaml',
      `seed: 1
target: { name: phi4, dim: 16, width: 4 }
flow: { kind: z2-nice, layers: 2, hidden: [8], checkerboardWidth: 4 }
train:
  iterations: 4
  batch: 64
  learningRate: 0.001
  lrSchedule: { kind: plateau, patience: 2 }
  loss: { kind: forward-kl, trainSamples: 256, samples: { kind: smc-hmc, annealSteps: 20, mcmcSteps: 10 } }
eval: { particles: 400 }
`,
    );
    const r = anneal('flow', 'train', config, '--out', join(work, 'phi4-forward'), '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /; forward-kl \(path-fast\)$/m);
  });

  for (const [name, text, pattern] of [
    [
      'kind.yaml',
      REVERSE.replace('realnvp', 'glow'),
      /flow\.kind: expected one of "realnvp", "nice", "z2-nice", "u1-gauge", got 'glow'/,
    ],
    [
      'estimator.yaml',
      REVERSE.replace('logEvery: 1', 'logEvery: 1, loss: { kind: reverse-kl, estimator: fast }'),
      /train\.loss\.estimator: .*"path-fast"/,
    ],
    ['typo.yaml', REVERSE.replace('layers: 2', 'layer: 2'), /flow: unknown key 'layer'/],
    [
      'nosamples.yaml',
      REVERSE.replace('gaussian', 'sonar').replace(
        'logEvery: 1',
        'logEvery: 1, loss: { kind: forward-kl }',
      ),
      /forward KL needs samples, and target 'sonar' cannot draw them/,
    ],
  ] as const) {
    it(`a bad flow config (${name}) gives one line naming the problem and exit status 2`, () => {
      const r = anneal('flow', 'train', write(name, text), '--out', join(work, `out-${name}`));
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }
});

const U1 = `seed: 1
target: { name: u1, width: 4, beta: 1 }
flow: { kind: u1-gauge, layers: 4, hidden: [8], circularComponents: 2 }
train: { iterations: 4, batch: 64, learningRate: 0.01, checkpointEvery: 2 }
eval: { particles: 2000, batches: 10 }
`;

describe('anneal flow on U(1)', () => {
  it('trains a gauge flow, evaluates log Z against the exact value, and starts HMC-AIS from it', () => {
    const dir = join(work, 'u1');
    const r = anneal('flow', 'train', write('u1.yaml', U1), '--out', dir, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    assert.ok(Math.abs(out.trueLogZ! - 62.5867) < 1e-3, `exact log Z ${out.trueLogZ}`);
    assert.ok(Math.abs(out.logZ! - out.trueLogZ!) < 5 * out.logZStdErr!, JSON.stringify(out));
    const ais = anneal(
      'logz',
      '--target',
      'u1',
      '--width',
      '4',
      '--beta',
      '1',
      '--sampler',
      'ais-hmc',
      '--steps',
      '2',
      '--particles',
      '400',
      '--leapfrog',
      '1',
      '--init-flow',
      dir,
      '--json',
    );
    assert.equal(ais.status, 0, ais.stderr);
    const a = JSON.parse(ais.stdout) as Record<string, number>;
    assert.ok(Math.abs(a.logZ! - a.trueLogZ!) < 5 * a.logZStdErr! + 0.05, JSON.stringify(a));
    const bad = anneal(
      'flow',
      'train',
      write('u1-bad.yaml', U1.replace('width: 4', 'width: 6')),
      '--out',
      join(work, 'u1-bad'),
    );
    assert.equal(bad.status, 2, bad.stderr);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /lattice width divisible by 4, got 6/);
  });
});

describe('anneal logz --init-flow', () => {
  it('starts AIS and learned samplers from a trained flow; a wrong dimension is refused', () => {
    const dir = join(work, 'init-flow');
    const config = write('init.yaml', REVERSE.replace('iterations: 6', 'iterations: 3'));
    assert.equal(anneal('flow', 'train', config, '--out', dir, '--quiet').status, 0);
    const r = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'ais-hmc',
      '--steps',
      '4',
      '--particles',
      '200',
      '--init-flow',
      dir,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    assert.ok(Math.abs(out.logZ! - out.trueLogZ!) < 6 * out.logZStdErr! + 0.1);
    const bad = anneal('logz', '--target', 'funnel', '--sampler', 'ais-hmc', '--init-flow', dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--init-flow: the flow in .* has dim 2, the target 10/);
    const learned = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'uha',
      '--steps',
      '4',
      '--particles',
      '200',
      '--train-iters',
      '2',
      '--train-particles',
      '32',
      '--init-flow',
      dir,
    );
    assert.equal(learned.status, 0, learned.stderr);
    assert.match(learned.stdout, /^trained\s+2 iterations/m);
    // A training config can start from the flow too (sampler.initialFlow, a run directory).
    const trainConfig = write(
      'from-flow.yaml',
      `target: { name: gaussian }\nsampler: { kind: ula, steps: 4, initialFlow: ${JSON.stringify(dir)} }\ntrain: { iterations: 2, particles: 32 }\neval: { particles: 200 }\n`,
    );
    const t = anneal('train', trainConfig, '--out', join(work, 'from-flow'), '--json');
    assert.equal(t.status, 0, t.stderr);
    const checkpoint = JSON.parse(
      readFileSync(join(work, 'from-flow', 'checkpoint.json'), 'utf8'),
    ) as {
      params: Record<string, unknown>;
    };
    assert.ok(!('initial.mean' in checkpoint.params), 'the flow replaces the learned Gaussian');
  });
});
