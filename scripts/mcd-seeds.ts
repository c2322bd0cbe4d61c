// The MCD paper's claim on its static mixtures, over training seeds: for each seed, ULA, ULA-MCD,
// UHA and UHA-MCD train on the ELBO from that seed's streams (MCD starts as exactly its base
// sampler) with one fixed initial distribution and schedule, and are evaluated on fresh particles;
// the page judges "MCD beats its AIS counterpart" from the per-seed paired differences (ELBO, and
// log Z where every estimate is reliable) and their 95% interval over seeds.
//   npx tsx scripts/mcd-seeds.ts --dim 200 --steps 64 --seeds 0,1,2 --iterations 500 \
//     --train-particles 128 --workers 2
//   [--targets gmm8,student-t8] [--ula-step 1 --uha-step 0.2]   (initial step sizes)
//   [--shard i/n | --merge-shards]   (docs/cluster.md)
// -> docs/results/mcd-seeds.{md,json} (--name sets the file name)
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import type { LearnedSamplerName } from '../src/annealing/learned.js';
import { runTasks } from '../src/parallel/pool.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import { isMixture, type McdCell, type McdRow } from './jobs/mcd.js';
import { generatedNow } from './render/common.js';
import { BASES, renderMcdSeeds, type Base, type McdSeedsData } from './render/mcdSeeds.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { refreshAfterWriting } from './pages.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      targets: { type: 'string', default: 'gmm8,student-t8' },
      dim: { type: 'string', default: '200' },
      steps: { type: 'string', default: '64' },
      seeds: { type: 'string', default: '0,1,2' },
      iterations: { type: 'string', default: '500' },
      'train-particles': { type: 'string', default: '128' },
      'eval-particles': { type: 'string', default: '20000' },
      lr: { type: 'string', default: '0.01' },
      'mixture-loc': { type: 'string', default: '10' },
      'initial-scale': { type: 'string', default: '6' },
      // The chains start from N(0, 6^2 I): far smaller steps spend the training budget on growing
      // them (Adam moves a log step size by about lr per iteration), not on the backward kernel.
      'ula-step': { type: 'string', default: '1' },
      'uha-step': { type: 'string', default: '0.2' },
      name: { type: 'string', default: 'mcd-seeds' },
      docs: { type: 'string', default: 'docs/results' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);
const targets = String(values.targets).split(',');
const notMixture = targets.find((t) => !isMixture(t));
if (notMixture !== undefined)
  usage(`--targets: '${notMixture}' is not one of the mixtures (gmm8, student-t8)`);
const dim = integerFlag('dim', values.dim, 1);
const steps = integerFlag('steps', values.steps, 1);
const seeds = seedList(values.seeds);
const iterations = integerFlag('iterations', values.iterations, 0);
const trainParticles = integerFlag('train-particles', values['train-particles'], 2);
const evalParticles = integerFlag('eval-particles', values['eval-particles'], 100);
const workers = integerFlag('workers', values.workers, 1);
const lr = Number(values.lr);
if (!(lr > 0)) usage('--lr must be a positive number');
const mixtureLoc = Number(values['mixture-loc']);
if (!(mixtureLoc > 0)) usage('--mixture-loc must be a positive number');
const initialScale = Number(values['initial-scale']);
if (!(initialScale > 0)) usage('--initial-scale must be a positive number');
const stepSizes: Record<Base, number> = { ula: 0, uha: 0 };
for (const base of BASES) {
  const step = Number(values[`${base}-step`]);
  if (!(step > 0)) usage(`--${base}-step must be a positive number`);
  stepSizes[base] = step;
}
const name = values.name as string;
pageName(name);
const docs = values.docs as string;
const sharding = parseSharding(values, `${docs}/${name}`);
// As the paper compares: one initial distribution and schedule, the same for every sampler.
const frozen: ('initial' | 'schedule')[] = ['initial', 'schedule'];

const cells: McdCell[] = targets.flatMap((target) =>
  seeds.flatMap((seed) =>
    BASES.flatMap((base) =>
      [base, `${base}-mcd`].map((kind) => ({
        target,
        kind: kind as LearnedSamplerName,
        steps,
        iterations,
        trainParticles,
        evalParticles,
        lr,
        seed,
        mixtureLoc,
        mixtureDim: dim,
        mixtureInitialScale: initialScale,
        frozen,
        stepSize: stepSizes[base],
      })),
    ),
  ),
);

await initEngine();
const outcome = await runSharded<McdCell, McdRow>(cells, sharding, (subset) =>
  runTasks<McdCell, McdRow>(new URL('./jobs/mcd.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
    // The score network makes an MCD cell dearer than its base sampler's.
    costs: subset.map((c) => (c.kind.endsWith('-mcd') ? 2 : 1)),
  }),
);
if (outcome === null) process.exit(0);

const flags = [
  ...['--targets', targets.join(','), '--dim', String(dim), '--steps', String(steps)],
  ...['--seeds', seeds.join(','), '--iterations', String(iterations)],
  ...['--train-particles', String(trainParticles), '--eval-particles', String(evalParticles)],
  ...[
    '--lr',
    String(lr),
    '--mixture-loc',
    String(mixtureLoc),
    '--initial-scale',
    String(initialScale),
    ...BASES.flatMap((base) => [`--${base}-step`, String(stepSizes[base])]),
  ],
  ...(name !== 'mcd-seeds' ? ['--name', name] : []),
];
const longer = flags.map((x, i) =>
  flags[i - 1] === '--iterations'
    ? String(iterations * 20)
    : flags[i - 1] === '--train-particles'
      ? String(Math.max(512, trainParticles))
      : flags[i - 1] === '--seeds'
        ? Array.from({ length: Math.max(5, seeds.length) }, (_, k) => k).join(',')
        : x,
);
const data: McdSeedsData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/mcd-seeds.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/mcd-seeds.ts ${longer.join(' ')} --workers 8`,
  iterations,
  trainParticles,
  evalParticles,
  lr,
  mixtureLoc,
  mixtureDim: dim,
  mixtureInitialScale: initialScale,
  stepSizes,
  frozen,
  rows: outcome.results,
};
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/${name}.md`, renderMcdSeeds(data));
process.stderr.write(`wrote ${docs}/${name}.md and .json\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
