// `anneal vae train` and `anneal vae eval`, end to end on a tiny IDX data set the test writes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { anneal, metricRows, scratch } from './helpers/cli.js';
import { idxBytes } from './helpers/idx.js';
import { matFile } from './helpers/mat.js';
import { PNG } from 'pngjs';
import { VAE_TRAIN_OBJECTIVES } from '../src/models/vaeConfig.js';
import { FORWARD_KL_ESTIMATORS, REVERSE_KL_ESTIMATORS } from '../src/flows/estimators.js';

const { dir: work, write } = scratch('anneal-vae-');

/** 60 training and 10 test "images" of 3 x 3 pixels: two stroke patterns plus noise. */
const data = join(work, 'data');
mkdirSync(data);
const images = (n: number, seed: number) =>
  Array.from({ length: n * 9 }, (_, i) => {
    const img = Math.floor(i / 9);
    const p = i % 9;
    const on = img % 2 === 0 ? p % 3 === 1 : Math.floor(p / 3) === 1;
    return on ? 230 : (i * 31 + seed) % 40;
  });
writeFileSync(join(data, 'train-images-idx3-ubyte'), idxBytes([60, 3, 3], images(60, 0)));
writeFileSync(join(data, 'train-labels-idx1-ubyte'), idxBytes([60], new Array(60).fill(0)));
writeFileSync(join(data, 't10k-images-idx3-ubyte'), idxBytes([10, 3, 3], images(10, 7)));
writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idxBytes([10], new Array(10).fill(0)));

const CONFIG = `seed: 3
data: { name: mnist, dir: ${JSON.stringify(data)}, validation: 10 }
model: { latentDim: 2, hidden: [8] }
train: { epochs: 2, batch: 10, learningRate: 0.01, objective: { kind: iwae-dreg, samples: 3 }, logEvery: 1 }
eval: { iwaeSamples: 200, aisSteps: 30, aisChains: 20, aisStepSize: 0.2, aisLeapfrog: 2 }
`;
const losses = (dir: string) => metricRows(dir).map((r) => r.loss);

