// Flow experiments of the path-gradient paper (Vaitl et al. 2024) at reduced scale, each variant
// trained from the same initialization and stream, evaluated every `--every` iterations:
//  - gmm: RealNVP on MGM (d = 6, 2^6 components at {+-1}^6, variance 0.5), reverse KL with the
//    standard and the fast path gradient, forward KL with maximum likelihood and its path form
//    (fast, and the reference that gets grad log q by autodiff through the inverse flow);
//    reverse ESS, forward ESS and NLL of 10,000 held-out target samples.
//  - phi4: Z2-equivariant NICE on the 16 x 8 phi^4 lattice (kappa 0.3, lambda 0.022), reverse KL
//    with the standard and the fast path gradient, forward KL (ML and fast path gradient) on 10,000
//    configurations drawn by SMC-HMC; reverse ESS and log Z (no exact samples).
//  - u1: gauge-equivariant circular couplings on 2-d U(1) (--width, default 8; beta 3), reverse KL
//    with the standard and the fast path gradient; reverse ESS and log Z against the exact value.
// Writes docs/results/flow-<experiment>.{md,json,svg}.
//
//   npx tsx scripts/flow-compare.ts --experiment gmm [--iterations 600] [--every 100] [--batch 500] [--hidden 64]
//   npx tsx scripts/flow-compare.ts --experiment phi4 --iterations 400 --every 100 --batch 256 --hidden 64
//   npx tsx scripts/flow-compare.ts --experiment u1 --iterations 600 --every 100 --batch 256 --hidden 64
//   ... --workers N   (variants on N worker threads; the same numbers)
//
// The paper's scales are in docs/references.md (GMM: hidden 500, batch 4000; phi^4: 8 coupling blocks of
// 4 hidden layers of width 1000, batch 8000, lr 5e-4, gradient clip 1: configs/flow-phi4.yaml).
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type * as vegaLite from 'vega-lite';
import { svgOf } from './render/svg.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { u1LogZ } from '../src/targets/u1.js';
import type { FlowVariant, Point } from './jobs/flow.js';
import { renderFlow, type FlowData } from './render/flow.js';
import { refreshAfterWriting } from './pages.js';

const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: 'gmm' },
    iterations: { type: 'string', default: '600' },
    every: { type: 'string', default: '100' },
    batch: { type: 'string', default: '500' },
    hidden: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
    lr: { type: 'string' },
    width: { type: 'string', default: '8' },
    docs: { type: 'string', default: 'docs/results' },
    workers: { type: 'string', default: '1' },
    ...SHARD_FLAGS,
  },
});
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be an integer >= 1');
const iterations = Number(values.iterations);
const every = Number(values.every);
const hidden = Number(values.hidden);
const width = Number(values.width);

// phi^4 has no exact sampler: forward KL trains on lattice configurations drawn by SMC-HMC.
const PHI4_SAMPLES = {
  kind: 'smc-hmc',
  annealSteps: 200,
  mcmcSteps: 200,
  stepSize: 0.2,
  signFlip: true,
} as const;

const EXPERIMENTS = {
  gmm: {
    title: 'Flows on MGM (d = 6): standard vs path gradients, reverse and forward KL',
    target: { name: 'mgm', dim: 6 },
    flow: { kind: 'realnvp', layers: 6, hidden: [hidden, hidden] },
    learningRate: 1e-3,
    clipNorm: null,
    paperScale: 'hidden width 500 and batch 4000 (docs/references.md)',
    describe: `RealNVP, 6 coupling layers, conditioners tanh MLP ${hidden} x ${hidden}`,
    variants: [
      { label: 'reverse KL, standard', loss: { kind: 'reverse-kl', estimator: 'standard' } },
      { label: 'reverse KL, path (fast)', loss: { kind: 'reverse-kl', estimator: 'path-fast' } },
      {
        label: 'forward KL, ML',
        loss: { kind: 'forward-kl', estimator: 'ml', trainSamples: 10000 },
      },
      {
        label: 'forward KL, path (fast)',
        loss: { kind: 'forward-kl', estimator: 'path-fast', trainSamples: 10000 },
      },
      {
        label: 'forward KL, path (reference)',
        loss: { kind: 'forward-kl', estimator: 'path-reference', trainSamples: 10000 },
      },
    ],
  },
  phi4: {
    title:
      'Z2-equivariant NICE on phi^4 (16 x 8): standard vs path gradients, reverse and forward KL',
    target: { name: 'phi4', dim: 128, width: 8, kappa: 0.3, lambda: 0.022 },
    flow: { kind: 'z2-nice', layers: 8, hidden: [hidden, hidden], checkerboardWidth: 8 },
    learningRate: 5e-4,
    clipNorm: 1,
    paperScale: 'configs/flow-phi4.yaml',
    describe: `Z2-equivariant NICE, 8 coupling layers with checkerboard masks, odd tanh conditioners ${hidden} x ${hidden}, global scale`,
    variants: [
      { label: 'reverse KL, standard', loss: { kind: 'reverse-kl', estimator: 'standard' } },
      { label: 'reverse KL, path (fast)', loss: { kind: 'reverse-kl', estimator: 'path-fast' } },
      {
        label: 'forward KL, ML',
        loss: { kind: 'forward-kl', estimator: 'ml', trainSamples: 10000, samples: PHI4_SAMPLES },
      },
      {
        label: 'forward KL, path (fast)',
        loss: {
          kind: 'forward-kl',
          estimator: 'path-fast',
          trainSamples: 10000,
          samples: PHI4_SAMPLES,
        },
      },
    ],
  },
  u1: {
    title: `Gauge-equivariant flows on U(1) (${width} x ${width}, beta 3): standard vs path gradients, reverse KL`,
    target: { name: 'u1', width, beta: 3 },
    flow: { kind: 'u1-gauge', layers: 8, hidden: [hidden, hidden], circularComponents: 6 },
    learningRate: 1e-3,
    clipNorm: 1,
    paperScale: 'configs/flow-u1.yaml (L = 16)',
    describe: `Gauge-equivariant coupling flow, 8 layers (every direction and stripe offset once), plaquette transforms = mixtures of 6 NCPs and a rotation, conditioners tanh MLP ${hidden} x ${hidden} on cos/sin of the frozen plaquettes, uniform base`,
    variants: [
      { label: 'reverse KL, standard', loss: { kind: 'reverse-kl', estimator: 'standard' } },
      { label: 'reverse KL, path (fast)', loss: { kind: 'reverse-kl', estimator: 'path-fast' } },
    ],
  },
} as const;
const name = values.experiment as keyof typeof EXPERIMENTS;
const experiment = EXPERIMENTS[name];
if (!experiment)
  throw new Error(`--experiment must be one of ${Object.keys(EXPERIMENTS).join(', ')}`);
