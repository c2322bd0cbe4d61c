// The standard benchmark of annealing and diffusion samplers (the CMCD and "Beyond ELBOs" tables):
// each learned sampler on each target over training seeds, its initial distribution pretrained by
// mean-field VI, set beside the CMCD authors' published numbers at the same number of steps.
//   npx tsx scripts/benchmark.ts --targets sonar,ionosphere,seeds,brownian \
//     --methods ula,ula-mcd,uha,ldvi,cmcd,cmcd-ud --steps 256 --iterations 2000 --seeds 0,1,2 \
//     --workers 2
//   [--objective elbo|logvar] [--particles 128] [--lr 0.001] [--mfvi-iterations 2000]
//   [--shard i/n | --merge-shards]   (docs/cluster.md)
// -> docs/results/benchmark.{md,json} (--name sets the file name, e.g. benchmark-k8)
import { parseArgs } from 'node:util';
import { isLearnedSamplerName, type LearnedSamplerName } from '../src/annealing/learned.js';
import { UNDERDAMPED_LOGVAR } from '../src/annealing/objectives.js';
import { SAMPLER_TABLE } from '../src/annealing/samplerTable.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { getTargetSpec } from '../src/targets/registry.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import type { BenchmarkCell } from './jobs/benchmark.js';
import { writePublishedPage } from './pages.js';
import {
  renderBenchmark,
  type BenchmarkData,
  type BenchmarkRow,
  type BenchmarkSettings,
} from './render/benchmark.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';

/** Training iterations of the published runs (the CMCD authors' base config). */
const PAPER_ITERATIONS = 150_000;

const { values } = checked(() =>
  parseArgs({
    options: {
      targets: { type: 'string', default: 'sonar,ionosphere,seeds,brownian' },
      methods: { type: 'string', default: 'ula,ula-mcd,uha,ldvi,cmcd,cmcd-ud' },
      steps: { type: 'string', default: '256' },
      seeds: { type: 'string', default: '0,1,2' },
      iterations: { type: 'string', default: '2000' },
      particles: { type: 'string', default: '128' },
      lr: { type: 'string', default: '0.001' },
      'mfvi-iterations': { type: 'string', default: '2000' },
      'mfvi-lr': { type: 'string', default: '0.01' },
      clip: { type: 'string', default: '10' },
      objective: { type: 'string', default: 'elbo' },
      'eval-particles': { type: 'string', default: '4000' },
      'ula-step': { type: 'string', default: '0.001' },
      'uha-step': { type: 'string', default: '0.01' },
      name: { type: 'string', default: 'benchmark' },
      docs: { type: 'string', default: 'docs/results' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);

const positive = (flag: string, value: string | undefined) => {
  const x = Number(value);
  if (!(x > 0 && Number.isFinite(x))) usage(`--${flag} must be a positive number`);
  return x;
};
const targets = String(values.targets).split(',');
for (const t of targets) checked(() => getTargetSpec(t));
const methods = String(values.methods).split(',');
const notLearned = methods.find((m) => !isLearnedSamplerName(m));
if (notLearned !== undefined) usage(`--methods: '${notLearned}' is not a learned sampler`);
const objective = String(values.objective);
if (objective !== 'elbo' && objective !== 'logvar')
  usage(`--objective must be elbo or logvar, got '${objective}'`);
if (objective === 'logvar') {
  const notUla = methods.find((m) => SAMPLER_TABLE[m as LearnedSamplerName].kernel !== 'ula');
  if (notUla !== undefined)
    usage(
      `--objective logvar runs for the ULA samplers (ula, ula-mcd, cmcd), not '${notUla}': ${UNDERDAMPED_LOGVAR}`,
    );
}
const steps = integerFlag('steps', values.steps, 1);
const seeds = seedList(values.seeds);
const iterations = integerFlag('iterations', values.iterations, 0);
const particles = integerFlag('particles', values.particles, 2);
const mfviIterations = integerFlag('mfvi-iterations', values['mfvi-iterations'], 1);
const evalParticles = integerFlag('eval-particles', values['eval-particles'], 100);
const workers = integerFlag('workers', values.workers, 1);
const learningRate = positive('lr', values.lr);
const mfviLearningRate = positive('mfvi-lr', values['mfvi-lr']);
const ulaStep = positive('ula-step', values['ula-step']);
const uhaStep = positive('uha-step', values['uha-step']);
const clipNorm = values.clip === 'none' ? null : positive('clip', values.clip);
const name = values.name as string;
pageName(name);
const docs = values.docs as string;
const sharding = parseSharding(values, `${docs}/${name}`);

const settings: BenchmarkSettings = {
  steps,
  iterations,
  particles,
  learningRate,
  mfviIterations,
  mfviLearningRate,
  clipNorm,
  objective: objective as 'elbo' | 'logvar',
  evalParticles,
  ulaStep,
  uhaStep,
};
const cells: BenchmarkCell[] = targets.flatMap((target) =>
  methods.flatMap((method) =>
    seeds.map((seed) => ({ ...settings, target, method: method as LearnedSamplerName, seed })),
  ),
);

await initEngine();
const outcome = await runSharded<BenchmarkCell, BenchmarkRow>(cells, sharding, (subset) =>
  runTasks<BenchmarkCell, BenchmarkRow>(
    new URL('./jobs/benchmark.ts', import.meta.url).href,
    subset,
    {
      workers,
      backend: currentBackend() as BackendName,
      // The networks make MCD, LDVI and CMCD cells dearer than ULA and UHA.
      costs: subset.map((c) => (['ula', 'uha'].includes(c.method) ? 1 : 2)),
    },
  ),
);
if (outcome === null) process.exit(0);

const flags = [
  ...['--targets', targets.join(','), '--methods', methods.join(','), '--steps', String(steps)],
  ...['--seeds', seeds.join(','), '--iterations', String(iterations)],
  ...['--particles', String(particles), '--lr', String(learningRate)],
  ...['--mfvi-iterations', String(mfviIterations), '--mfvi-lr', String(mfviLearningRate)],
  ...['--clip', clipNorm === null ? 'none' : String(clipNorm), '--objective', objective],
  ...['--eval-particles', String(evalParticles)],
  ...['--ula-step', String(ulaStep), '--uha-step', String(uhaStep)],
  ...(name !== 'benchmark' ? ['--name', name] : []),
];
const longer = flags.map((x, i) =>
  flags[i - 1] === '--iterations' ? String(Math.max(iterations * 10, 20_000)) : x,
);
const data: BenchmarkData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/benchmark.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/benchmark.ts ${longer.join(' ')} --workers 8`,
  settings,
  paperIterations: PAPER_ITERATIONS,
  rows: outcome.results,
};
writePublishedPage(docs, name, data, renderBenchmark);