describe('anneal vae', () => {
  it('the help of vae train, flow train and train names every objective, loss and estimator', () => {
    const vae = anneal('vae', 'train', '--help');
    assert.equal(vae.status, 0);
    for (const kind of VAE_TRAIN_OBJECTIVES) assert.match(vae.stdout, new RegExp(`\\b${kind}\\b`));
    const flow = anneal('flow', 'train', '--help');
    for (const name of [
      ...REVERSE_KL_ESTIMATORS,
      ...FORWARD_KL_ESTIMATORS,
      'reverse-kl',
      'forward-kl',
    ])
      assert.ok(flow.stdout.includes(name), name);
    const train = anneal('train', '--help');
    for (const name of ['ula', 'uha', 'ula-mcd', 'uha-mcd', 'elbo', 'iw'])
      assert.match(train.stdout, new RegExp(`\\b${name}\\b`));
  });

  it('trains into a run directory, checkpoints each epoch, resumes exactly, evaluates', () => {
    const config = write('vae.yaml', CONFIG);
    const straight = join(work, 'straight');
    const r = anneal('vae', 'train', config, '--out', straight, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      iterations: number;
      completed: boolean;
      evaluation: { iwae: number; ais: { mean: number; stdErr: number }; testImages: number };
    };
    // 50 training images (60 minus 10 for validation), batch 10: 5 iterations per epoch.
    assert.equal(out.iterations, 10);
    assert.equal(out.completed, true);
    assert.equal(out.evaluation.testImages, 10);
    for (const f of ['config.json', 'checkpoint.json', 'metrics.jsonl', 'eval.json'])
      assert.ok(existsSync(join(straight, f)), f);
    // AIS estimates log p(x); the IWAE bound lies below it (up to the AIS error).
    assert.ok(out.evaluation.ais.mean > out.evaluation.iwae - 0.1, JSON.stringify(out.evaluation));
    // per-image.json: each test image's values, whose means are the reported ones.
    const perImage = JSON.parse(readFileSync(join(straight, 'per-image.json'), 'utf8')) as Record<
      'elbo' | 'iwae' | 'ais',
      number[]
    >;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const key of ['elbo', 'iwae', 'ais'] as const) assert.equal(perImage[key].length, 10, key);
    assert.ok(Math.abs(mean(perImage.iwae) - out.evaluation.iwae) < 1e-9);
    assert.ok(Math.abs(mean(perImage.ais) - out.evaluation.ais.mean) < 1e-9);
    const split = join(work, 'split');
    const first = anneal('vae', 'train', config, '--out', split, '--stop-after', '5', '--quiet');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /stopped early; continue with: anneal vae train --resume/);
    const second = anneal('vae', 'train', '--resume', split, '--quiet');
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(losses(split), losses(straight), 'a resumed run continues exactly');
    const e = anneal('vae', 'eval', '--from', straight, '--ais-steps', '0', '--test-images', '4');
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, /^test images\s+4$/m);
    assert.match(e.stdout, /AIS log p\(x\)\s+skipped/);
    // BDMC on images simulated from the trained model: the reverse chains' upper bound lies above
    // the forward lower bound (up to their standard errors), and the gap is reported.
    const b = anneal(
      'vae',
      'eval',
      '--from',
      straight,
      '--bdmc',
      '6',
      '--test-images',
      '2',
      '--json',
    );
    assert.equal(b.status, 0, b.stderr);
    const bd = (JSON.parse(b.stdout) as { bdmc: Record<string, number> }).bdmc;
    assert.equal(bd['images'], 6);
    assert.ok(Number.isFinite(bd['gap']));
    assert.ok(
      bd['gap']! > -3 * Math.hypot(bd['lowerStdErr']!, bd['upperStdErr']!),
      JSON.stringify(bd),
    );
  });

  it('AIS-trained decoder: adapted step sizes are checkpointed, so a resumed run continues exactly', () => {
    const config = write(
      'ais.yaml',
      CONFIG.replace(
        '{ kind: iwae-dreg, samples: 3 }',
        '{ kind: ais, samples: 3, temperatures: 4, leapfrogSteps: 2 }',
      ).replace('aisSteps: 30', 'aisSteps: 0'),
    );
    const straight = join(work, 'ais-straight');
    const r = anneal('vae', 'train', config, '--out', straight, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const checkpoint = JSON.parse(readFileSync(join(straight, 'checkpoint.json'), 'utf8')) as {
      params: Record<string, { values: number[] }>;
    };
    const steps = checkpoint.params['ais.stepSizes']!.values;
    assert.equal(steps.length, 4);
    assert.ok(
      steps.every((v) => v !== 0.1 && v >= 0.001 && v <= 0.3),
      `adapted: ${steps}`,
    );
    const split = join(work, 'ais-split');
    assert.equal(
      anneal('vae', 'train', config, '--out', split, '--stop-after', '3', '--quiet').status,
      0,
    );
    assert.equal(anneal('vae', 'train', '--resume', split, '--quiet').status, 0);
    assert.deepEqual(losses(split), losses(straight));
  });

  it('a learned-sampler objective (ula-mcd): its parameters are checkpointed, resume is exact, eval reports its bound and draws pictures', () => {
    const config = write(
      'mcd.yaml',
      CONFIG.replace(
        '{ kind: iwae-dreg, samples: 3 }',
        '{ kind: ula-mcd, steps: 3, stepSize: 0.05 }',
      ).replace('aisSteps: 30', 'aisSteps: 0'),
    );
    const straight = join(work, 'mcd-straight');
    const r = anneal('vae', 'train', config, '--out', straight, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      evaluation: { elbo: number; elboKind: string; iwae: number };
    };
    assert.equal(out.evaluation.elboKind, 'ula-mcd');
    assert.ok(Number.isFinite(out.evaluation.elbo));
    const checkpoint = JSON.parse(readFileSync(join(straight, 'checkpoint.json'), 'utf8')) as {
      params: Record<string, { values: number[] }>;
    };
    const steps = checkpoint.params['sampler.stepSizes.log']!.values;
    assert.equal(steps.length, 3);
    assert.ok(
      steps.some((v) => Math.abs(v - Math.log(0.05)) > 1e-4),
      'step sizes were learned',
    );
    assert.ok(checkpoint.params['sampler.score.out.w'], 'the score network is checkpointed');
    const evalRecord = JSON.parse(readFileSync(join(straight, 'eval.json'), 'utf8')) as {
      objective: { steps: number };
      sampler: { stepSizes: number[] };
    };
    assert.equal(evalRecord.objective.steps, 3);
    assert.equal(evalRecord.sampler.stepSizes.length, 3);
    const split = join(work, 'mcd-split');
    assert.equal(
      anneal('vae', 'train', config, '--out', split, '--stop-after', '4', '--quiet').status,
      0,
    );
    assert.equal(anneal('vae', 'train', '--resume', split, '--quiet').status, 0);
    assert.deepEqual(losses(split), losses(straight));
    // Pictures: 64 samples in 8 x 8 tiles of 3 x 3 pixels with 1-pixel borders; 32 test images
    // are only 10 here, so 2 rows of originals and 2 of reconstructions.
    const pictures = join(work, 'mcd-pictures');
    const e = anneal(
      'vae',
      'eval',
      '--from',
      straight,
      '--pictures',
      pictures,
      '--elbo-samples',
      '4',
    );
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, /^ula-mcd ELBO\s+-?\d+\.\d+ ± \d+\.\d+ \(4 draws per image\)$/m);
    const samples = PNG.sync.read(readFileSync(join(pictures, 'samples.png')));
    assert.deepEqual([samples.width, samples.height], [8 * 4 + 1, 8 * 4 + 1]);
    const recon = PNG.sync.read(readFileSync(join(pictures, 'reconstructions.png')));
    assert.deepEqual([recon.width, recon.height], [8 * 4 + 1, 4 * 4 + 1]);
    // The first tile is the first test image: its middle pixel is a stroke pixel (bright).
    const at = (x: number, y: number) => recon.data[(y * recon.width + x) * 4] as number;
    assert.equal(at(0, 0), 128, 'border');
    assert.ok(existsSync(join(straight, 'samples.png')), 'training writes the pictures too');
    const bright = [at(1, 1), at(2, 1), at(3, 1), at(1, 2), at(2, 2), at(3, 2)];
    assert.ok(
      bright.some((v) => v === 255),
      `test image pixels ${bright}`,
    );
  });

  it('Omniglot from a user chardata.mat trains and evaluates', () => {
    // 30 training and 6 test images of 3 x 3, column-major per image as in chardata.mat.
    const column = (n: number) =>
      Array.from({ length: n * 9 }, (_, i) =>
        Math.floor(i / 9) % 2 === 0 ? (i % 3 === 1 ? 1 : 0) : i % 9 < 3 ? 1 : 0,
      );
    const mat = write('chardata.mat', '');
    writeFileSync(
      mat,
      matFile(
        [
          { name: 'data', dims: [9, 30], values: column(30) },
          { name: 'testdata', dims: [9, 6], values: column(6) },
        ],
        { compress: true },
      ),
    );
    const config = write(
      'omniglot.yaml',
      CONFIG.replace(
        `name: mnist, dir: ${JSON.stringify(data)}, validation: 10`,
        `name: omniglot, file: ${JSON.stringify(mat)}`,
      ).replace('aisSteps: 30', 'aisSteps: 0'),
    );
    const r = anneal('vae', 'train', config, '--out', join(work, 'omniglot'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { iterations: number; evaluation: { testImages: number } };
    assert.equal(
      out.iterations,
      6,
      '30 training images (no validation by default), batch 10, 2 epochs',
    );
    assert.equal(out.evaluation.testImages, 6);
  });

  for (const [name, text, pattern] of [
    [
      'objective.yaml',
      CONFIG.replace('iwae-dreg', 'dreg'),
      /train\.objective\.kind: .*"iwae-dreg"/,
    ],
    [
      'missing.yaml',
      CONFIG.replace(JSON.stringify(data), JSON.stringify(join(work, 'nope'))),
      /data file not found: '.*nope\/train-images-idx3-ubyte' \(or \.gz\)/,
    ],
    [
      'batch.yaml',
      CONFIG.replace('batch: 10', 'batch: 80'),
      /train\.batch 80 exceeds the 50 training images/,
    ],
    [
      'steps.yaml',
      CONFIG.replace('{ kind: iwae-dreg, samples: 3 }', '{ kind: iwae, steps: 8 }'),
      /train\.objective\.steps: applies to the sampler objectives \(ula, uha, ula-mcd, uha-mcd, ldvi, cmcd, cmcd-ud\), not 'iwae'/,
    ],
    ['omniglot.yaml', CONFIG.replace('name: mnist', 'name: omniglot'), /omniglot needs data\.file/],
  ] as const) {
    it(`a bad VAE config (${name}) gives one line and exit status 2`, () => {
      const r = anneal('vae', 'train', write(name, text), '--out', join(work, `out-${name}`));
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }
});
