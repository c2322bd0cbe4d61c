// docs/performance.md from a side-by-side timing run: anneal's `npm run bench -- --json` rows and
// PyTorch 1.13 (CPU) timings of the same workloads, sizes and machine, taken one after the other.
// The PyTorch side is a separate harness (reference implementations of each workload in PyTorch,
// not part of this repository) that writes one JSON line per workload and thread count:
// {"label": ..., "threads": ..., "ms": ...}; the faster thread count is kept.
//
//   npx tsx scripts/performance-table.ts DIR...    # each DIR holds anneal.json and peer.jsonl
//   npx tsx scripts/performance-table.ts --render  # re-render the markdown from the saved JSON
//   npx tsx scripts/performance-table.ts --append DIR...  # add runs to the saved ones
//
// Writes docs/results/performance.json (the rows of every run given, newest last) and
// docs/performance.md (rendered from it: the newest run's table and every run's summary).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface BenchRow {
  bench: string;
  backend: string;
  kernels?: string;
  workload: string;
  medianMs: number;
}

interface Row {
  workload: string;
  annealMs: number | null;
  /** The same workload on TF.js's own kernels op by op, where the bench has that row. */
  referenceMs: number | null;
  pytorchMs: number | null;
  pytorchThreads: number | null;
}

interface Saved {
  date: string;
  machine: string;
  native: string;
  rows: Row[];
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
  ['train uha funnel', /^training uha funnel K=32 N=1000$/, /^training uha funnel .*TF\.js ops/],
  [
    'train uha-mcd funnel',
    /^training uha-mcd funnel K=32 N=1000$/,
    /^training uha-mcd funnel .*TF\.js ops/,
  ],
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
  return {
    date: anneal.meta.date,
    machine: `${anneal.meta.cpu} (${anneal.meta.cores} cores)`,
    native: anneal.meta.native ?? 'unknown',
    rows: WORKLOADS.map(([label, row, reference]) => ({
      workload: label,
      annealMs: find(row),
      referenceMs: find(reference),
      pytorchMs: peer.get(label)?.ms ?? null,
      pytorchThreads: peer.get(label)?.threads ?? null,
    })),
  };
}

const fmt = (x: number | null, digits = 1) => (x === null ? '-' : x.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : a / b);

function summary(saved: Saved): { geo: number; worst: number; over: string[] } {
  const ratios = saved.rows
    .map((r) => ratio(r.annealMs, r.pytorchMs))
    .filter((x): x is number => x !== null);
  return {
    geo: Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length),
    worst: Math.max(...ratios),
    over: saved.rows
      .filter((r) => (ratio(r.annealMs, r.pytorchMs) ?? 0) > 1)
      .map((r) => `${r.workload} (${(ratio(r.annealMs, r.pytorchMs) as number).toFixed(2)}x)`),
  };
}

/** Geometric mean over workloads of each workload's median ratio across runs. */
function medianGeo(runs: Saved[]): number {
  const labels = (runs[runs.length - 1] as Saved).rows.map((r) => r.workload);
  const logs = labels.flatMap((label) => {
    const all = runs
      .map((run) => run.rows.find((x) => x.workload === label))
      .map((x) => (x ? ratio(x.annealMs, x.pytorchMs) : null))
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    if (!all.length) return [];
    return [
      Math.log(((all[(all.length - 1) >> 1] as number) + (all[all.length >> 1] as number)) / 2),
    ];
  });
  return Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
}

function render(runs: Saved[]): string {
  const saved = runs[runs.length - 1] as Saved;
  const { geo, worst, over } = summary(saved);
  const ratios = saved.rows.filter((r) => ratio(r.annealMs, r.pytorchMs) !== null);
  const lines = [
    '# Performance against PyTorch',
    '',
    'Generated by `npx tsx scripts/performance-table.ts --render` from',
    '`docs/results/performance.json`. Each row is one workload timed twice on the same machine, one',
    "after the other: anneal's `npm run bench -- --json` (wasm backend, native kernels on) and a",
    'PyTorch 1.13 CPU implementation of the same algorithm at the same sizes (Debian python3-torch',
    'with OpenBLAS; the faster of 1 and 2 threads). Times are medians in ms per iteration (one AIS run,',
    'one training step). "TF.js ops" is the same anneal workload with the native kernels off, from',
    'the same bench run.',
    '',
    "Ratios hold for the machine they were measured on: PyTorch's speed depends on how well its",
    "BLAS build suits the CPU, and anneal's native kernels are compiled for the machine they run on,",
    'so compare only ratios measured on one machine in one run.',
    '',
    `Run: ${saved.date.slice(0, 10)}, ${saved.machine}, native kernels: ${saved.native}.`,
    '',
    `| workload | anneal ms | anneal, TF.js ops ms | PyTorch ms (threads) | anneal / PyTorch | TF.js ops / anneal | anneal / PyTorch, median of ${runs.length} runs (min-max) |`,
    '|---|---|---|---|---|---|---|',
    ...saved.rows.map((r) => {
      const vs = ratio(r.annealMs, r.pytorchMs);
      const speedup = ratio(r.referenceMs, r.annealMs);
      const all = runs
        .map((run) => run.rows.find((x) => x.workload === r.workload))
        .map((x) => (x ? ratio(x.annealMs, x.pytorchMs) : null))
        .filter((x): x is number => x !== null)
        .sort((a, b) => a - b);
      const mid = all.length ? (all[(all.length - 1) >> 1]! + all[all.length >> 1]!) / 2 : null;
      const spread = all.length
        ? `${(mid as number).toFixed(2)}x (${all[0]!.toFixed(2)}-${all[all.length - 1]!.toFixed(2)})`
        : '-';
      return `| ${r.workload} | ${fmt(r.annealMs)} | ${fmt(r.referenceMs)} | ${fmt(r.pytorchMs)} (${r.pytorchThreads ?? '-'}) | ${vs === null ? '-' : `${vs.toFixed(2)}x`} | ${speedup === null ? '-' : `${speedup.toFixed(1)}x`} | ${spread} |`;
    }),
    '',
    `Geometric mean anneal / PyTorch over ${ratios.length} workloads: **${geo.toFixed(2)}x**; worst ${worst.toFixed(2)}x.`,
    over.length === 0
      ? "Every workload runs at or below PyTorch's time."
      : `Slower than PyTorch: ${over.join(', ')}.`,
    '',
    `Per-workload medians over the ${runs.length} runs: geometric mean **${medianGeo(runs).toFixed(2)}x**.`,
    '',
    '## Every run',
    '',
    'Timings on a shared virtual machine vary between runs, and the two sides of a run are measured',
    'one after the other, so a change of machine speed between them moves every ratio of that run;',
    'each run below is a full side-by-side measurement of one commit (the later ones include more',
    'native kernels).',
    '',
    '| run | geometric mean | worst | slower than PyTorch |',
    '|---|---|---|---|',
    ...runs.map((r) => {
      const s = summary(r);
      return `| ${r.date.slice(0, 16).replace('T', ' ')} UTC | ${s.geo.toFixed(2)}x | ${s.worst.toFixed(2)}x | ${s.over.join(', ') || '-'} |`;
    }),
    '',
  ];
  return lines.join('\n');
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
  writeFileSync('docs/performance.md', render(runs));
  process.stderr.write('wrote docs/performance.md\n');
}

main();
