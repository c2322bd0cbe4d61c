// The auto sampler's record: runs `anneal logz` (compiled CLI: `npm run build` first) and writes
// docs/results/auto-<section>.json, then re-renders docs/results/auto.md from every section on disk.
//
//   npx tsx scripts/auto-results.ts --section zero --seeds 1-10       zero knobs, every target
//   npx tsx scripts/auto-results.ts --section target-se --seeds 1-10  --target-se 0.02
//   npx tsx scripts/auto-results.ts --section coverage --seeds 1-100  log Z ± 2 SE over seeds
//   npx tsx scripts/auto-results.ts --section versus --seeds 1-3      error against time
//
// Each run is a separate process, one at a time, so its seconds are its own.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checked, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { logisticReferences } from './render/results.js';
import {
  AUTO_SECTIONS,
  renderAuto,
  type AutoRun,
  type AutoSection,
  type AutoSectionName,
} from './render/auto.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      section: { type: 'string' },
      seeds: { type: 'string', default: '1-5' },
      targets: { type: 'string' },
      out: { type: 'string', default: 'docs/results' },
      // Replace only these targets' runs in the section's existing JSON (after a change that
      // affects some targets); the page lists both commands.
      merge: { type: 'boolean', default: false },
      ...SHARD_FLAGS,
    },
  }),
);
const section = values.section as AutoSectionName;
if (!(AUTO_SECTIONS as readonly string[]).includes(section))
  usage(`auto-results: --section must be one of ${AUTO_SECTIONS.join(', ')}`);
