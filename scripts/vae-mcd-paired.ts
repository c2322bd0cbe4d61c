// MCD against its base sampler in the VAE experiment, paired: for each training seed the four
// sampler VAEs (ULA, ULA-MCD, UHA, UHA-MCD) train from that seed with the base config
// (configs/vae-mnist-mcd-scale.yaml: the setting of docs/results/vae-mcd-scale.md) and are evaluated
// on the same test images with the same evaluation seed, so the AIS chains of two models draw the
// same random numbers. Each image's difference (MCD minus base) removes the spread of log p(x)
// between images; the mean over images with its paired standard error is the seed's difference,
// and the spread of those over training seeds is what a claim about the method rests on.
//   npx tsx scripts/vae-mcd-paired.ts --config configs/vae-mnist-mcd-scale.yaml --seeds 0,1,2 \
//     --epochs 5 --ula-steps 64 --uha-steps 32 --workers 2 --runs runs/vae-mcd-paired
//   [--shard i/n | --merge-shards]   (cells over machines: docs/cluster.md)
// -> docs/results/vae-mcd-paired.{md,json}. A cell whose run directory already holds its outcome for
// the same config is not retrained, so a stopped run continues where it was.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfigObject } from '../src/cli/config.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { parseVaeRunConfig } from '../src/models/vaeConfig.js';
import { runTasks } from '../src/parallel/pool.js';
import { checked, integerFlag, pageName, seedList } from './args.js';
import type { VaeVariant } from './jobs/vae.js';
import type { PerImageOutcome } from './jobs/vaePerImage.js';
import { generatedNow } from './render/common.js';
import { pairedSummary, renderVaePaired, type VaePairedData } from './render/vaePaired.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { refreshAfterWriting } from './pages.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      config: { type: 'string', default: 'configs/vae-mnist-mcd-scale.yaml' },
      seeds: { type: 'string', default: '0,1,2' },
      epochs: { type: 'string' },
      'ula-steps': { type: 'string', default: '64' },
      'uha-steps': { type: 'string', default: '32' },
      runs: { type: 'string', default: 'runs/vae-mcd-paired' },
      docs: { type: 'string', default: 'docs/results' },
      name: { type: 'string', default: 'vae-mcd-paired' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);
const workers = integerFlag('workers', values.workers, 1);
const ulaSteps = integerFlag('ula-steps', values['ula-steps'], 1);
const uhaSteps = integerFlag('uha-steps', values['uha-steps'], 1);
const seeds = seedList(values.seeds);
pageName(values.name as string);
const base = checked(() =>
  readConfigObject(values.config as string, 'data, model and train'),
) as Record<string, Record<string, unknown>>;
if (values.epochs !== undefined)
  base.train = { ...base.train, epochs: integerFlag('epochs', values.epochs, 1) };
const docs = values.docs as string;
const name = values.name as string;
const sharding = parseSharding(values, `${docs}/${name}`);

/** The compared samplers, base before MCD in each pair. */
const KINDS = [
  { kind: 'ula', steps: ulaSteps },
  { kind: 'ula-mcd', steps: ulaSteps },
  { kind: 'uha', steps: uhaSteps },
  { kind: 'uha-mcd', steps: uhaSteps },
] as const;
// Seed-major, so the first seeds finish first on a single machine; the runs share one eval seed.
const cells: (VaeVariant & { seed: number; kind: string })[] = seeds.flatMap((seed) =>
  KINDS.map((o) => ({
    seed,
    kind: o.kind,
    label: `${o.kind} seed ${seed}`,
    config: {
      ...base,
      seed,
      train: { ...base.train, objective: { kind: o.kind, steps: o.steps } },
    },
    source: values.config as string,
    dir: join(values.runs as string, `seed-${seed}`, o.kind),
  })),
);

// A config that cannot run is one line here, before any cell trains.
for (const c of cells) checked(() => parseVaeRunConfig(c.config, c.source));
await initEngine({ backend: base.backend as unknown as BackendName | undefined });
// runTasks starts the costliest first: rank by seed, then by chain length (MCD adds its network).
const costs = cells.map(
  (c, i) =>
    (cells.length - Math.floor(i / KINDS.length)) * 1e3 +
    (c.kind.startsWith('ula') ? ulaSteps : uhaSteps) * (c.kind.endsWith('mcd') ? 1.2 : 1),
);
const outcome = await runSharded<VaeVariant, PerImageOutcome>(cells, sharding, (subset) =>
  runTasks<VaeVariant, PerImageOutcome>(
    new URL('./jobs/vaePerImage.ts', import.meta.url).href,
    subset,
    {
      workers,
      backend: currentBackend() as BackendName,
      costs: subset.map((c) => costs[cells.indexOf(c as (typeof cells)[number])] ?? 1),
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
const first = outcome.results[0] as PerImageOutcome;
const data: VaePairedData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/vae-mcd-paired.ts --config ${values.config} --seeds ${seeds.join(',')}${values.epochs !== undefined ? ` --epochs ${values.epochs}` : ''} --ula-steps ${ulaSteps} --uha-steps ${uhaSteps}`,
  config: first.config,
  ulaSteps,
  uhaSteps,
  runs: cells.map((c, i) => {
    const o = outcome.results[i] as PerImageOutcome;
    return {
      seed: c.seed,
      kind: c.kind,
      trainSeconds: o.trainSeconds,
      evaluation: o.evaluation,
    };
  }),
  pairs: (['ula', 'uha'] as const).flatMap((b) =>
    seeds.map((seed) => {
      const at = (kind: string) =>
        (
          outcome.results[
            cells.findIndex((c) => c.seed === seed && c.kind === kind)
          ] as PerImageOutcome
        ).perImage;
      return { base: b, seed, ...pairedSummary(at(b), at(`${b}-mcd`)) };
    }),
  ),
};
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/${name}.md`, renderVaePaired(data));
process.stderr.write(`wrote ${docs}/${name}.md and .json\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
