// Zenn & Bamler's claims on their static target, over training seeds: for each seed, DAIS and
// DSMCS with the chosen resampling variants train from one config with that seed (each in its own
// resumable run directory) and are evaluated on one common stream; the page judges "resampling
// raises the ESS" (cat - DAIS) and "differentiating through resampling is unnecessary" (gst - cat)
// from the per-seed paired differences and their 95% interval over seeds.
//   npx tsx scripts/dsmcs-seeds.ts --config configs/dsmcs-static-64x32.yaml --seeds 0,1,2,3,4 \
//     --workers 2                     # DAIS, cat and gst at 600 iterations
//   [--variants none,cat,gst,bern-cat] [--iterations I] [--shard i/n | --merge-shards]
// -> docs/results/dsmcs-seeds.{md,json} (--name sets the file name); runs in runs/<name>/seed-S/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../src/cli/config.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { createTarget, getTargetSpec } from '../src/targets/registry.js';
import { checked, integerFlag, pageName, seedList, usage } from './args.js';
import {
  EPOCH,
  RELATIVE_COST,
  resamplingVariant,
  setIterations,
  VARIANTS,
  type DsmcsVariant,
  type VariantResult,
} from './jobs/dsmcs.js';
import { generatedNow } from './render/common.js';
import { renderDsmcsSeeds, type DsmcsSeedsData } from './render/dsmcsSeeds.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { refreshAfterWriting } from './pages.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      config: { type: 'string', default: 'configs/dsmcs-static-64x32.yaml' },
      seeds: { type: 'string', default: '0,1,2' },
      variants: { type: 'string', default: 'none,cat,gst' },
      iterations: { type: 'string' },
      name: { type: 'string', default: 'dsmcs-seeds' },
      out: { type: 'string' },
      docs: { type: 'string', default: 'docs/results' },
      workers: { type: 'string', default: '1' },
      ...SHARD_FLAGS,
    },
  }),
);
const workers = integerFlag('workers', values.workers, 1);
const seeds = seedList(values.seeds);
const name = values.name as string;
pageName(name);
const schemes = String(values.variants).split(',');
const known = VARIANTS.map((v) => v.scheme as string);
const unknown = schemes.filter((s) => !known.includes(s));
if (unknown.length) usage(`--variants: unknown '${unknown[0]}' (known: ${known.join(', ')})`);
if (!schemes.includes('none') || !schemes.includes('cat'))
  usage('--variants must include none (DAIS) and cat: the claims compare them');
if (new Set(schemes).size !== schemes.length) usage('--variants: each variant once');
const configPath = values.config as string;
const base = checked(() => loadConfigFile(configPath));
const groupSize = base.sampler.resampling?.groupSize;
if (!groupSize) usage(`${configPath}: sampler.resampling.groupSize is needed`);
if (values.iterations !== undefined) {
  const iterations = integerFlag('iterations', values.iterations, EPOCH);
  if (iterations % EPOCH !== 0) usage(`--iterations must be a multiple of ${EPOCH} (whole epochs)`);
  setIterations(base, iterations);
}
const outDir = values.out ?? `runs/${name}`;
const docs = values.docs as string;
const sharding = parseSharding(values, `${docs}/${name}`);

const variants = VARIANTS.filter((v) => schemes.includes(v.scheme));
// Seed-major, so the first seeds' comparisons complete first.
const cells: DsmcsVariant[] = seeds.flatMap((seed) =>
  variants.map((v) => {
    const config = resamplingVariant(base, v.scheme, groupSize as number);
    config.seed = seed;
    return { ...v, config, dir: `${outDir}/seed-${seed}/${v.scheme}` };
  }),
);

await initEngine({ backend: base.backend });
const outcome = await runSharded<DsmcsVariant, VariantResult>(cells, sharding, (subset) =>
  runTasks<DsmcsVariant, VariantResult>(new URL('./jobs/dsmcs.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
    costs: subset.map((v) => RELATIVE_COST[v.scheme] ?? 1),
  }),
);
if (outcome === null) process.exit(0);

const spec = getTargetSpec(base.target.name as string);
const probe = createTarget(
  base.target.name as string,
  (({ name: _, ...rest }) => rest)(base.target),
);
const flags = [
  ...['--config', configPath, '--seeds', seeds.join(',')],
  ...(values.variants !== 'none,cat,gst' ? ['--variants', schemes.join(',')] : []),
  ...(values.iterations !== undefined ? ['--iterations', String(base.train.iterations)] : []),
  ...(name !== 'dsmcs-seeds' ? ['--name', name] : []),
];
const data: DsmcsSeedsData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/dsmcs-seeds.ts ${flags.join(' ')}`,
  largerCommand: `npx tsx scripts/dsmcs-seeds.ts --config configs/dsmcs-static.yaml --seeds 0,1,2,3,4,5,6,7,8 --name ${name}-paper --workers 8`,
  settings: {
    target: { name: spec.name, dim: probe.dim, description: spec.description },
    initialScale: base.sampler.initialScale,
    learnInitial: base.sampler.learn.initial,
    sampler: base.sampler.kind,
    steps: base.sampler.steps,
    groupSize: groupSize as number,
    iterations: base.train.iterations,
    epoch: EPOCH,
    particles: base.train.particles,
    learningRate: base.train.learningRate,
    evalParticles: base.eval.particles,
    evalBatches: base.eval.batches,
    seed: seeds[0] as number,
  },
  evalSeed: base.eval.seed,
  runs: cells.map((c, i) => ({
    seed: c.config.seed,
    result: outcome.results[i] as VariantResult,
  })),
};
probe.dispose?.();
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/${name}.md`, renderDsmcsSeeds(data));
process.stderr.write(`wrote ${docs}/${name}.md and .json\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
