// The path-gradient paper's claim on a lattice target, over training seeds: for each seed a flow
// is trained by reverse KL with the standard and with the fast path gradient estimator (same
// initialization and training stream), evaluated every `--every` iterations on a fixed stream;
// the page gives the paired per-seed differences in reverse ESS at equal iterations and at equal
// training time, their 95% interval over seeds, and the verdict.
//   npx tsx scripts/path-gradient-seeds.ts --experiment phi4 --length 8 --width 8 --seeds 0,1,2 \
//     --iterations 2000 --every 250 --batch 256 --hidden 64 --lr 0.001 --workers 2
//   npx tsx scripts/path-gradient-seeds.ts --experiment u1 --width 4 ...
//   [--shard i/n | --merge-shards]   (cells over machines: docs/cluster.md)
// -> docs/results/path-gradient-<experiment>.{md,json,svg} (--name sets the file name)
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type * as vegaLite from 'vega-lite';
import { svgOf } from './render/svg.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import type { FlowVariant, Point } from './jobs/flow.js';
import { generatedNow } from './render/common.js';
import { ESTIMATORS, renderPathSeeds, type PathSeedsData } from './render/pathSeeds.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { refreshAfterWriting } from './pages.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      experiment: { type: 'string', default: 'phi4' },
      length: { type: 'string', default: '8' },
      width: { type: 'string', default: '8' },
      seeds: { type: 'string', default: '0,1,2' },
      iterations: { type: 'string', default: '2000' },
      every: { type: 'string', default: '250' },
      batch: { type: 'string', default: '256' },
      hidden: { type: 'string', default: '64' },
      lr: { type: 'string', default: '0.001' },
      'eval-particles': { type: 'string', default: '10000' },
      docs: { type: 'string', default: 'docs/results' },
      name: { type: 'string' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);
const experiment = values.experiment as string;
if (experiment !== 'phi4' && experiment !== 'u1') usage('--experiment must be phi4 or u1');
const length = integerFlag('length', values.length, 2);
const width = integerFlag('width', values.width, 2);
const iterations = integerFlag('iterations', values.iterations, 1);
const every = integerFlag('every', values.every, 1);
const batch = integerFlag('batch', values.batch, 2);
const hidden = integerFlag('hidden', values.hidden, 1);
const workers = integerFlag('workers', values.workers, 1);
const evalParticles = integerFlag('eval-particles', values['eval-particles'], 100);
const lr = Number(values.lr);
if (!(lr > 0)) usage('--lr must be a positive number');
const seeds = seedList(values.seeds);
const docs = values.docs as string;
const name = (values.name as string | undefined) ?? `path-gradient-${experiment}`;
pageName(name);
const sharding = parseSharding(values, `${docs}/${name}`);

const setting =
  experiment === 'phi4'
    ? {
        lattice: `${length} x ${width}`,
        target: { name: 'phi4', dim: length * width, width, kappa: 0.3, lambda: 0.022 },
        flow: { kind: 'z2-nice', layers: 8, hidden: [hidden, hidden], checkerboardWidth: width },
        describe: `phi^4 in hopping form (kappa 0.3, lambda 0.022), periodic ${length} x ${width} lattice; Z2-equivariant NICE, 8 coupling layers with checkerboard masks, odd tanh conditioners ${hidden} x ${hidden}, global scale; gradient clip 1`,
      }
    : {
        lattice: `${width} x ${width}`,
        target: { name: 'u1', width, beta: 3 },
        flow: {
          kind: 'u1-gauge',
          layers: 8,
          hidden: [hidden, hidden],
          circularComponents: 6,
        },
        describe: `U(1) gauge theory (Wilson action, beta 3), periodic ${width} x ${width} lattice; gauge-equivariant coupling flow, 8 layers, plaquette transforms = mixtures of 6 NCPs and a rotation, conditioners tanh MLP ${hidden} x ${hidden}; gradient clip 1`,
      };

// Seed-major: the first seeds' pairs finish first.
const cells: (FlowVariant & { seed: number; estimator: (typeof ESTIMATORS)[number] })[] =
  seeds.flatMap((seed) =>
    ESTIMATORS.map((estimator) => ({
      seed,
      estimator,
      label: `${estimator} seed ${seed}`,
      config: {
        seed,
        target: setting.target,
        flow: setting.flow,
        train: {
          iterations,
          batch,
          learningRate: lr,
          clipNorm: 1,
          loss: { kind: 'reverse-kl', estimator },
        },
      },
      iterations,
      every,
      evalParticles,
    })),
  );

await initEngine();
const outcome = await runSharded<FlowVariant, { points: Point[]; seconds: number }>(
  cells,
  sharding,
  (subset) =>
    runTasks<FlowVariant, { points: Point[]; seconds: number }>(
      new URL('./jobs/flow.ts', import.meta.url).href,
      subset,
      { workers, backend: currentBackend() as BackendName },
    ),
);
if (outcome === null) process.exit(0);

const flags = [
  ...['--experiment', experiment],
  ...(experiment === 'phi4' ? ['--length', String(length)] : []),
  ...['--width', String(width), '--seeds', seeds.join(',')],
  ...['--iterations', String(iterations), '--every', String(every), '--batch', String(batch)],
  ...['--hidden', String(hidden), '--lr', String(lr)],
  ...(evalParticles !== 10000 ? ['--eval-particles', String(evalParticles)] : []),
  ...(values.name !== undefined ? ['--name', name] : []),
];
const longer = flags.map((x, i) =>
  flags[i - 1] === '--iterations'
    ? String(iterations * 5)
    : flags[i - 1] === '--seeds'
      ? Array.from({ length: Math.max(9, seeds.length) }, (_, k) => k).join(',')
      : x,
);
const data: PathSeedsData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  experiment,
  name,
  lattice: setting.lattice,
  command: `npx tsx scripts/path-gradient-seeds.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/path-gradient-seeds.ts ${longer.join(' ')} --workers 8`,
  describe: setting.describe,
  learningRate: lr,
  batch,
  iterations,
  evalParticles,
  runs: cells.map((c, i) => {
    const r = outcome.results[i] as { points: Point[]; seconds: number };
    return { seed: c.seed, estimator: c.estimator, points: r.points, seconds: r.seconds };
  }),
};

const rows = data.runs.flatMap((r) =>
  r.points.map((p) => ({
    run: `${r.estimator}, seed ${r.seed}`,
    estimator: r.estimator,
    iteration: p.iteration,
    seconds: p.trainSeconds ?? 0,
    ess: p.reverseEss,
  })),
);
const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { values: rows },
  hconcat: (['iteration', 'seconds'] as const).map((x) => ({
    title: x === 'iteration' ? 'by iteration' : 'by training time',
    width: 260,
    height: 200,
    mark: { type: 'line', point: true, opacity: 0.8 },
    encoding: {
      x: { field: x, type: 'quantitative', title: x === 'iteration' ? 'iteration' : 'training s' },
      y: { field: 'ess', type: 'quantitative', title: 'reverse ESS' },
      color: { field: 'estimator', type: 'nominal', title: null },
      detail: { field: 'run', type: 'nominal' },
    },
  })),
} as vegaLite.TopLevelSpec;
const svg = await svgOf(spec);

mkdirSync(docs, { recursive: true });
const out = `${docs}/${name}`;
writeFileSync(`${out}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${out}.md`, renderPathSeeds(data));
writeFileSync(`${out}.svg`, svg);
process.stderr.write(`wrote ${out}.md, .json and .svg\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
