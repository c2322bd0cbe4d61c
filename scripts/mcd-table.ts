// The static-target comparison of the MCD paper at reduced scale: ULA, UHA, ULA-MCD and UHA-MCD at
// 8, 32 and 64 steps on mixtures and Bayesian logistic regression, each trained on the ELBO and then
// evaluated with fresh particles. Writes docs/results/mcd-static.{md,json}.
//
//   npx tsx scripts/mcd-table.ts                       # the committed reduced run (minutes)
//   npx tsx scripts/mcd-table.ts --iterations 2000 --train-particles 512 --eval-particles 20000
//   npx tsx scripts/mcd-table.ts --targets gmm8,sonar --steps 8,32 --kinds ula,uha
//   npx tsx scripts/mcd-table.ts --workers 4    # cells on 4 worker threads; the same numbers
//   npx tsx scripts/mcd-table.ts --freeze initial,schedule --mixture-loc 10 --mixture-dim 200
//       # as the paper compares: one fixed initial distribution and schedule for every sampler
//   npx tsx scripts/mcd-table.ts --shard 2/3   # every third cell, into mcd-static.shard-2-of-3.json
//   npx tsx scripts/mcd-table.ts --merge-shards  # the shards merged into the table (same flags)
//   npx tsx scripts/mcd-table.ts --budget 120 --workers 2
//       # the most iterations that train every cell in about 120 minutes (from a timed probe of
//       # each cell; the table records the count as --iterations)
import { checked, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initEngine, currentBackend, type BackendName } from '../src/engine/index.js';
import { LEARNED_SAMPLERS, type LearnedSamplerName } from '../src/annealing/learned.js';
import { runTasks } from '../src/parallel/pool.js';
import { parseBudget, planBudget, type BudgetPlan } from './budget.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import type { McdCell } from './jobs/mcd.js';
import { renderMcd, type McdData, type McdRow } from './render/mcd.js';
import { logisticReferences } from './render/results.js';
import { refreshAfterWriting } from './pages.js';
import { dirname } from 'node:path';

const DEFAULT_LISTS = {
  targets: 'gmm8,student-t8,sonar,ionosphere,german-credit,breast-cancer',
  kinds: LEARNED_SAMPLERS.join(','),
  steps: '8,32,64',
};
const { values } = checked(() =>
  parseArgs({
    options: {
      targets: { type: 'string', default: DEFAULT_LISTS.targets },
      kinds: { type: 'string', default: DEFAULT_LISTS.kinds },
      steps: { type: 'string', default: DEFAULT_LISTS.steps },
      iterations: { type: 'string', default: '50' },
      'train-particles': { type: 'string', default: '32' },
      'eval-particles': { type: 'string', default: '1000' },
      lr: { type: 'string', default: '0.01' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string', default: 'docs/results/mcd-static' },
      'mixture-loc': { type: 'string', default: '3' },
      'mixture-dim': { type: 'string' },
      'mixture-initial-scale': { type: 'string' },
      // Keep these fixed in every sampler, so that all share one initial distribution and schedule
      // as in the paper's comparison: 'initial', 'schedule' or both.
      freeze: { type: 'string', default: '' },
      workers: { type: 'string', default: '1' },
      budget: { type: 'string' },
      ...SHARD_FLAGS,
    },
  }),
);
const list = (s: string) => s.split(',').filter(Boolean);
let iterations = Number(values.iterations);
const budgetMinutes = checked(() => parseBudget(values.budget));
const trainParticles = Number(values['train-particles']);
const evalParticles = Number(values['eval-particles']);
const lr = Number(values.lr);
const seed = Number(values.seed);
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) usage('--workers must be an integer >= 1');
const sharding = parseSharding(values, values.out);
if ((sharding.shard || sharding.merge) && budgetMinutes !== null)
  usage('--budget plans from timings of this machine: give --iterations when running in shards');

// At the registry's default spread (means uniform in [-10, 10]^20) no sampler finds the modes in a
// short run; the table uses means in [-loc, loc]^d with --mixture-loc (default 3) and starts from
// N(0, 2^2 I), which covers them. Logistic regression starts at its prior N(0, I).
const mixtureLoc = Number(values['mixture-loc']);
const mixtureDim = values['mixture-dim'] ? Number(values['mixture-dim']) : null;
if (mixtureDim !== null && (!Number.isInteger(mixtureDim) || mixtureDim < 1))
  usage('--mixture-dim must be a positive integer');
