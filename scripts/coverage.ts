// How often the fixed samplers' ±2 SE interval covers the exact log Z, over many seeds: every run is
// estimateLogZ at the given settings on a target whose log Z is known in closed form. Writes each
// run (its estimate, standard error and batch estimates) to docs/results/coverage.json and renders
// docs/results/coverage.md, which also recomputes the spread-of-logs standard error the library
// used before, from the batch estimates, for comparison.
//
//   npx tsx scripts/coverage.ts --seeds 1-100 --steps 64
//   npx tsx scripts/coverage.ts --seeds 1-50 --steps 512 --targets gaussian,banana --merge
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checked, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { renderCoverage, type CoverageData, type CoverageRun } from './render/coverage.js';
import { initEngine } from '../src/engine/index.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { createTarget } from '../src/targets/registry.js';
import { loadTargetModule } from '../src/targets/module.js';
import type { Target } from '../src/targets/target.js';
import type { EstimateSamplerName } from '../src/annealing/samplers.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      seeds: { type: 'string', default: '1-100' },
      steps: { type: 'string', default: '64' },
      particles: { type: 'string', default: '1000' },
      samplers: { type: 'string', default: 'ais-hmc,smc-hmc' },
      targets: { type: 'string', default: 'gaussian,banana,eight-schools,gmm8' },
      out: { type: 'string', default: 'docs/results/coverage' },
      // Keep the existing runs of other settings and targets, replacing only those rerun.
      merge: { type: 'boolean', default: false },
      ...SHARD_FLAGS,
    },
    strict: true,
  }),
);

const range = /^(\d+)-(\d+)$/.exec(values.seeds);
if (!range) usage(`coverage: --seeds takes 'A-B', got '${values.seeds}'`);
const [lo, hi] = [Number(range[1]), Number(range[2])];
if (hi < lo) usage(`coverage: --seeds ${values.seeds} is empty`);
const seeds = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const steps = Number(values.steps);
const particles = Number(values.particles);
if (!Number.isInteger(steps) || steps < 1) usage(`coverage: --steps must be a positive integer`);
if (!Number.isInteger(particles) || particles < 10)
  usage(`coverage: --particles must be an integer of at least 10`);
const samplers = values.samplers.split(',') as EstimateSamplerName[];

/** The targets with a closed-form log Z, as the page names them. */
const TARGETS: Record<string, () => Promise<Target>> = {
  gaussian: async () => createTarget('gaussian', { dim: 10 }),
  banana: () => loadTargetModule('examples/targets/banana.mjs', {}),
  'eight-schools': () => loadTargetModule('examples/targets/hierarchical.mjs', {}),
  gmm8: async () => createTarget('gmm8', { dim: 2 }),
};
const targetNames = values.targets.split(',');
for (const t of targetNames)
  if (!TARGETS[t]) usage(`coverage: no target '${t}'; known: ${Object.keys(TARGETS).join(', ')}`);

const sharding = parseSharding(values, values.out);
if (sharding.shard && values.merge)
  usage('coverage: --merge applies when the shards are merged (--merge-shards --merge)');

await initEngine();
interface Cell {
  target: string;
  sampler: EstimateSamplerName;
  seed: number;
}
const cells: Cell[] = targetNames.flatMap((target) =>
  samplers.flatMap((sampler) => seeds.map((seed) => ({ target, sampler, seed }))),
);
/** The cells' runs, each target built once for the cells that use it. */
async function runCells(subset: Cell[]): Promise<CoverageRun[]> {
  const built = new Map<string, Target>();
  const out: CoverageRun[] = [];
  try {
    for (const { target: name, sampler, seed } of subset) {
      let target = built.get(name);
      if (!target) {
        target = await (TARGETS[name] as () => Promise<Target>)();
        built.set(name, target);
      }
      const r = estimateLogZ({ target, sampler, steps, particles, seed });
      out.push({
        target: name,
        sampler,
        steps,
        particles,
        seed,
        logZ: r.logZ,
        exact: target.logZ as number,
        stdErr: r.logZStdErr,
        over: r.logZStdErrOver,
        reliable: r.logZStdErrReliable,
        essCount: r.essCount,
        batchLogZ: r.batchLogZ,
      });
    }
  } finally {
    for (const t of built.values()) t.dispose?.();
  }
  return out;
}
const outcome = await runSharded<Cell, CoverageRun>(cells, sharding, runCells);
if (outcome === null) process.exit(0);
const runs = outcome.results;
for (const name of targetNames)
  for (const sampler of samplers) {
    const mine = runs.filter((r) => r.target === name && r.sampler === sampler);
    const covered = mine.filter(
      (r) => r.stdErr !== null && Math.abs(r.logZ - r.exact) <= 2 * r.stdErr,
    ).length;
    process.stderr.write(
      `${name} | ${sampler} | ${steps} steps: ±2 SE covers ${covered}/${mine.length}\n`,
    );
  }

const file = `${values.out}.json`;
const previous =
  values.merge && existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as CoverageData)
    : null;
const rerun = (r: CoverageRun) =>
  targetNames.includes(r.target) && (samplers as string[]).includes(r.sampler) && r.steps === steps;
const command = `npx tsx scripts/coverage.ts --seeds ${values.seeds} --steps ${steps} --particles ${particles} --samplers ${values.samplers} --targets ${values.targets}${values.merge ? ' --merge' : ''}`;
const data: CoverageData = {
  generated: mergedGenerated(
    generatedNow({ node: process.versions.node, backend: 'wasm' }),
    outcome.generated,
  ),
  commands: previous ? [...previous.commands.filter((c) => c !== command), command] : [command],
  runs: previous ? [...previous.runs.filter((r) => !rerun(r)), ...runs] : runs,
};
writeFileSync(file, `${JSON.stringify(data, null, 1)}\n`);
writeFileSync(`${values.out}.md`, renderCoverage(data));
process.stderr.write(`wrote ${file} and ${values.out}.md\n`);
