// FAB over training seeds on its published targets (the 40-mode mixture, the funnel, many-well
// 32-d), each with the settings of the published run, shortened to --fraction of its length (or
// --iterations), evaluated as FAB evaluates, beside the published numbers.
//   npx tsx scripts/fab.ts --targets gmm40,funnel --seeds 0,1,2,3,4 --fraction 0.05 --workers 2
//   [--iterations N] [--eval-particles 20000] [--eval-batch 2000] [--shard i/n | --merge-shards]
// -> docs/results/fab.{md,json} (--name sets the file name)
import { parseArgs } from 'node:util';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import { FAB_PRESETS, type FabCell } from './jobs/fab.js';
import { writePublishedPage } from './pages.js';
import { generatedNow } from './render/common.js';
import { renderFab, type FabData, type FabRow, type FabTargetRun } from './render/fab.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';

/** The published flow ESS on the 40-mode mixture (FAB with the prioritized buffer). */
const GMM40_PAPER_ESS = {
  value: 0.64,
  source: "FAB paper's evaluation files (fab-torch examples/paper_results), 3 seeds",
};

const LABELS: Record<string, { label: string; maeRow: string | null }> = {
  gmm40: { label: '40-mode Gaussian mixture (2-d)', maeRow: null },
  funnel: { label: 'Funnel (10-d, exact log Z = 0)', maeRow: 'funnel' },
  'many-well': { label: 'Many-well (32-d)', maeRow: 'many-well' },
};

const { values } = checked(() =>
  parseArgs({
    options: {
      targets: { type: 'string', default: 'gmm40,funnel,many-well' },
      seeds: { type: 'string', default: '0,1,2,3,4' },
      fraction: { type: 'string' },
      iterations: { type: 'string' },
      'eval-particles': { type: 'string', default: '20000' },
      'eval-batch': { type: 'string', default: '2000' },
      name: { type: 'string', default: 'fab' },
      docs: { type: 'string', default: 'docs/results' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);

const targets = String(values.targets).split(',');
for (const t of targets)
  if (!FAB_PRESETS[t])
    usage(`--targets: no FAB preset for '${t}'; presets: ${Object.keys(FAB_PRESETS).join(', ')}`);
if ((values.fraction === undefined) === (values.iterations === undefined))
  usage('give one of --fraction (of the published length) and --iterations');
// One fraction for every target, or target=fraction pairs (gmm40=0.05,funnel=0.1).
const fractions = new Map<string, number>();
if (values.fraction !== undefined) {
  const parts = String(values.fraction).split(',');
  for (const part of parts) {
    const [key, text] = part.includes('=') ? part.split('=') : [null, part];
    const v = Number(text);
    if (!(v > 0 && v <= 1)) usage(`--fraction: '${part}' is not a fraction in (0, 1]`);
    for (const t of key === null ? targets : [key as string]) {
      if (!targets.includes(t)) usage(`--fraction: '${t}' is not one of --targets`);
      fractions.set(t, v);
    }
  }
  for (const t of targets) if (!fractions.has(t)) usage(`--fraction: no fraction for '${t}'`);
}
const fixed =
  values.iterations === undefined ? null : integerFlag('iterations', values.iterations, 1);
const iterationsFor = (t: string) =>
  fixed ??
  Math.max(1, Math.round((fractions.get(t) as number) * (FAB_PRESETS[t]?.paperIterations ?? 1)));
const evalParticles = integerFlag('eval-particles', values['eval-particles'], 2);
const evalBatch = integerFlag('eval-batch', values['eval-batch'], 2);
if (evalParticles % evalBatch !== 0 || evalParticles / evalBatch < 2)
  usage('--eval-particles must split into two or more estimates of --eval-batch');
const seeds = seedList(values.seeds);
const workers = integerFlag('workers', values.workers, 1);
const name = values.name as string;
pageName(name);
const docs = values.docs as string;
const sharding = parseSharding(values, `${docs}/${name}`);

const cells: FabCell[] = targets.flatMap((target) =>
  seeds.map((seed) => ({
    target,
    seed,
    iterations: iterationsFor(target),
    evalParticles,
    evalBatch,
  })),
);

await initEngine();
const outcome = await runSharded<FabCell, FabRow>(cells, sharding, (subset) =>
  runTasks<FabCell, FabRow>(new URL('./jobs/fab.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
  }),
);
if (outcome === null) process.exit(0);

const length =
  fixed !== null
    ? ['--iterations', String(fixed)]
    : ['--fraction', targets.map((t) => `${t}=${fractions.get(t)}`).join(',')];
const flags = [
  ...['--targets', targets.join(','), '--seeds', seeds.join(','), ...length],
  ...['--eval-particles', String(evalParticles), '--eval-batch', String(evalBatch)],
  ...(name !== 'fab' ? ['--name', name] : []),
];
const full = flags.map((x, i) =>
  flags[i - 1] === '--iterations' || flags[i - 1] === '--fraction'
    ? '1'
    : x === '--iterations'
      ? '--fraction'
      : x,
);
const runs: FabTargetRun[] = targets.map((t) => {
  const p = FAB_PRESETS[t]!;
  const move =
    p.fab.move === 'metropolis'
      ? `random-walk Metropolis of step ${p.fab.stepSize}${p.fab.targetAcceptance === null ? ' (fixed)' : ''}`
      : `HMC of ${p.fab.leapfrogSteps} leapfrog steps from step size ${p.fab.stepSize}, tuned towards acceptance ${p.fab.targetAcceptance}`;
  const b = p.fab.buffer;
  return {
    target: t,
    label: LABELS[t]?.label ?? t,
    iterations: iterationsFor(t),
    paperIterations: p.paperIterations,
    paperSource: p.paperSource,
    settings: `RealNVP of ${p.layers} affine couplings, hidden ${p.hidden.join(' x ')}; AIS passes of ${p.batch} through ${p.fab.intermediate} intermediate distributions, each with one ${move}; ${b ? `replay buffer of ${b.maxBatches} batches (${b.minBatches} before the first update), ${b.updatesPerPass} updates per pass` : 'no buffer'}; Adam at ${p.learningRate}${p.cosine ? ' with cosine decay' : ''}${p.clipNorm ? `, gradient norm clipped at ${p.clipNorm}` : ''}`,
    paperEss: t === 'gmm40' ? GMM40_PAPER_ESS : null,
    paperMaeTarget: LABELS[t]?.maeRow ?? null,
  };
});
const data: FabData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/fab.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/fab.ts ${full.join(' ')} --workers 8`,
  evalParticles,
  evalBatch,
  runs,
  rows: outcome.results,
};
writePublishedPage(docs, name, data, renderFab);