const mixtureInitialScale = values['mixture-initial-scale']
  ? Number(values['mixture-initial-scale'])
  : null;
if (mixtureInitialScale !== null && !(mixtureInitialScale > 0))
  usage('--mixture-initial-scale must be > 0');
const frozen = list(values.freeze);
for (const f of frozen) {
  if (f !== 'initial' && f !== 'schedule')
    usage(`--freeze takes initial, schedule or both, got '${f}'`);
}

// The lists a run narrowed (or reordered), so that its recorded command reproduces it.
const selection = Object.fromEntries(
  (['targets', 'steps', 'kinds'] as const)
    .filter((flag) => values[flag] !== DEFAULT_LISTS[flag])
    .map((flag) => [flag, values[flag] as string]),
);

await initEngine();
const rows: McdRow[] = [];
// Tables are rewritten after every row, so a long run that is stopped keeps what it finished.
let generated = generatedNow({ node: process.version, backend: currentBackend(), workers });
function writeTables(): void {
  const data: McdData = {
    generated,
    iterations,
    trainParticles,
    evalParticles,
    batches: 10,
    lr,
    seed,
    mixtureLoc,
    ...(mixtureDim ? { mixtureDim } : {}),
    ...(mixtureInitialScale ? { mixtureInitialScale } : {}),
    ...(frozen.length ? { frozen } : {}),
    ...(Object.keys(selection).length ? { selection } : {}),
    ...(budget ? { budget } : {}),
    rows,
  };
  mkdirSync(values.out.replace(/\/[^/]*$/, ''), { recursive: true });
  writeFileSync(`${values.out}.json`, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(`${values.out}.md`, renderMcd(data, references()));
}

// Cells in table order; each draws from its own seed's streams, so --workers changes no number.
const cellList = (): McdCell[] =>
  list(values.targets).flatMap((target) =>
    list(values.steps).flatMap((steps) =>
      (list(values.kinds) as LearnedSamplerName[]).map((kind) => ({
        target,
        kind,
        steps: Number(steps),
        iterations,
        trainParticles,
        evalParticles,
        lr,
        seed,
        mixtureLoc,
        ...(mixtureDim ? { mixtureDim } : {}),
        ...(mixtureInitialScale ? { mixtureInitialScale } : {}),
        ...(frozen.length ? { frozen: frozen as ('initial' | 'schedule')[] } : {}),
      })),
    ),
  );
let budget: BudgetPlan | null = null;
if (budgetMinutes !== null) {
  // Each cell trains PROBE iterations (evaluated on a handful of particles) to time an iteration.
  const PROBE = 10;
  const probes = cellList().map((c) => ({ ...c, iterations: PROBE, evalParticles: 10 }));
  const probed = await runTasks<McdCell, McdRow>(
    new URL('./jobs/mcd.ts', import.meta.url).href,
    probes,
    { workers, backend: currentBackend() as BackendName },
  );
  const perIteration = Object.fromEntries(
    probed.map((r) => [`${r.target} ${r.sampler} K=${r.steps}`, r.trainSeconds / PROBE]),
  );
  // Probes ran on `workers` threads at once, like the cells will: their seconds already share cores.
  budget = planBudget(budgetMinutes, perIteration, workers);
  iterations = budget.units;
  process.stderr.write(`[budget] ${budgetMinutes} min: ${iterations} iterations per cell\n`);
}
const cells = cellList();
const done: (McdRow | undefined)[] = [];
const outcome = await runSharded<McdCell, McdRow>(
  cells,
  sharding,
  (subset, onResult) =>
    runTasks<McdCell, McdRow>(
      new URL('./jobs/mcd.ts', import.meta.url).href,
      subset,
      { workers, backend: currentBackend() as BackendName },
      { onResult },
    ),
  // The table grows by finished rows in table order.
  (i, row) => {
    done[i] = row;
    rows.length = 0;
    for (const r of done) if (r) rows.push(r);
    writeTables();
  },
);
if (outcome === null) process.exit(0);
generated = mergedGenerated(generated, outcome.generated);
writeTables();
process.stderr.write(`wrote ${values.out}.md and ${values.out}.json\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(dirname(values.out));

/** The logistic-regression reference log Z from docs/results, where that page exists. */
function references(): Record<string, number> {
  const path = 'docs/results/logistic-reference.json';
  if (!existsSync(path)) return {};
  return logisticReferences({ read: (p) => readFileSync(p, 'utf8'), list: () => [] });
}
