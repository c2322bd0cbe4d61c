// Neal's funnel (d = 10) in at most 32 annealing steps, over seeds the config was not tuned on: per
// seed, the flow of configs/funnel-32.yaml (trained by reverse KL with the fast path gradient),
// then 32 steps of AIS with MH-corrected HMC from the flow. Writes docs/results/funnel-32.{json,md}.
//
//   npx tsx scripts/funnel-32.ts [--seeds 1,2,3,4,5] [--particles 20000] [--step-size 0.05]
//   [--shard I/N | --merge-shards]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfigObject } from '../src/cli/config.js';
import { divergences } from '../src/annealing/diagnostics.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { flowDistribution } from '../src/flows/adapters.js';
import { parseFlowRunConfig } from '../src/flows/config.js';
import { loadTrainedFlow, trainFlowRun } from '../src/flows/run.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { renderFunnel32, type Funnel32Data, type Funnel32Row } from './render/funnel32.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5' },
    particles: { type: 'string', default: '20000' },
    'step-size': { type: 'string', default: '0.05' },
    docs: { type: 'string', default: 'docs/results' },
    ...SHARD_FLAGS,
  },
});
const sharding = parseSharding(values, `${values.docs}/funnel-32`);
const CONFIG = 'configs/funnel-32.yaml';
const STEPS = 32;
const LEAPFROG = 5;
const BATCHES = 10;
const seeds = String(values.seeds).split(',').map(Number);
const particles = Number(values.particles);
const stepSize = Number(values['step-size']);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('--seeds: integers >= 0');

const base = readConfigObject(CONFIG, 'a flow run');
/** One seed's flow and the 32 steps from it. */
async function seedRow(seed: number): Promise<Funnel32Row> {
  const dir = join(mkdtempSync(join(tmpdir(), 'funnel-32-')), 'run');
  try {
    const config = parseFlowRunConfig({ ...base, seed }, CONFIG);
    const run = await trainFlowRun({ config, outDir: dir });
    const flowEval = run.evaluation;
    if (!flowEval) throw new Error(`seed ${seed}: the flow run did not finish`);
    const { target, flow } = await loadTrainedFlow(dir);
    const initial = flowDistribution(flow);
    const e = estimateLogZ({
      target,
      sampler: 'ais-hmc',
      steps: STEPS,
      particles,
      batches: BATCHES,
      stepSize,
      leapfrogSteps: LEAPFROG,
      initial,
      seed: 1000 + seed,
    });
    const row: Funnel32Row = {
      seed,
      flow: {
        logZ: flowEval.logZ,
        logZStdErr: flowEval.logZStdErr as number,
        essFraction: flowEval.essFraction,
        logZStdErrReliable: flowEval.logZStdErrReliable,
      },
      annealed: {
        logZ: e.logZ,
        logZStdErr: e.logZStdErr as number,
        essFraction: e.essFraction,
        essCount: e.essCount,
        logZStdErrReliable: e.logZStdErrReliable,
        diverged: divergences(e.perStep)?.count ?? 0,
      },
      trainSeconds: run.trainSeconds,
    };
    process.stderr.write(
      `seed ${seed}: flow log Z ${flowEval.logZ.toFixed(4)}, 32 steps ${e.logZ.toFixed(4)} ± ${(e.logZStdErr as number).toFixed(4)}\n`,
    );
    flow.dispose();
    target.dispose?.();
    return row;
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}
const outcome = await runSharded<number, Funnel32Row>(seeds, sharding, async (subset) => {
  const out: Funnel32Row[] = [];
  for (const seed of subset) out.push(await seedRow(seed));
  return out;
});
if (outcome === null) process.exit(0);
const rows = outcome.results;

const data: Funnel32Data = {
  generated: mergedGenerated(
    generatedNow({ node: process.versions.node, backend: 'wasm' }),
    outcome.generated,
  ),
  command: `npx tsx scripts/funnel-32.ts --seeds ${seeds.join(',')} --particles ${particles} --step-size ${stepSize}`,
  config: CONFIG,
  steps: STEPS,
  stepSize,
  leapfrogSteps: LEAPFROG,
  particles,
  batches: BATCHES,
  anchor: 'the published funnel figures of docs/results/published.md',
  rows,
};
writeFileSync(`${values.docs}/funnel-32.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.docs}/funnel-32.md`, renderFunnel32(data));
process.stderr.write(`wrote ${values.docs}/funnel-32.json and .md\n`);
