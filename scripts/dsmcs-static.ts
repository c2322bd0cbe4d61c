// The static-target experiment of Zenn & Bamler (2023), "Resampling gradients vanish in
// differentiable sequential Monte Carlo samplers": trains UHA on the 50-d Gaussian mixture with
// DAIS (no resampling, IW bound of each system) and with DSMCS under every resampling variant
// (cat, gst, bern-cat, bern-gst; SMC bound), from one config. For each variant it records the ESS
// per transition after the first epoch and at the end, and the final bound; then writes a table
// (docs/results/dsmcs-static.md, .json) and a plot of ESS per transition (dsmcs-static-ess.svg).
//
//   npx tsx scripts/dsmcs-static.ts [--config configs/dsmcs-static-small.yaml] [--out runs/dsmcs-static]
//                                   [--name dsmcs-static]  (the results page: docs/results/<name>.md)
//                                   [--workers N]   (variants on N worker threads; the same numbers)
//                                   [--iterations I] (in place of the config's train.iterations)
//                                   [--budget M]    (the most whole epochs that train every variant
//                                                    in about M minutes, from a timed probe; the
//                                                    results record the count as --iterations)
// With --iterations or --budget the learning-rate step moves in proportion (the paper's comes at
// half the run).
//
// The default config is the scaled-down one (minutes); configs/dsmcs-static.yaml is the paper's
// scale (hours). Runs are resumable run directories: re-running continues unfinished variants.
import { checked, pageName, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as vegaLite from 'vega-lite';
import { svgOf } from './render/svg.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { loadConfigFile } from '../src/cli/config.js';
import { runTasks } from '../src/parallel/pool.js';
import { trainRun } from '../src/runs/samplerRun.js';
import { parseBudget, planBudget, type BudgetPlan } from './budget.js';
import type { ResamplingName } from '../src/annealing/resampling.js';
import {
  EPOCH,
  RELATIVE_COST,
  resamplingVariant,
  setIterations,
  VARIANTS,
  type DsmcsVariant,
  type VariantResult,
} from './jobs/dsmcs.js';
import { renderDsmcs, type DsmcsData } from './render/dsmcs.js';
import { createTarget, getTargetSpec } from '../src/targets/registry.js';
import { refreshAfterWriting } from './pages.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      config: { type: 'string', default: 'configs/dsmcs-static-small.yaml' },
      out: { type: 'string' },
      name: { type: 'string', default: 'dsmcs-static' },
      docs: { type: 'string', default: 'docs/results' },
      workers: { type: 'string', default: '1' },
      iterations: { type: 'string' },
      budget: { type: 'string' },
      ...SHARD_FLAGS,
    },
  }),
);
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) usage('--workers must be an integer >= 1');
const configPath = values.config as string;
const name = values.name as string;
pageName(name);
const outDir = values.out ?? `runs/${name}`;
const base = checked(() => loadConfigFile(configPath));
const groupSize = base.sampler.resampling?.groupSize;
if (!groupSize) usage(`${configPath}: sampler.resampling.groupSize is needed`);

const budgetMinutes = checked(() => parseBudget(values.budget));
const sharding = parseSharding(values, `${values.docs as string}/${name}`);
if ((sharding.shard || sharding.merge) && budgetMinutes !== null)
  usage('--budget plans from timings of this machine: give --iterations when running in shards');
if (budgetMinutes !== null && values.iterations !== undefined)
  usage('give --iterations or --budget, not both');
if (values.iterations !== undefined) {
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < EPOCH || iterations % EPOCH !== 0)
    usage(`--iterations must be a positive multiple of ${EPOCH} (whole epochs)`);
  setIterations(base, iterations);
}

const variantConfig = (scheme: ResamplingName) =>
  resamplingVariant(base, scheme, groupSize as number);

async function essPlot(results: VariantResult[]): Promise<string> {
  const rows = results.flatMap((r) => [
    ...r.earlyEss.map((ess, i) => ({
      variant: r.label,
      transition: i + 1,
      ess,
      when: 'after epoch 1',
    })),
    ...r.finalEss.map((ess, i) => ({ variant: r.label, transition: i + 1, ess, when: 'final' })),
  ]);
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    width: 260,
    height: 200,
    facet: {
      column: { field: 'when', type: 'nominal', title: null, sort: ['after epoch 1', 'final'] },
    },
    spec: {
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'transition', type: 'quantitative', title: 'transition k' },
        y: {
          field: 'ess',
          type: 'quantitative',
          title: 'ESS / N per system',
          scale: { domain: [0, 1] },
        },
        color: { field: 'variant', type: 'nominal', title: null },
      },
    },
  };
  return svgOf(spec);
}

await initEngine({ backend: base.backend });
let budget: BudgetPlan | null = null;
if (budgetMinutes !== null) {
  // Each variant trains one epoch in a scratch directory to time an iteration.
  const scratch = mkdtempSync(join(tmpdir(), 'dsmcs-budget-'));
  const perIteration: Record<string, number> = {};
  try {
    for (const v of VARIANTS) {
      const probe = await trainRun(
        { config: variantConfig(v.scheme), outDir: join(scratch, v.scheme) },
        { stopAfter: EPOCH },
      );
      perIteration[v.label] = probe.trainSeconds / EPOCH;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  budget = planBudget(budgetMinutes, perIteration, workers);
  setIterations(base, Math.max(EPOCH, Math.floor(budget.units / EPOCH) * EPOCH));
  budget.units = base.train.iterations;
  process.stderr.write(`[budget] ${budgetMinutes} min: ${budget.units} iterations per variant\n`);
}
const cells: DsmcsVariant[] = VARIANTS.map((v) => ({
  ...v,
  config: variantConfig(v.scheme),
  dir: `${outDir}/${v.scheme}`,
}));
// Longest first on several workers: the probe's times, else the relative costs measured at the
// 64 x 32 scale (GST's relaxed resampling is the dearest).
const cost = (v: DsmcsVariant) => budget?.secondsPerUnit[v.label] ?? RELATIVE_COST[v.scheme] ?? 1;
const outcome = await runSharded<DsmcsVariant, VariantResult>(cells, sharding, (subset) =>
  runTasks<DsmcsVariant, VariantResult>(new URL('./jobs/dsmcs.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
    costs: subset.map(cost),
  }),
);
if (outcome === null) process.exit(0);
const results = outcome.results;

const spec = getTargetSpec(base.target.name as string);
const probe = createTarget(
  base.target.name as string,
  (({ name: _, ...rest }) => rest)(base.target),
);
const data: DsmcsData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  config: configPath,
  name,
  ...(budget || values.iterations !== undefined ? { iterationsFlag: base.train.iterations } : {}),
  ...(budget ? { budget } : {}),
  settings: {
    target: { name: spec.name, dim: probe.dim, description: spec.description },
    initialScale: base.sampler.initialScale,
    learnInitial: base.sampler.learn.initial,
    sampler: base.sampler.kind,
    steps: base.sampler.steps,
    groupSize: groupSize as number,
    iterations: base.train.iterations,
    epoch: EPOCH,
    particles: base.train.particles,
    learningRate: base.train.learningRate,
    evalParticles: base.eval.particles,
    evalBatches: base.eval.batches,
    seed: base.seed,
  },
  results,
};
probe.dispose?.();
const docs = values.docs as string;
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/${name}.md`, renderDsmcs(data));
writeFileSync(`${docs}/${name}-ess.svg`, await essPlot(results));
process.stderr.write(`wrote ${docs}/${name}.md, .json and -ess.svg\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
