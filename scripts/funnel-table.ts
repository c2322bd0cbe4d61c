// Trains ULA and UHA (32 steps) on the funnel from configs/funnel-{ula,uha}.yaml and writes the
// before/after comparison to docs/results/funnel.{json,md}.
//
//   npx tsx scripts/funnel-table.ts [--iterations N] [--workers N] [--shard I/N | --merge]
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import type { FunnelCell, FunnelResult } from './jobs/funnel.js';
import { renderFunnel, type FunnelData } from './render/funnel.js';
import { parseRunConfig } from '../src/train/config.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string' },
    workers: { type: 'string', default: '1' },
    ...SHARD_FLAGS,
  },
});
const sharding = parseSharding(values, 'docs/results/funnel');
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be an integer >= 1');
await initEngine();
const cells: FunnelCell[] = ['ula', 'uha'].map((kind) => {
  const source = `configs/funnel-${kind}.yaml`;
  const config = parseYaml(readFileSync(source, 'utf8')) as { train: { iterations: number } };
  if (values.iterations) config.train.iterations = Number(values.iterations);
  return { kind, config, source, outDir: `runs/funnel-${kind}-table` };
});
const outcome = await runSharded<FunnelCell, FunnelResult>(cells, sharding, (subset) =>
  runTasks<FunnelCell, FunnelResult>(new URL('./jobs/funnel.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
  }),
);
if (outcome === null) process.exit(0);
const results = outcome.results;
const first = parseRunConfig(cells[0]?.config, cells[0]?.source ?? '');
const data: FunnelData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  command: `npx tsx scripts/funnel-table.ts${values.iterations ? ` --iterations ${values.iterations}` : ''}`,
  evalParticles: first.eval.particles,
  evalBatches: first.eval.batches,
  rows: results,
};
mkdirSync('docs/results', { recursive: true });
writeFileSync('docs/results/funnel.json', `${JSON.stringify(data, null, 2)}\n`);
writeFileSync('docs/results/funnel.md', renderFunnel(data));
process.stderr.write('wrote docs/results/funnel.md and .json\n');
