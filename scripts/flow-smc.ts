// Flows inside SMC: CRAFT (and AFT, --methods craft,aft) over training seeds on the benchmark's targets, its log Z before
// training (plain SMC with the same moves) and after, beside the CMCD authors' published CRAFT,
// AFT and SMC rows at the same number of steps.
//   npx tsx scripts/flow-smc.ts --targets funnel --steps 8 --seeds 0,1,2,3,4 --iterations 2000 \
//     --workers 2 [--methods craft,aft --aft-iterations 200]
//   [--particles 2000] [--lr 0.001] [--layers 4] [--hidden 64] [--hmc-step 0.3] [--leapfrog 10]
//   [--ess-threshold 0.3] [--eval-particles 6000] [--eval-systems 3] [--shard i/n | --merge-shards]
// -> docs/results/flow-smc.{md,json} (--name sets the file name)
import { parseArgs } from 'node:util';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { getTargetSpec } from '../src/targets/registry.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import type { FlowSmcCell } from './jobs/flowSmc.js';
import { writePublishedPage } from './pages.js';
import { generatedNow } from './render/common.js';
import {
  renderFlowSmc,
  type FlowSmcMethod,
  type FlowSmcData,
  type FlowSmcRow,
  type FlowSmcSettings,
} from './render/flowSmc.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';

/** CRAFT iterations of the published funnel runs (craft_num_iters of its funnel config). */
const PAPER_ITERATIONS = 2000;
/** AFT's Adam iterations per step in the same config (free_energy_iters). */
const AFT_PAPER_ITERATIONS = 4000;

const { values } = checked(() =>
  parseArgs({
    options: {
      targets: { type: 'string', default: 'funnel' },
      methods: { type: 'string', default: 'craft' },
      'aft-iterations': { type: 'string', default: '200' },
      steps: { type: 'string', default: '8' },
      seeds: { type: 'string', default: '0,1,2,3,4' },
      iterations: { type: 'string', default: '2000' },
      particles: { type: 'string', default: '2000' },
      lr: { type: 'string', default: '0.001' },
      layers: { type: 'string', default: '4' },
      hidden: { type: 'string', default: '64' },
      'hmc-step': { type: 'string', default: '0.3' },
      leapfrog: { type: 'string', default: '10' },
      'ess-threshold': { type: 'string', default: '0.3' },
      'eval-particles': { type: 'string', default: '6000' },
      'eval-systems': { type: 'string', default: '3' },
      name: { type: 'string', default: 'flow-smc' },
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
const essThreshold = positive('ess-threshold', values['ess-threshold']);
if (essThreshold > 1) usage('--ess-threshold must be a fraction in (0, 1]');
const settings: FlowSmcSettings = {
  steps: integerFlag('steps', values.steps, 1),
  layers: integerFlag('layers', values.layers, 1),
  hidden: integerFlag('hidden', values.hidden, 1),
  iterations: integerFlag('iterations', values.iterations, 0),
  particles: integerFlag('particles', values.particles, 2),
  learningRate: positive('lr', values.lr),
  hmcStepSize: positive('hmc-step', values['hmc-step']),
  leapfrogSteps: integerFlag('leapfrog', values.leapfrog, 1),
  essThreshold,
  evalParticles: integerFlag('eval-particles', values['eval-particles'], 2),
  evalSystems: integerFlag('eval-systems', values['eval-systems'], 1),
};
const methods = String(values.methods).split(',') as FlowSmcMethod[];
for (const m of methods)
  if (m !== 'craft' && m !== 'aft') usage(`--methods: unknown method '${m}'; methods: craft, aft`);
if (methods.includes('aft'))
  settings.aftIterations = integerFlag('aft-iterations', values['aft-iterations'], 1);
if (settings.evalParticles % settings.evalSystems !== 0)
  usage('--eval-particles must split into --eval-systems systems of equal size');
const seeds = seedList(values.seeds);
const workers = integerFlag('workers', values.workers, 1);
const name = values.name as string;
pageName(name);
const docs = values.docs as string;
const sharding = parseSharding(values, `${docs}/${name}`);

const cells: FlowSmcCell[] = methods.flatMap((method) =>
  targets.flatMap((target) => seeds.map((seed) => ({ ...settings, method, target, seed }))),
);

await initEngine();
const outcome = await runSharded<FlowSmcCell, FlowSmcRow>(cells, sharding, (subset) =>
  runTasks<FlowSmcCell, FlowSmcRow>(new URL('./jobs/flowSmc.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
  }),
);
if (outcome === null) process.exit(0);

const flags = [
  ...(methods.join(',') !== 'craft' ? ['--methods', methods.join(',')] : []),
  ...(settings.aftIterations !== undefined
    ? ['--aft-iterations', String(settings.aftIterations)]
    : []),
  ...['--targets', targets.join(','), '--steps', String(settings.steps)],
  ...['--seeds', seeds.join(','), '--iterations', String(settings.iterations)],
  ...['--particles', String(settings.particles), '--lr', String(settings.learningRate)],
  ...['--layers', String(settings.layers), '--hidden', String(settings.hidden)],
  ...['--hmc-step', String(settings.hmcStepSize), '--leapfrog', String(settings.leapfrogSteps)],
  ...['--ess-threshold', String(settings.essThreshold)],
  ...['--eval-particles', String(settings.evalParticles)],
  ...['--eval-systems', String(settings.evalSystems)],
  ...(name !== 'flow-smc' ? ['--name', name] : []),
];
const longer = flags.map((x, i) =>
  flags[i - 1] === '--iterations'
    ? String(Math.max(settings.iterations, PAPER_ITERATIONS))
    : flags[i - 1] === '--aft-iterations'
      ? String(Math.max(settings.aftIterations ?? 0, AFT_PAPER_ITERATIONS))
      : x,
);
const data: FlowSmcData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/flow-smc.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/flow-smc.ts ${longer.join(' ')} --workers 8`,
  settings,
  paperIterations: PAPER_ITERATIONS,
  rows: outcome.results,
};
writePublishedPage(docs, name, data, renderFlowSmc);
