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
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
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
      ...SHARD_FLAGS,
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
const sharding = parseSharding(values, `${docs}/logistic-accuracy`);
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
for (const name of datasets)
  if (!reference.rows.some((r) => r.dataset === name))
    usage(`${name}: no reference in ${docs}/logistic-reference.json`);

/** The methods of the table, in its order. */
const METHOD_SPECS: Omit<AccuracyMethod, 'logZ' | 'seconds'>[] = [
  { label: 'SMC-HMC, prior start, original coordinates', steps: SMC_STEPS, stepSize: 0.05 },
  { label: 'SMC-HMC, prior start, whitened', steps: SMC_STEPS, stepSize: 0.5 },
  { label: 'SMC-HMC, Laplace start, whitened', steps: SMC_STEPS, stepSize: 0.4 },
  { label: 'UHA-MCD trained, whitened', steps: MCD_STEPS, stepSize: null },
];

/** A data set's runs, one per method of METHOD_SPECS (`dispose` frees the targets). */
function methodsOf(name: string): { runs: Run[]; dispose: () => void } {
  const base = uciLogisticTarget(name as Parameters<typeof uciLogisticTarget>[0]);
  const w = whiten(base);
  const standard = DiagGaussian.isotropic(base.dim);
  const runs: Run[] = [
    smc(base, standard, tempering, 0.05),
    smc(w.target, w.prior, tempering, 0.5),
    smc(w.target, standard, linear, 0.4),
    mcd(w.target),
  ];
  return {
    runs,
    dispose: () => {
      standard.dispose();
      w.prior.dispose();
      w.target.dispose();
      base.dispose();
    },
  };
}
const METHODS = METHOD_SPECS.length;

// One cell per data set, method and seed, in table order.
interface Cell {
  dataset: string;
  method: number;
  seed: number;
}
const cells: Cell[] = datasets.flatMap((dataset) =>
  Array.from({ length: METHODS }, (_, method) =>
    seeds.map((seed) => ({ dataset, method, seed })),
  ).flat(),
);
const outcome = await runSharded<Cell, { label: string; logZ: number; seconds: number }>(
  cells,
  sharding,
  async (subset) => {
    const out: { label: string; logZ: number; seconds: number }[] = [];
    for (const dataset of datasets) {
      const mine = subset.filter((c) => c.dataset === dataset);
      if (mine.length === 0) continue;
      const { runs, dispose } = methodsOf(dataset);
      try {
        for (const c of mine) {
          const label = (METHOD_SPECS[c.method] as { label: string }).label;
          const r = (runs[c.method] as Run)(c.seed);
          process.stderr.write(`${dataset} ${label} seed ${c.seed}: ${r.logZ.toFixed(4)}\n`);
          out.push({ label, ...r });
        }
      } finally {
        dispose();
      }
    }
    // Back in the order the cells were given (grouped by data set above, as they come).
    return out;
  },
);
if (outcome === null) process.exit(0);
const rows: AccuracyRow[] = datasets.map((dataset) => {
  const ref = reference.rows.find((r) => r.dataset === dataset) as (typeof reference.rows)[number];
  const methods: AccuracyMethod[] = [];
  for (let m = 0; m < METHODS; m++) {
    const mine = cells
      .map((c, i) => ({
        c,
        r: outcome.results[i] as { label: string; logZ: number; seconds: number },
      }))
      .filter(({ c }) => c.dataset === dataset && c.method === m);
    const spec = METHOD_SPECS[m] as Omit<AccuracyMethod, 'logZ' | 'seconds'>;
    methods.push({
      ...spec,
      logZ: mine.map(({ r }) => r.logZ),
      seconds: mine.map(({ r }) => r.seconds),
    });
  }
  return { dataset, reference: combinePaths(ref.fromLaplace, ref.fromPrior).value, methods };
});

const data: LogisticAccuracyData = {
  generated: mergedGenerated(generatedNow({ backend: currentBackend() }), outcome.generated),
  command: `npx tsx scripts/logistic-accuracy.ts --datasets ${datasets.join(',')} --seeds ${seeds.join(',')} --particles ${particles} --mcd-iterations ${mcdIterations} --mcd-particles ${mcdParticles}`,
  particles,
  batches: BATCHES,
  mcd: { iterations: mcdIterations, particles: mcdParticles, learningRate: 0.005 },
  rows,
};
writeFileSync(`${docs}/logistic-accuracy.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/logistic-accuracy.md`, renderLogisticAccuracy(data));
process.stderr.write(`wrote ${docs}/logistic-accuracy.md and .json\n`);
