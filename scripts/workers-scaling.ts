// Scaling of `--workers N` on this machine: wall-clock time (median of repeats, from process start
// to exit, so worker start-up counts) for N = 1 .. the available cores, the speed-up over N = 1
// measured in the same run, and whether every N gave the same numbers. Workloads: `anneal logz`
// batches (AIS, SMC, a learned sampler's evaluation) and the cells of a reproduction script's sweep
// (scripts/mcd-table.ts). Needs the compiled CLI (`npm run build`). Writes
// docs/results/workers.{json,md}.
//
//   npx tsx scripts/workers-scaling.ts [--repeats 3] [--max-workers N] [--out docs/results/workers]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderWorkers, type Row } from './render/workers.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    'max-workers': { type: 'string' },
    out: { type: 'string', default: 'docs/results/workers' },
  },
});
const repeats = Number(values.repeats);
const cores =
  typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const maxWorkers = Number(values['max-workers'] ?? cores);

// Workloads whose single-process run takes seconds. Each is a command (node's arguments) whose
// result, as canonical text without timings, must be the same for every N.
interface Workload {
  name: string;
  command: (workers: number, scratch: string) => string[];
  result: (stdout: string, scratch: string) => string;
}
const logz = (name: string, args: string[]): Workload => ({
  name,
  command: (n) => ['bin/anneal.js', 'logz', ...args, '--workers', String(n), '--json', '--quiet'],
  result: (stdout) => {
    const { seconds: _, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
    return JSON.stringify(rest);
  },
});
const WORKLOADS: Workload[] = [
  // A data-set target evaluated by TF.js ops.
  logz('`anneal logz`: AIS-HMC on sonar (d = 61), 100 steps, 2000 particles, 10 batches', [
    ...['--target', 'sonar', '--sampler', 'ais-hmc', '--steps', '100', '--particles', '2000'],
  ]),
  // SMC with resampling between fused moves.
  logz('`anneal logz`: SMC-HMC on Many-Well (d = 32), 200 steps, 4000 particles, 10 batches', [
    ...['--target', 'many-well', '--sampler', 'smc-hmc', '--steps', '200'],
    ...['--particles', '4000', '--init-scale', '1.5'],
  ]),
  // Training stays in the main thread; the evaluation's batches are shared out.
  logz(
    '`anneal logz`: UHA-MCD on the funnel, 32 steps, 20 training iterations, evaluation of 50000 particles',
    [
      ...['--target', 'funnel', '--sampler', 'uha-mcd', '--steps', '32', '--particles', '50000'],
      ...['--train-iters', '20', '--train-particles', '64'],
    ],
  ),
  {
    name: '`scripts/mcd-table.ts`: 8 cells (gmm8 and sonar; ULA and UHA-MCD; 8 and 32 steps), 30 iterations each',
    command: (n, scratch) => [
      ...['--import', 'tsx', 'scripts/mcd-table.ts', '--targets', 'gmm8,sonar', '--steps', '8,32'],
      ...['--kinds', 'ula,uha-mcd', '--iterations', '30', '--train-particles', '128'],
      ...['--eval-particles', '2000', '--out', join(scratch, 'mcd'), '--workers', String(n)],
    ],
    result: (_, scratch) => {
      const { rows } = JSON.parse(readFileSync(join(scratch, 'mcd.json'), 'utf8')) as {
        rows: Record<string, unknown>[];
      };
      return JSON.stringify(rows.map(({ trainSeconds: _t, evalSeconds: _e, ...rest }) => rest));
    },
  },
];

function run(w: Workload, workers: number): { seconds: number; result: string } {
  const scratch = mkdtempSync(join(os.tmpdir(), 'anneal-workers-'));
  try {
    const args = w.command(workers, scratch);
    const started = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return { seconds, result: w.result(r.stdout, scratch) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const rows: Row[] = [];
for (const w of WORKLOADS) {
  const ns = Array.from({ length: maxWorkers }, (_, i) => i + 1);
  const times = new Map<number, number[]>(ns.map((n) => [n, []]));
  const results = new Map<number, string>();
  // Interleaved repeats, so a change in the machine's speed hits every N alike.
  for (let r = 0; r < repeats; r++) {
    for (const n of ns) {
      process.stderr.write(`${w.name}: --workers ${n} (repeat ${r + 1} of ${repeats})\n`);
      const out = run(w, n);
      times.get(n)!.push(out.seconds);
      results.set(n, out.result);
    }
  }
  const base = median(times.get(1)!);
  for (const n of ns) {
    const t = median(times.get(n)!);
    rows.push({
      workload: w.name,
      workers: n,
      medianSeconds: t,
      seconds: times.get(n)!,
      speedup: base / t,
      sameAsOneWorker: results.get(n) === results.get(1),
    });
  }
}

const machine = `${cores} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
const result = { date: new Date().toISOString(), machine, repeats, rows };
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(`${values.out}.json`, `${JSON.stringify(result, null, 2)}\n`);

writeFileSync(`${values.out}.md`, renderWorkers(result));
process.stderr.write(`wrote ${values.out}.json and ${values.out}.md\n`);