const VARIANTS = experiment.variants;
const learningRate = values.lr ? Number(values.lr) : experiment.learningRate;

const sharding = parseSharding(values, `${values.docs as string}/flow-${name}`);

await initEngine();
const cells: FlowVariant[] = VARIANTS.map((v) => ({
  label: v.label,
  config: {
    seed: Number(values.seed),
    target: experiment.target,
    flow: experiment.flow,
    train: {
      iterations,
      batch: Number(values.batch),
      learningRate,
      clipNorm: experiment.clipNorm,
      loss: v.loss,
    },
  },
  iterations,
  every,
}));
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
const runs = outcome.results;
const points = runs.flatMap((r) => r.points);
const seconds: Record<string, number> = Object.fromEntries(
  VARIANTS.map((v, i) => [v.label, (runs[i] as { seconds: number }).seconds]),
);

const spec: vegaLite.TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: {
    values: points.flatMap((p) => [
      { variant: p.variant, iteration: p.iteration, metric: 'reverse ESS', value: p.reverseEss },
      ...(p.nll === null
        ? [{ variant: p.variant, iteration: p.iteration, metric: 'log Z', value: p.logZ }]
        : [
            {
              variant: p.variant,
              iteration: p.iteration,
              metric: 'forward ESS',
              value: p.forwardEss,
            },
            { variant: p.variant, iteration: p.iteration, metric: 'NLL', value: p.nll },
          ]),
    ]),
  },
  width: 220,
  height: 180,
  facet: { column: { field: 'metric', type: 'nominal', title: null } },
  resolve: { scale: { y: 'independent' } },
  spec: {
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'iteration', type: 'quantitative' },
      y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
      color: { field: 'variant', type: 'nominal', title: null },
    },
  },
};
const svg = await svgOf(spec);

const flags = [
  ...['--experiment', name, '--iterations', String(iterations), '--every', String(every)],
  ...['--batch', String(values.batch), '--hidden', String(hidden)],
  ...(values.lr ? ['--lr', String(values.lr)] : []),
  ...(name === 'u1' ? ['--width', String(width)] : []),
];
const data: FlowData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  experiment: name,
  title: experiment.title,
  command: `npx tsx scripts/flow-compare.ts ${flags.join(' ')}`,
  seed: Number(values.seed),
  describe: experiment.describe,
  learningRate,
  batch: Number(values.batch),
  clipNorm: experiment.clipNorm,
  testSamples: name === 'gmm' ? 10000 : 0,
  ...(name === 'phi4'
    ? {
        trainingSamples: `Forward KL on a fixed set of 10000 configurations drawn by SMC-HMC (${PHI4_SAMPLES.annealSteps} annealing and ${PHI4_SAMPLES.mcmcSteps} HMC steps, step size ${PHI4_SAMPLES.stepSize}, 5 leapfrog steps, each draw's sign flipped with probability 1/2; train s excludes drawing them)`,
      }
    : {}),
  evalParticles: 10000,
  evalBatches: 10,
  exactLogZ: name === 'gmm' ? 0 : name === 'u1' ? u1LogZ(width, 3) : null,
  paperScale: experiment.paperScale,
  variants: VARIANTS.map((v) => v.label),
  points,
  seconds,
};
const docs = values.docs as string;
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/flow-${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/flow-${name}.md`, renderFlow(data));
writeFileSync(`${docs}/flow-${name}.svg`, svg);
process.stderr.write(`wrote ${docs}/flow-${name}.md, .json and .svg\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