function seedList(text: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (m) {
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    if (hi < lo) usage(`auto-results: --seeds ${text} is empty`);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  const list = text.split(',').map(Number);
  if (list.some((s) => !Number.isInteger(s) || s < 0))
    usage(`auto-results: --seeds takes 'A-B' or a comma list of integers, got '${text}'`);
  return list;
}
const seeds = seedList(values.seeds);

const files = { read: (p: string) => readFileSync(p, 'utf8'), list: (d: string) => readdirSync(d) };
const references = logisticReferences(files);

/** A target as `anneal logz` arguments, with its exact or reference log Z (null: from the run). */
interface TargetCase {
  name: string;
  args: string[];
  reference: number | null;
}
const logistic = ['sonar', 'ionosphere', 'german-credit', 'breast-cancer'];
const TARGETS: TargetCase[] = [
  { name: 'funnel', args: ['--target', 'funnel', '--dim', '10'], reference: null },
  { name: 'many-well', args: ['--target', 'many-well', '--dim', '32'], reference: null },
  { name: 'gmm8', args: ['--target', 'gmm8', '--dim', '20'], reference: null },
  { name: 'student-t8', args: ['--target', 'student-t8', '--dim', '20'], reference: null },
  ...logistic.map((t) => ({ name: t, args: ['--target', t], reference: references[t] as number })),
  {
    name: 'banana',
    args: ['--target-module', 'examples/targets/banana.mjs'],
    reference: null,
  },
  {
    name: 'eight-schools',
    args: ['--target-module', 'examples/targets/hierarchical.mjs'],
    reference: null,
  },
];
const byName = (names: string[]) =>
  names.map((n) => TARGETS.find((t) => t.name === n) ?? usage(`auto-results: no target '${n}'`));

/** The configurations a section runs on each target, as extra `anneal logz` arguments. */
const CONFIGS: Record<AutoSectionName, { label: string; args: string[] }[]> = {
  zero: [{ label: 'auto', args: [] }],
  'target-se': [{ label: 'auto --target-se 0.02', args: ['--target-se', '0.02'] }],
  coverage: [{ label: 'auto', args: [] }],
  versus: [
    { label: 'ais-hmc (defaults)', args: ['--sampler', 'ais-hmc'] },
    {
      label: 'ais-hmc, 4x steps and particles',
      args: ['--sampler', 'ais-hmc', '--steps', '256', '--particles', '4000'],
    },
    { label: 'smc-hmc (defaults)', args: ['--sampler', 'smc-hmc'] },
    {
      label: 'smc-hmc, 4x steps and particles',
      args: ['--sampler', 'smc-hmc', '--steps', '256', '--particles', '4000'],
    },
    { label: 'auto --target-se 0.05', args: ['--target-se', '0.05'] },
    { label: 'auto', args: [] },
    { label: 'auto --waste-free --target-se 0.05', args: ['--waste-free', '--target-se', '0.05'] },
    { label: 'auto --waste-free', args: ['--waste-free'] },
  ],
};
const DEFAULT_TARGETS: Record<AutoSectionName, string[]> = {
  zero: TARGETS.map((t) => t.name),
  'target-se': [...logistic, 'many-well'],
  coverage: ['banana', 'eight-schools', 'many-well'],
  versus: ['many-well', 'german-credit', 'sonar', 'banana', 'eight-schools'],
};
const targets = byName(values.targets ? values.targets.split(',') : DEFAULT_TARGETS[section]);

/** One target, config and seed: an `anneal logz` process of its own. */
function runOne(
  t: TargetCase,
  c: (typeof CONFIGS)[AutoSectionName][number],
  seed: number,
): AutoRun {
  const args = ['logz', ...t.args, ...c.args, '--seed', String(seed), '--json', '--quiet'];
  process.stderr.write(`${t.name} | ${c.label} | seed ${seed} ... `);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['bin/anneal.js', ...args], { encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0) {
    process.stderr.write(`failed: ${r.stderr.trim()}\n`);
    return {
      target: t.name,
      config: c.label,
      seed,
      logZ: null,
      stdErr: null,
      reference: t.reference,
      seconds: null,
      wallSeconds: wall,
      systems: null,
      stoppedBy: null,
      fitted: null,
      temperatures: null,
      failure: r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`,
    };
  }
  const o = JSON.parse(r.stdout) as {
    logZ: number;
    logZStdErr: number | null;
    trueLogZ: number | null;
    seconds: number;
    systems?: number;
    stoppedBy?: string;
    start?: { fitted: boolean };
    temperatures?: unknown[];
  };
  const reference = t.reference ?? o.trueLogZ;
  const run: AutoRun = {
    target: t.name,
    config: c.label,
    seed,
    logZ: o.logZ,
    stdErr: o.logZStdErr,
    reference,
    seconds: o.seconds,
    wallSeconds: wall,
    systems: o.systems ?? null,
    stoppedBy: o.stoppedBy ?? null,
    fitted: o.start?.fitted ?? null,
    temperatures: o.temperatures?.length ?? null,
    failure: null,
  };
  const err = reference === null ? NaN : o.logZ - reference;
  process.stderr.write(`${o.logZ.toFixed(4)} (error ${err.toFixed(4)}) in ${wall.toFixed(1)} s\n`);
  return run;
}
const cells = targets.flatMap((t) =>
  CONFIGS[section].flatMap((c) => seeds.map((seed) => ({ target: t.name, config: c.label, seed }))),
);
const sharding = parseSharding(values, `${values.out}/auto-${section}`);
if (sharding.shard && values.merge)
  usage('auto-results: --merge applies when the shards are merged (--merge-shards --merge)');
const outcome = await runSharded(cells, sharding, async (subset) =>
  subset.map((cell) =>
    runOne(
      targets.find((t) => t.name === cell.target) as TargetCase,
      CONFIGS[section].find(
        (c) => c.label === cell.config,
      ) as (typeof CONFIGS)[AutoSectionName][number],
      cell.seed,
    ),
  ),
);
if (outcome === null) process.exit(0);
const runs: AutoRun[] = outcome.results;

const command = `npx tsx scripts/auto-results.ts --section ${section} --seeds ${values.seeds}${values.targets ? ` --targets ${values.targets}` : ''}${values.merge ? ' --merge' : ''}`;
const file = `${values.out}/auto-${section}.json`;
const previous =
  values.merge && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AutoSection) : null;
const rerun = new Set(targets.map((t) => t.name));
const data: AutoSection = {
  generated: mergedGenerated(
    generatedNow({ node: process.versions.node, backend: 'wasm' }),
    outcome.generated,
  ),
  section,
  command: previous ? `${previous.command}, then ${command}` : command,
  runs: previous
    ? [...previous.runs.filter((r) => !rerun.has(r.target)), ...runs].sort(
        (a, b) =>
          TARGETS.findIndex((t) => t.name === a.target) -
            TARGETS.findIndex((t) => t.name === b.target) ||
          CONFIGS[section].findIndex((c) => c.label === a.config) -
            CONFIGS[section].findIndex((c) => c.label === b.config) ||
          a.seed - b.seed,
      )
    : runs,
};
writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
const sections = AUTO_SECTIONS.filter((s) => existsSync(`${values.out}/auto-${s}.json`)).map(
  (s) => JSON.parse(readFileSync(`${values.out}/auto-${s}.json`, 'utf8')) as AutoSection,
);
writeFileSync(`${values.out}/auto.md`, renderAuto(sections));
process.stderr.write(`wrote ${values.out}/auto-${section}.json and ${values.out}/auto.md\n`);
