// docs/performance.md from docs/results/performance.json (written by scripts/performance-table.ts):
// the newest run's table and every run's summary. Pure: the results test re-renders it.

export interface Row {
  workload: string;
  annealMs: number | null;
  /** The same workload on TF.js's own kernels op by op, where the bench has that row. */
  referenceMs: number | null;
  pytorchMs: number | null;
  pytorchThreads: number | null;
}

export interface Saved {
  date: string;
  machine: string;
  native: string;
  /** Where the PyTorch side came from the repository's own references (scripts/peers.ts). */
  peers?: { torch: string; blas: string; loadAverage: number[]; commit: string };
  rows: Row[];
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

/** A ratio column's median over runs, with its range, per workload. */
function medianOf(runs: Saved[], workload: string): { mid: number; lo: number; hi: number } | null {
  const all = runs
    .map((run) => run.rows.find((x) => x.workload === workload))
    .map((x) => (x ? ratio(x.annealMs, x.pytorchMs) : null))
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  if (!all.length) return null;
  const mid = ((all[(all.length - 1) >> 1] as number) + (all[all.length >> 1] as number)) / 2;
  return { mid, lo: all[0] as number, hi: all[all.length - 1] as number };
}

/** One machine's section: its newest run in full, and per-workload medians over all its runs. */
function machineSection(runs: Saved[]): string[] {
  const saved = runs[runs.length - 1] as Saved;
  const { geo, worst } = summary(saved);
  const ratios = saved.rows.filter((r) => ratio(r.annealMs, r.pytorchMs) !== null);
  const medians = saved.rows.map((r) => ({ r, m: medianOf(runs, r.workload) }));
  const slowerInMedian = medians.filter(({ m }) => m !== null && m.mid > 1);
  return [
    `## ${saved.machine}: ${runs.length} run${runs.length === 1 ? '' : 's'}`,
    '',
    `Newest run: ${saved.date.slice(0, 10)}, native kernels: ${saved.native}${
      saved.peers
        ? `; PyTorch ${saved.peers.torch} (BLAS: ${saved.peers.blas}) running the repository's references in bench/peers/ at commit ${saved.peers.commit.slice(0, 10)}, load average ${saved.peers.loadAverage.map((x) => x.toFixed(2)).join(' / ')}`
        : ''
    }.`,
    '',
    `| workload | anneal ms | anneal, TF.js ops ms | PyTorch ms (threads) | anneal / PyTorch | TF.js ops / anneal | anneal / PyTorch, median of ${runs.length} run${runs.length === 1 ? '' : 's'} (min-max) |`,
    '|---|---|---|---|---|---|---|',
    ...medians.map(({ r, m }) => {
      const vs = ratio(r.annealMs, r.pytorchMs);
      const speedup = ratio(r.referenceMs, r.annealMs);
      const spread = m ? `${m.mid.toFixed(2)}x (${m.lo.toFixed(2)}-${m.hi.toFixed(2)})` : '-';
      return `| ${r.workload} | ${fmt(r.annealMs)} | ${fmt(r.referenceMs)} | ${fmt(r.pytorchMs)} (${r.pytorchThreads ?? '-'}) | ${vs === null ? '-' : `${vs.toFixed(2)}x`} | ${speedup === null ? '-' : `${speedup.toFixed(1)}x`} | ${spread} |`;
    }),
    '',
    `Per-workload medians over the ${runs.length} run${runs.length === 1 ? '' : 's'} on this machine: geometric mean **${medianGeo(runs).toFixed(2)}x**; ${
      slowerInMedian.length === 0
        ? "every workload's median is at or below PyTorch's time."
        : `slower than PyTorch in the median: ${slowerInMedian.map(({ r, m }) => `${r.workload} (${(m as { mid: number }).mid.toFixed(2)}x)`).join(', ')}.`
    }${runs.length === 1 ? ' One run only: the medians are that run.' : ''}`,
    `The newest run alone: geometric mean ${geo.toFixed(2)}x over ${ratios.length} workloads, worst ${worst.toFixed(2)}x.`,
    '',
  ];
}

/** The markdown of the saved runs (oldest first): one section per machine, newest machine first. */
export function renderPerformance(data: { runs: Saved[] }): string {
  const { runs } = data;
  const machines = [...new Set([...runs].reverse().map((r) => r.machine))];
  const lines = [
    '# Performance against PyTorch',
    '',
    'Generated by `npx tsx scripts/performance-table.ts --render` from',
    '`docs/results/performance.json`. Each row is one workload timed twice on the same machine, one',
    "after the other: anneal's `npm run bench -- --json` (wasm backend, native kernels on) and a",
    'PyTorch 1.13 CPU implementation of the same algorithm at the same sizes (Debian python3-torch',
    'with OpenBLAS; the faster of 1 and 2 threads). Times are medians in ms per iteration (one AIS run,',
    'one training step). "TF.js ops" is the same anneal workload with the native kernels off, from',
    "the same bench run. The repository's PyTorch references are in bench/peers/ (`npx tsx",
    'scripts/peers.ts DIR` runs them); a run made with them names its PyTorch build and load in its',
    'header line, and runs without that note were timed with an earlier, separate harness.',
    '',
    "Ratios hold for the machine they were measured on: PyTorch's speed depends on how well its",
    "BLAS build suits the CPU, and anneal's native kernels are compiled for the machine they run on,",
    'so each machine has its own section, and its claims rest on the medians over its runs.',
    '',
    ...machines.flatMap((m) => machineSection(runs.filter((r) => r.machine === m))),
    '## Every run',
    '',
    'Timings on a shared virtual machine vary between runs, and the two sides of a run are measured',
    'one after the other, so a change of machine speed between them moves every ratio of that run;',
    'each run below is a full side-by-side measurement of one commit (the later ones include more',
    'native kernels).',
    '',
    '| run | machine | geometric mean | worst | slower than PyTorch |',
    '|---|---|---|---|---|',
    ...runs.map((r) => {
      const s = summary(r);
      return `| ${r.date.slice(0, 16).replace('T', ' ')} UTC | ${r.machine} | ${s.geo.toFixed(2)}x | ${s.worst.toFixed(2)}x | ${s.over.join(', ') || '-'} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
