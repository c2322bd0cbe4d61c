// The spread of one `anneal logz` command over seeds: runs it once per seed (compiled CLI, `npm run
// build` first) and writes docs/results/seeds-NAME.{json,md}, so a claim about a single seed's
// estimate can be read against the others.
//
//   npx tsx scripts/seed-spread.ts --name many-well-hmc --seeds 1,2,3,4,5 -- \
//     --target many-well --sampler ais-hmc --steps 300 --particles 1000 --step-size 0.1 --leapfrog 5 --init-scale 1.5
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderSeeds, type SeedRun, type SeedsData } from './render/seeds.js';

const split = process.argv.indexOf('--');
if (split < 0) {
  process.stderr.write('seed-spread: give the anneal logz arguments after --\n');
  process.exit(2);
}
const { values } = parseArgs({
  args: process.argv.slice(2, split),
  options: {
    name: { type: 'string' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    out: { type: 'string', default: 'docs/results' },
    ...SHARD_FLAGS,
  },
});
const args = process.argv.slice(split + 1);
if (!values.name || !/^[a-z0-9-]+$/.test(values.name)) {
  process.stderr.write('seed-spread: give --name NAME (lowercase letters, digits, dashes)\n');
  process.exit(2);
}
const sharding = parseSharding(values, `${values.out}/seeds-${values.name}`);
const seedRun = (seed: number): SeedRun => {
  process.stderr.write(`seed ${seed} ...\n`);
  const r = spawnSync(
    process.execPath,
    ['bin/anneal.js', 'logz', ...args, '--seed', String(seed), '--json', '--quiet'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`anneal logz failed for seed ${seed}: ${r.stderr.trim()}`);
  const o = JSON.parse(r.stdout) as Omit<SeedRun, 'seed'>;
  return {
    seed,
    logZ: o.logZ,
    logZStdErr: o.logZStdErr,
    essCount: o.essCount,
    logZStdErrReliable: o.logZStdErrReliable,
    trueLogZ: o.trueLogZ,
  };
};
const outcome = await runSharded<number, SeedRun>(
  values.seeds.split(',').map(Number),
  sharding,
  async (subset) => subset.map(seedRun),
);
if (outcome === null) process.exit(0);
const runs = outcome.results;
const data: SeedsData = {
  generated: mergedGenerated(generatedNow(), outcome.generated),
  name: values.name,
  args,
  runs,
};
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/seeds-${values.name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.out}/seeds-${values.name}.md`, renderSeeds(data));
process.stderr.write(`wrote ${values.out}/seeds-${values.name}.{json,md}\n`);
