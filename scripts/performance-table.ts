// docs/performance.md from a side-by-side timing run: anneal's `npm run bench -- --json` rows and
// PyTorch 1.13 (CPU) timings of the same workloads, sizes and machine, taken one after the other.
// The PyTorch side writes one JSON line per workload and thread count ({"label": ..., "threads":
// ..., "ms": ...}; the faster thread count is kept): `npx tsx scripts/peers.ts DIR` runs the
// repository's own references (bench/peers/, one per row) and records the machine, load and
// PyTorch build in DIR/machine.json. Runs saved before those references existed were timed with a
// separate harness of the same workloads (their records have no `peers`).
//
//   npx tsx scripts/performance-table.ts DIR...    # each DIR holds anneal.json and peer.jsonl
//   npx tsx scripts/performance-table.ts --render  # re-render the markdown from the saved JSON
//   npx tsx scripts/performance-table.ts --append DIR...  # add runs to the saved ones
//
// Writes docs/results/performance.json (the rows of every run given, newest last) and
// docs/performance.md (rendered from it: the newest run's table and every run's summary).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPerformance, type Saved } from './render/performance.js';

interface BenchRow {
  bench: string;
  backend: string;
  kernels?: string;
  workload: string;
  medianMs: number;
}

// Each compared workload: the bench row that times it (the first match on wasm) and, where the
// bench has one, the row of the same workload on TF.js's kernels.
const WORKLOADS: [label: string, row: RegExp, reference: RegExp | null][] = [
  ['ais-ula funnel', /^ais ais-ula funnel K=64 N=1000$/, /^ais ais-ula funnel .*TF\.js ops/],
  ['ais-hmc funnel', /^ais ais-hmc funnel K=64 N=1000$/, /^ais ais-hmc funnel .*TF\.js ops/],
  [
    'ais-ula many-well',
    /^ais ais-ula many-well K=64 N=1000$/,
    /^ais ais-ula many-well .*TF\.js ops/,
  ],
  [
    'ais-hmc many-well',
    /^ais ais-hmc many-well K=64 N=1000$/,
    /^ais ais-hmc many-well .*TF\.js ops/,
  ],
  [
    'ais-hmc user target',
    /^user-target ais-hmc hierarchical-logistic module K=100 N=1000$/,
    /^user-target .*TF\.js ops/,
  ],
  ['train uha funnel', /^training uha funnel K=32 N=1000$/, /^training uha funnel .*TF\.js ops/],
  [
    'train uha-mcd funnel',
    /^training uha-mcd funnel K=32 N=1000$/,
    /^training uha-mcd funnel .*TF\.js ops/,
  ],
  ['train cmcd funnel', /^training cmcd funnel K=32 N=1000$/, null],
  ['train ldvi funnel', /^training ldvi funnel K=32 N=1000$/, /^training ldvi funnel .*TF\.js ops/],
  ['train cmcd-ud funnel', /^training cmcd-ud funnel K=32 N=1000$/, null],
  ['dsmcs none', /^dsmcs DAIS \(no resampling\), UHA/, /^dsmcs DAIS .*TF\.js ops/],
  ['dsmcs cat', /^dsmcs DSMCS cat,/, null],
  ['vae elbo', /^vae .*: ELBO K=1$/, /^vae .*ELBO K=1, TF\.js kernels/],
  ['vae iwae5', /^vae .*: IWAE K=5$/, null],
  ['vae iwae50', /^vae .*: IWAE K=50$/, null],
  ['vae ais5', /^vae .*AIS-trained K=5 T=5/, null],
  ['vae ula64', /^vae .*: ULA 64 steps/, null],
  ['vae uha32', /^vae .*: UHA 32 steps/, null],
  [
    'flow realnvp standard',
    /^flows-realnvp .*: standard$/,
    /^flows-realnvp .*: standard, TF\.js kernels/,
  ],
  [
    'flow realnvp path',
    /^flows-realnvp .*: path-fast$/,
    /^flows-realnvp .*: path-fast, TF\.js kernels/,
  ],
];

function collect(dir: string): Saved {
  const anneal = JSON.parse(readFileSync(join(dir, 'anneal.json'), 'utf8')) as {
    meta: { date: string; cpu: string; cores: number; native?: string };
    rows: BenchRow[];
  };
  const peer = new Map<string, { ms: number; threads: number }>();
  for (const line of readFileSync(join(dir, 'peer.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { label: string; threads: number; ms: number };
    const best = peer.get(o.label);
    if (!best || o.ms < best.ms) peer.set(o.label, { ms: o.ms, threads: o.threads });
  }
  const wasm = anneal.rows.filter((r) => r.backend !== 'cpu');
  const find = (re: RegExp | null) =>
    re ? (wasm.find((r) => re.test(`${r.bench} ${r.workload}`))?.medianMs ?? null) : null;
  // The repository's own references (scripts/peers.ts) record the build and load they ran with.
  const machineFile = join(dir, 'machine.json');
  const peers = existsSync(machineFile)
    ? (JSON.parse(readFileSync(machineFile, 'utf8')) as NonNullable<Saved['peers']>)
    : null;
  return {
    date: anneal.meta.date,
    machine: `${anneal.meta.cpu} (${anneal.meta.cores} cores)`,
    native: anneal.meta.native ?? 'unknown',
    ...(peers
      ? {
          peers: {
            torch: peers.torch,
            blas: peers.blas,
            loadAverage: peers.loadAverage,
            commit: peers.commit,
          },
        }
      : {}),
    rows: WORKLOADS.map(([label, row, reference]) => ({
      workload: label,
      annealMs: find(row),
      referenceMs: find(reference),
      pytorchMs: peer.get(label)?.ms ?? null,
      pytorchThreads: peer.get(label)?.threads ?? null,
    })),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const jsonFile = 'docs/results/performance.json';
  let runs: Saved[];
  if (args[0] === '--render') {
    runs = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { runs: Saved[] }).runs;
  } else {
    const append = args[0] === '--append';
    if (append) args.shift();
    const bad = args.filter(
      (dir) => !existsSync(join(dir, 'anneal.json')) || !existsSync(join(dir, 'peer.jsonl')),
    );
    if (args.length === 0 || bad.length > 0) {
      process.stderr.write(
        `performance-table: give folders with anneal.json and peer.jsonl, or --render${bad.length ? ` (not such a folder: ${bad.join(', ')})` : ''}\n`,
      );
      process.exit(2);
    }
    const earlier = append
      ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as { runs: Saved[] }).runs
      : [];
    runs = [...earlier, ...args.map(collect)].sort((a, b) => a.date.localeCompare(b.date));
    writeFileSync(jsonFile, `${JSON.stringify({ runs }, null, 2)}\n`);
    process.stderr.write(`wrote ${jsonFile}\n`);
  }
  writeFileSync('docs/performance.md', renderPerformance({ runs }));
  process.stderr.write('wrote docs/performance.md\n');
}

main();
