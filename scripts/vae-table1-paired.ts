// Ding & Freedman's claim over training seeds: for each seed, IWAE-DReG and the AIS-trained decoder
// (each T in --temperatures) train at one K from that seed with the base config, and are evaluated
// on the same test images with the same evaluation seed; each image's difference removes the
// spread of log p(x) between images, and the page judges the claim from the per-seed differences'
// 95% interval over seeds.
//   npx tsx scripts/vae-table1-paired.ts --config configs/vae-mnist-table1-scale.yaml \
//     --seeds 0,1,2 --samples 5 --temperatures 5,11 --epochs 3 --workers 2
//   [--ais-steps N]   (the evaluation's AIS steps, in place of the config's: smaller BDMC gaps)
//   [--shard i/n | --merge-shards]   (cells over machines: docs/cluster.md)
// -> docs/results/vae-table1-paired.{md,json}. A cell whose run directory already holds its outcome
// for the same config is not retrained, so a stopped run continues where it was.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfigObject } from '../src/cli/config.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { parseVaeRunConfig } from '../src/models/vaeConfig.js';
import { runTasks } from '../src/parallel/pool.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import type { VaeVariant } from './jobs/vae.js';
import type { PerImageOutcome } from './jobs/vaePerImage.js';
import { refreshAfterWriting } from './pages.js';
import { generatedNow } from './render/common.js';
import { pairedSummary } from './render/vaePaired.js';
import {
  aisKey,
  dregKey,
  renderVaeTable1Paired,
  type VaeTable1PairedData,
} from './render/vaeTable1Paired.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      config: { type: 'string', default: 'configs/vae-mnist-table1-scale.yaml' },
      seeds: { type: 'string', default: '0,1,2' },
      samples: { type: 'string', default: '5' },
      temperatures: { type: 'string', default: '5,11' },
      epochs: { type: 'string' },
      'ais-steps': { type: 'string' },
      runs: { type: 'string', default: 'runs/vae-table1-paired' },
      docs: { type: 'string', default: 'docs/results' },
      name: { type: 'string', default: 'vae-table1-paired' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);
const workers = integerFlag('workers', values.workers, 1);
const samples = integerFlag('samples', values.samples, 1);
const temperatures = String(values.temperatures)
  .split(',')
  .map((t) => integerFlag('temperatures', t, 2));
if (new Set(temperatures).size !== temperatures.length) usage('--temperatures: each T once');
const seeds = seedList(values.seeds);
const name = values.name as string;
pageName(name);
const base = checked(() =>
  readConfigObject(values.config as string, 'data, model and train'),
) as Record<string, Record<string, unknown>>;
if (values.epochs !== undefined)
  base.train = { ...base.train, epochs: integerFlag('epochs', values.epochs, 1) };
if (values['ais-steps'] !== undefined)
  base.eval = { ...base.eval, aisSteps: integerFlag('ais-steps', values['ais-steps'], 1) };
const docs = values.docs as string;
const sharding = parseSharding(values, `${docs}/${name}`);

const objectives = [
  { key: dregKey, objective: { kind: 'iwae-dreg', samples } },
  ...temperatures.map((t) => ({
    key: aisKey(t),
    objective: { kind: 'ais', samples, temperatures: t, leapfrogSteps: 5 },
  })),
];
// Seed-major, so the first seeds' comparisons complete first; every run shares one eval seed.
const cells: (VaeVariant & { seed: number; key: string })[] = seeds.flatMap((seed) =>
  objectives.map((o) => ({
    seed,
    key: o.key,
    label: `${o.key} seed ${seed}`,
    config: { ...base, seed, train: { ...base.train, objective: o.objective } },
    source: values.config as string,
    dir: join(values.runs as string, `seed-${seed}`, o.key),
  })),
);

// A config that cannot run is one line here, before any cell trains.
for (const c of cells) checked(() => parseVaeRunConfig(c.config, c.source));
await initEngine({ backend: base.backend as unknown as BackendName | undefined });
// runTasks starts the costliest first: an AIS-trained iteration costs about T times a DReG one.
const costOf = (key: string) => (key === dregKey ? 1 : Number(key.replace('ais-t', '')));
const outcome = await runSharded<VaeVariant, PerImageOutcome>(cells, sharding, (subset) =>
  runTasks<VaeVariant, PerImageOutcome>(
    new URL('./jobs/vaePerImage.ts', import.meta.url).href,
    subset,
    {
      workers,
      backend: currentBackend() as BackendName,
      costs: subset.map((c) => costOf((c as (typeof cells)[number]).key)),
    },
  ),
);
if (outcome === null) process.exit(0);
const failed = cells.filter((_, i) => !outcome.results[i]?.completed);
if (failed.length) {
  process.stderr.write(
    `${failed.length} run(s) stopped early (${failed.map((c) => c.label).join(', ')}): no page written\n`,
  );
  process.exit(1);
}

const perImage = (seed: number, key: string) =>
  (outcome.results[cells.findIndex((c) => c.seed === seed && c.key === key)] as PerImageOutcome)
    .perImage;
// IWAE-DReG against each T, and the smallest T against each larger one.
const compared: [string, string][] = [
  ...temperatures.map((t): [string, string] => [dregKey, aisKey(t)]),
  ...temperatures
    .slice(1)
    .map((t): [string, string] => [aisKey(temperatures[0] as number), aisKey(t)]),
];
const flags = [
  ...['--config', values.config as string, '--seeds', seeds.join(',')],
  ...['--samples', String(samples), '--temperatures', temperatures.join(',')],
  ...(values.epochs !== undefined ? ['--epochs', String(values.epochs)] : []),
  ...(values['ais-steps'] !== undefined ? ['--ais-steps', String(values['ais-steps'])] : []),
  ...(name !== 'vae-table1-paired' ? ['--name', name] : []),
];
const data: VaeTable1PairedData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/vae-table1-paired.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/vae-table1-paired.ts --config ${values.config as string} --seeds 0,1,2,3,4 --samples ${samples} --temperatures ${temperatures.join(',')} --epochs 25 --ais-steps 2000 --workers 8`,
  config: (outcome.results[0] as PerImageOutcome).config,
  samples,
  temperatures,
  runs: cells.map((c, i) => {
    const o = outcome.results[i] as PerImageOutcome;
    return { seed: c.seed, key: c.key, trainSeconds: o.trainSeconds, evaluation: o.evaluation };
  }),
  pairs: compared.flatMap(([first, second]) =>
    seeds.map((seed) => ({
      first,
      second,
      seed,
      ...pairedSummary(perImage(seed, first), perImage(seed, second)),
    })),
  ),
};
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/${name}.md`, renderVaeTable1Paired(data));
process.stderr.write(`wrote ${docs}/${name}.md and .json\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
