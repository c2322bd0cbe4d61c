// How close short samplers get to the reference log Z of the logistic-regression targets
// (docs/results/logistic-reference.json), over seeds: SMC-HMC with 256 steps (from the prior in
// the original coordinates, from the prior in Laplace-whitened coordinates, and from the Laplace
// approximation), and UHA-MCD with 64 steps trained on the ELBO in whitened coordinates. Writes
// docs/results/logistic-accuracy.{json,md}.
//
//   npx tsx scripts/logistic-accuracy.ts [--datasets sonar,ionosphere] [--seeds 1,2,3,4,5]
//        [--particles 2000] [--mcd-iterations 300] [--mcd-particles 64]
import { checked, usage } from './args.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import type { Distribution } from '../src/distributions/distribution.js';
import { currentBackend, initEngine } from '../src/engine/index.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { isUciDatasetName, uciLogisticTarget, type Target } from '../src/targets/index.js';
import { trainAndEvaluate } from '../src/train/trainAndEvaluate.js';
import { whiten } from './logistic/whitening.js';
import { generatedNow } from './render/common.js';
import { combinePaths, type LogisticReferenceData } from './render/logisticReference.js';
import {
  renderLogisticAccuracy,
  type AccuracyMethod,
  type AccuracyRow,
  type LogisticAccuracyData,
} from './render/logisticAccuracy.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      datasets: { type: 'string', default: 'sonar,ionosphere' },
      seeds: { type: 'string', default: '1,2,3,4,5' },
      particles: { type: 'string', default: '2000' },
      'mcd-iterations': { type: 'string', default: '300' },
      'mcd-particles': { type: 'string', default: '64' },
      docs: { type: 'string', default: 'docs/results' },
    },
  }),
);
const positive = (flag: string, v: unknown) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) usage(`--${flag} must be an integer >= 1`);
  return n;
};
const datasets = String(values.datasets).split(',');
for (const d of datasets) if (!isUciDatasetName(d)) usage(`--datasets: unknown '${d}'`);
const seeds = String(values.seeds)
  .split(',')
  .map((s) => positive('seeds', s));
const particles = positive('particles', values.particles);
const mcdIterations = positive('mcd-iterations', values['mcd-iterations']);
const mcdParticles = positive('mcd-particles', values['mcd-particles']);
const docs = values.docs as string;
const reference = checked(
  () =>
    JSON.parse(readFileSync(`${docs}/logistic-reference.json`, 'utf8')) as LogisticReferenceData,
);

const SMC_STEPS = 256;
const MCD_STEPS = 64;
const BATCHES = 10;
const tempering = Array.from({ length: SMC_STEPS + 1 }, (_, k) => (k / SMC_STEPS) ** 4);
const linear = Array.from({ length: SMC_STEPS + 1 }, (_, k) => k / SMC_STEPS);

/** One seed of a method: its log Z estimate and seconds. */
type Run = (seed: number) => { logZ: number; seconds: number };

function smc(target: Target, initial: Distribution, schedule: number[], stepSize: number): Run {
  return (seed) => {
    const e = estimateLogZ({
      target,
      initial,
      sampler: 'ais-hmc',
      steps: SMC_STEPS,
      particles,
      schedule,
      stepSize,
      leapfrogSteps: 5,
      batches: BATCHES,
      seed,
      resampling: { scheme: 'systematic', essThreshold: 0.5 },
    });
    return { logZ: e.logZ, seconds: e.seconds };
  };
}

function mcd(target: Target): Run {
  return (seed) => {
    const r = trainAndEvaluate({
      target,
      sampler: {
        kind: 'uha-mcd',
        steps: MCD_STEPS,
        stepSize: 0.3,
        initialScale: 1,
        learn: {
          stepSizes: true,
          schedule: true,
          initial: true,
          eta: true,
          mass: true,
          scoreNet: true,
        },
      },
      trainIterations: mcdIterations,
      trainParticles: mcdParticles,
      learningRate: 0.005,
      particles,
      batches: BATCHES,
      seed,
    });
    return { logZ: r.logZ, seconds: r.trained.seconds + r.seconds };
  };
}

await initEngine({ backend: 'wasm' });
const rows: AccuracyRow[] = [];
for (const name of datasets) {
  const ref = reference.rows.find((r) => r.dataset === name);
  if (!ref) usage(`${name}: no reference in ${docs}/logistic-reference.json`);
  const base = uciLogisticTarget(name as Parameters<typeof uciLogisticTarget>[0]);
  const w = whiten(base);
  const standard = DiagGaussian.isotropic(base.dim);
  const methods: { method: Omit<AccuracyMethod, 'logZ' | 'seconds'>; run: Run }[] = [
    {
      method: {
        label: 'SMC-HMC, prior start, original coordinates',
        steps: SMC_STEPS,
        stepSize: 0.05,
      },
      run: smc(base, standard, tempering, 0.05),
    },
    {
      method: { label: 'SMC-HMC, prior start, whitened', steps: SMC_STEPS, stepSize: 0.5 },
      run: smc(w.target, w.prior, tempering, 0.5),
    },
    {
      method: { label: 'SMC-HMC, Laplace start, whitened', steps: SMC_STEPS, stepSize: 0.4 },
      run: smc(w.target, standard, linear, 0.4),
    },
    {
      method: { label: 'UHA-MCD trained, whitened', steps: MCD_STEPS, stepSize: null },
      run: mcd(w.target),
    },
  ];
  try {
    const results: AccuracyMethod[] = [];
    for (const { method, run } of methods) {
      const logZ: number[] = [];
      const seconds: number[] = [];
      for (const seed of seeds) {
        const r = run(seed);
        logZ.push(r.logZ);
        seconds.push(r.seconds);
        process.stderr.write(`${name} ${method.label} seed ${seed}: ${r.logZ.toFixed(4)}\n`);
      }
      results.push({ ...method, logZ, seconds });
    }
    rows.push({
      dataset: name,
      reference: combinePaths(ref.fromLaplace, ref.fromPrior).value,
      methods: results,
    });
  } finally {
    standard.dispose();
    w.prior.dispose();
    w.target.dispose();
    base.dispose();
  }
}

const data: LogisticAccuracyData = {
  generated: generatedNow({ backend: currentBackend() }),
  command: `npx tsx scripts/logistic-accuracy.ts --datasets ${datasets.join(',')} --seeds ${seeds.join(',')} --particles ${particles} --mcd-iterations ${mcdIterations} --mcd-particles ${mcdParticles}`,
  particles,
  batches: BATCHES,
  mcd: { iterations: mcdIterations, particles: mcdParticles, learningRate: 0.005 },
  rows,
};
writeFileSync(`${docs}/logistic-accuracy.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/logistic-accuracy.md`, renderLogisticAccuracy(data));
process.stderr.write(`wrote ${docs}/logistic-accuracy.md and .json\n`);
