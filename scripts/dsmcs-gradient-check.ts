// Are the DSMCS training gradients unbiased? For each resampling variant, at one set of sampler
// parameters (DAIS trained for --train iterations, shared by every variant), the gradient the
// trainer uses (autodiff through the variant's relaxation) is compared, seed by seed, with a
// central finite difference of the same loss with the same random numbers, along one direction of
// the parameters (every log step size up at once). Over many seeds, the finite differences average
// to the derivative of the expected loss (up to O(h^2)), jumps of the resampling choices included;
// an unbiased gradient averages to the same. The paired difference and its standard error say
// whether a variant's gradient is biased, and by how much.
//
//   npx tsx scripts/dsmcs-gradient-check.ts [--seeds 200] [--train 200] [--h 0.02]
//   npx tsx scripts/dsmcs-gradient-check.ts --render      # the page from the JSON
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checked, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { dsmcsSamplerConfig, PER_SYSTEM, STEPS } from '../bench/dsmcs.js';
import {
  renderDsmcsGradients,
  type DsmcsGradientData,
  type DsmcsGradientRow,
} from './render/dsmcsGradients.js';
import {
  LearnedSampler,
  Rng,
  Trainer,
  createTarget,
  initEngine,
  tf,
  type ResamplingName,
} from '../src/index.js';
import { refreshAfterWriting } from './pages.js';
import { dirname } from 'node:path';

const { values } = checked(() =>
  parseArgs({
    options: {
      seeds: { type: 'string', default: '200' },
      train: { type: 'string', default: '200' },
      h: { type: 'string', default: '0.02' },
      systems: { type: 'string', default: '64' },
      schemes: { type: 'string', default: 'none,cat,gst,bern-cat,bern-gst' },
      out: { type: 'string', default: 'docs/results/dsmcs-gradient-check' },
      render: { type: 'boolean', default: false },
    },
  }),
);
if (values.render) {
  const data = JSON.parse(readFileSync(`${values.out}.json`, 'utf8')) as DsmcsGradientData;
  writeFileSync(`${values.out}.md`, renderDsmcsGradients(data));
  process.exit(0);
}
const int = (flag: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`--${flag} must be an integer >= ${min}`);
  return n;
};
const seeds = int('seeds', values.seeds, 2);
const trainIterations = int('train', values.train, 0);
const systems = int('systems', values.systems, 1);
const h = Number(values.h);
if (!(h > 0 && h < 1)) usage('--h must be in (0, 1)');
const schemes = values.schemes.split(',') as ResamplingName[];

// The DSMCS static target and sampler, as the bench (and the paper's configuration) has them.
const samplerConfig = dsmcsSamplerConfig;
const objective = { kind: 'iw' as const, groupSize: PER_SYSTEM };
const particles = systems * PER_SYSTEM;

await initEngine({ backend: 'wasm' });
const target = createTarget('dsmcs-mixture');

// The shared parameters: DAIS trained for a while (or the initial ones).
const dais = new LearnedSampler(target, samplerConfig('none'), Rng.fromSeed(1));
if (trainIterations > 0) {
  const trainer = new Trainer(
    dais,
    {
      particles,
      learningRate: 0.01,
      clipNorm: null,
      lrSchedule: { kind: 'constant' },
      objective,
    },
    Rng.fromSeed(2),
  );
  for (let i = 0; i < trainIterations; i++) trainer.step();
  trainer.dispose();
}
const shared = dais.params.save();
dais.dispose();

/** The loss (minus the mean bound over systems) with the stream of `seed`. */
const lossOf = (sampler: LearnedSampler, seed: number) =>
  tf.tidy(() => sampler.loss(particles, Rng.fromSeed(seed), objective).dataSync()[0] as number);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
};

const rows: DsmcsGradientRow[] = [];
for (const scheme of schemes) {
  const sampler = new LearnedSampler(target, samplerConfig(scheme), Rng.fromSeed(1));
  sampler.params.load(shared);
  const v = sampler.params.get('stepSizes.log');
  const start = tf.keep(v.clone());
  const autodiff: number[] = [];
  const finite: number[] = [];
  const losses: number[] = [];
  const started = performance.now();
  for (let r = 0; r < seeds; r++) {
    const seed = 1000 + r;
    const { value, grads } = tf.variableGrads(
      () => sampler.loss(particles, Rng.fromSeed(seed), objective),
      [v],
    );
    // The directional derivative along "every log step size up by one".
    autodiff.push(tf.tidy(() => tf.sum(grads[v.name] as tf.Tensor).dataSync()[0] as number));
    losses.push(value.dataSync()[0] as number);
    tf.dispose([value, ...Object.values(grads)]);
    v.assign(tf.tidy(() => tf.add(start, h)));
    const up = lossOf(sampler, seed);
    v.assign(tf.tidy(() => tf.sub(start, h)));
    const down = lossOf(sampler, seed);
    v.assign(start);
    finite.push((up - down) / (2 * h));
    if ((r + 1) % 50 === 0) process.stderr.write(`${scheme}: ${r + 1} of ${seeds} seeds\n`);
  }
  const difference = autodiff.map((g, i) => g - (finite[i] as number));
  rows.push({
    scheme,
    bound: -mean(losses),
    boundStdErr: se(losses),
    autodiff: mean(autodiff),
    autodiffStdErr: se(autodiff),
    finiteDifference: mean(finite),
    finiteDifferenceStdErr: se(finite),
    difference: mean(difference),
    differenceStdErr: se(difference),
    seconds: (performance.now() - started) / 1000,
  });
  const last = rows.at(-1) as DsmcsGradientRow;
  process.stderr.write(
    `${scheme}: autodiff ${last.autodiff.toFixed(3)} ± ${last.autodiffStdErr.toFixed(3)}, finite difference ${last.finiteDifference.toFixed(3)} ± ${last.finiteDifferenceStdErr.toFixed(3)}, difference ${last.difference.toFixed(3)} ± ${last.differenceStdErr.toFixed(3)}\n`,
  );
  start.dispose();
  sampler.dispose();
}
target.dispose?.();

const data: DsmcsGradientData = {
  generated: generatedNow({ node: process.version, backend: 'wasm' }),
  commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
  command: `npx tsx scripts/dsmcs-gradient-check.ts --seeds ${seeds} --train ${trainIterations} --h ${h} --systems ${systems} --schemes ${schemes.join(',')}`,
  seeds,
  trainIterations,
  h,
  systems,
  perSystem: PER_SYSTEM,
  steps: STEPS,
  rows,
};
writeFileSync(`${values.out}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.out}.md`, renderDsmcsGradients(data));
process.stderr.write(`wrote ${values.out}.json and .md\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(dirname(values.out));
