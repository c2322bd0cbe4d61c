// Reference log Z for the four Bayesian logistic-regression targets, each from two independent
// long SMC runs that must agree: (a) from the Laplace approximation N(mode, H^-1) to the posterior,
// a short geometric path; (b) from the prior to the posterior by tempering the likelihood
// (beta_k = (k/K)^4), the classic path. Both run SMC with HMC moves and systematic resampling when
// the ESS falls below N/2, in the coordinates whitened by the Laplace approximation (z = mode +
// u R^-1, H = R R^T), where one step size suits every direction. The reference is the
// inverse-variance weighted mean of the two (combinePaths). Writes docs/results/logistic-reference.{json,md}.
//
//   npx tsx scripts/logistic-reference.ts [--datasets sonar,ionosphere,german-credit,breast-cancer]
//                                         [--scale 1] (particles x scale: more for smaller errors)
import { checked, usage } from './args.js';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { currentBackend, initEngine } from '../src/engine/index.js';
import { estimateLogZ, type EstimateLogZOptions } from '../src/eval/estimateLogZ.js';
import {
  UCI_DATASETS,
  isUciDatasetName,
  uciLogisticTarget,
  type UciDatasetName,
} from '../src/targets/index.js';
import { whiten } from './logistic/whitening.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import {
  combinePaths,
  renderLogisticReference,
  type LogisticReferenceData,
  type ReferencePath,
  type ReferenceRow,
} from './render/logisticReference.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      datasets: { type: 'string', default: Object.keys(UCI_DATASETS).join(',') },
      scale: { type: 'string', default: '1' },
      seed: { type: 'string', default: '0' },
      docs: { type: 'string', default: 'docs/results' },
      ...SHARD_FLAGS,
    },
  }),
);
const sharding = parseSharding(values, `${values.docs as string}/logistic-reference`);
const datasets = String(values.datasets).split(',');
for (const d of datasets) if (!isUciDatasetName(d)) usage(`--datasets: unknown '${d}'`);
const scale = Number(values.scale);
if (!(Number.isInteger(scale) && scale >= 1)) usage('--scale must be an integer >= 1');
const seed = Number(values.seed);
if (!(Number.isInteger(seed) && seed >= 0)) usage('--seed must be an integer >= 0');

const BATCHES = 20;
const SMC = { scheme: 'systematic', essThreshold: 0.5 } as const;
/** The two paths' settings (particles before --scale). */
const PATHS: Record<
  'laplace' | 'prior',
  Omit<ReferencePath, 'logZ' | 'stdErr' | 'ess' | 'acceptance' | 'seconds'>
> = {
  laplace: { steps: 300, particles: 4000, stepSize: 0.4, leapfrog: 5, schedulePower: 1 },
  prior: { steps: 1000, particles: 10000, stepSize: 0.5, leapfrog: 5, schedulePower: 4 },
};

await initEngine({ backend: 'wasm' });

/** One path on one data set, with the data set's facts for its row. */
interface PathResult {
  path: ReferencePath;
  dim: number;
  rows: number;
  laplaceLogZ: number;
}
type Cell = { dataset: UciDatasetName; key: keyof typeof PATHS };
const cells: Cell[] = (datasets as UciDatasetName[]).flatMap((dataset) =>
  (['laplace', 'prior'] as const).map((key) => ({ dataset, key })),
);

/** The cells of one data set (its targets built once for them), in their order. */
function runDataset(name: UciDatasetName, keys: (keyof typeof PATHS)[]): PathResult[] {
  const base = uciLogisticTarget(name);
  const w = whiten(base);
  const run = (key: keyof typeof PATHS, options: Partial<EstimateLogZOptions>): ReferencePath => {
    const p = PATHS[key];
    const particles = p.particles * scale;
    let last = -1;
    const e = estimateLogZ({
      target: w.target,
      sampler: 'ais-hmc',
      steps: p.steps,
      particles,
      schedule: Array.from({ length: p.steps + 1 }, (_, k) => (k / p.steps) ** p.schedulePower),
      stepSize: p.stepSize,
      leapfrogSteps: p.leapfrog,
      batches: BATCHES,
      seed,
      resampling: SMC,
      onStep: (k, total) => {
        const tenth = Math.floor((10 * k) / total);
        if (tenth !== last) process.stderr.write(`\r${name} ${key}: ${10 * tenth}%   `);
        last = tenth;
      },
      ...options,
    });
    process.stderr.write('\n');
    if (e.logZStdErr === null) usage('no standard error');
    const acceptance = e.perStep.map((s) => s.acceptance ?? 0);
    return {
      ...p,
      particles,
      logZ: e.logZ,
      stdErr: e.logZStdErr,
      ess: e.essFraction,
      acceptance: acceptance.reduce((a, b) => a + b, 0) / acceptance.length,
      seconds: e.seconds,
    };
  };
  const laplaceInitial = DiagGaussian.isotropic(base.dim);
  try {
    return keys.map((key) => ({
      path: run(key, { initial: key === 'laplace' ? laplaceInitial : w.prior }),
      dim: base.dim,
      rows: base.numData,
      laplaceLogZ: w.laplaceLogZ,
    }));
  } finally {
    laplaceInitial.dispose();
    w.prior.dispose();
    w.target.dispose();
    base.dispose();
  }
}

const outcome = await runSharded<Cell, PathResult>(cells, sharding, async (subset) =>
  (datasets as UciDatasetName[]).flatMap((name) => {
    const keys = subset.filter((c) => c.dataset === name).map((c) => c.key);
    return keys.length ? runDataset(name, keys) : [];
  }),
);
if (outcome === null) process.exit(0);
const rows: ReferenceRow[] = (datasets as UciDatasetName[]).map((name) => {
  const of = (key: keyof typeof PATHS) =>
    outcome.results[cells.findIndex((c) => c.dataset === name && c.key === key)] as PathResult;
  const laplace = of('laplace');
  const row: ReferenceRow = {
    dataset: name,
    dim: laplace.dim,
    rows: laplace.rows,
    laplaceLogZ: laplace.laplaceLogZ,
    fromLaplace: laplace.path,
    fromPrior: of('prior').path,
  };
  const c = combinePaths(row.fromLaplace, row.fromPrior);
  process.stderr.write(
    `${name}: ${c.value.toFixed(4)} ± ${c.stdErr.toFixed(4)} (laplace path ${row.fromLaplace.logZ.toFixed(4)}, prior path ${row.fromPrior.logZ.toFixed(4)})\n`,
  );
  return row;
});

const data: LogisticReferenceData = {
  generated: mergedGenerated(generatedNow({ backend: currentBackend() }), outcome.generated),
  command: `npx tsx scripts/logistic-reference.ts${scale === 1 ? '' : ` --scale ${scale}`}${seed === 0 ? '' : ` --seed ${seed}`}`,
  batches: BATCHES,
  seed,
  rows,
};
const docs = values.docs as string;
writeFileSync(`${docs}/logistic-reference.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/logistic-reference.md`, renderLogisticReference(data));
process.stderr.write(`wrote ${docs}/logistic-reference.md and .json\n`);
