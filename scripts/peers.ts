// Runs the repository's own PyTorch references of the bench workloads (bench/peers/) at 1 and 2
// threads and writes DIR/peer.jsonl ({label, threads, ms} per line, the form
// scripts/performance-table.ts reads beside the bench's anneal.json) and DIR/machine.json (the CPU,
// its load, the commit, and the PyTorch and BLAS build that ran the references).
//
//   npx tsx scripts/peers.ts DIR [--threads 1,2] [--reps 10] [--only LABEL,...]
//
// Each reference runs with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to its thread count:
// Debian's PyTorch uses the system OpenBLAS (pthreads build), which ignores torch.set_num_threads,
// so without them a one-thread run would still multiply matrices on every core. OMP_WAIT_POLICY
// is PASSIVE unless set (spin-waiting threads slow two-thread runs on two cores).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checked, usage } from './args.js';

const { values, positionals } = checked(() =>
  parseArgs({
    allowPositionals: true,
    options: {
      threads: { type: 'string', default: '1,2' },
      reps: { type: 'string', default: '10' },
      only: { type: 'string' },
    },
  }),
);
const dir =
  positionals[0] ?? usage('usage: npx tsx scripts/peers.ts DIR [--threads 1,2] [--reps N]');
const threads = values.threads.split(',').map(Number);
if (threads.some((t) => !Number.isInteger(t) || t < 1)) usage('--threads: positive integers');

/** A python3 that imports torch: PYTHON, else the first on the PATH, else Debian's. */
function python(): string {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(
    Boolean,
  ) as string[];
  for (const p of candidates)
    if (spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return p;
  return usage(
    'peers: no python3 with PyTorch found; apt-get install -y python3-torch libopenblas0-pthread, or set PYTHON',
  );
}
const py = python();

// Each bench row with a reference here: its label (as scripts/performance-table.ts names it) and
// the script's arguments.
const PEERS: [label: string, args: string[]][] = [
  ['ais-ula funnel', ['bench/peers/ais.py', '--target', 'funnel', '--kernel', 'ula']],
  ['ais-hmc funnel', ['bench/peers/ais.py', '--target', 'funnel', '--kernel', 'hmc']],
  ['ais-ula many-well', ['bench/peers/ais.py', '--target', 'many-well', '--kernel', 'ula']],
  ['ais-hmc many-well', ['bench/peers/ais.py', '--target', 'many-well', '--kernel', 'hmc']],
  ['ais-hmc user target', ['bench/peers/user_target.py']],
  ['train uha funnel', ['bench/peers/uha.py', '--target', 'funnel']],
  ['train uha-mcd funnel', ['bench/peers/uha.py', '--target', 'funnel', '--mcd']],
  ['train cmcd funnel', ['bench/peers/ula.py', '--control']],
  [
    'train ldvi funnel',
    ['bench/peers/uha.py', '--target', 'funnel', '--mcd', '--refresh', 'euler'],
  ],
  [
    'train cmcd-ud funnel',
    ['bench/peers/uha.py', '--target', 'funnel', '--control', '--refresh', 'euler'],
  ],
  ['dsmcs none', ['bench/peers/uha.py', '--target', 'dsmcs']],
  ['dsmcs cat', ['bench/peers/uha.py', '--target', 'dsmcs', '--resample', 'every']],
  ['vae elbo', ['bench/peers/vae.py', '--k', '1']],
  ['vae iwae5', ['bench/peers/vae.py', '--k', '5']],
  ['vae iwae50', ['bench/peers/vae.py', '--k', '50']],
  ['vae ais5', ['bench/peers/vae.py', '--objective', 'ais', '--k', '5', '--temps', '5']],
  ['vae ula64', ['bench/peers/vae.py', '--objective', 'ula']],
  ['vae uha32', ['bench/peers/vae.py', '--objective', 'uha']],
  ['flow realnvp standard', ['bench/peers/flow.py', '--estimator', 'standard']],
  ['flow realnvp path', ['bench/peers/flow.py', '--estimator', 'path']],
];

const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((l) => !PEERS.some(([label]) => label === l)) ?? [];
if (unknown.length)
  usage(
    `--only: no reference named ${unknown.map((l) => `'${l}'`).join(', ')}; names: ${PEERS.map(([l]) => l).join(', ')}`,
  );
mkdirSync(dir, { recursive: true });
const lines: string[] = [];
for (const [label, args] of PEERS.filter(([l]) => !only || only.includes(l)))
  for (const t of threads) {
    const r = spawnSync(py, [...args, '--threads', String(t), '--reps', values.reps], {
      encoding: 'utf8',
      env: {
        ...process.env,
        OPENBLAS_NUM_THREADS: String(t),
        OMP_NUM_THREADS: String(t),
        OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
      },
    });
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || !last.startsWith('{')) {
      process.stderr.write(
        `peers: ${label} (threads ${t}) failed: ${r.stderr.trim().split('\n').at(-1)}\n`,
      );
      continue;
    }
    const o = JSON.parse(last) as { ms_per_iter_median: number };
    lines.push(JSON.stringify({ label, threads: t, ms: o.ms_per_iter_median }));
    process.stderr.write(`${label} (threads ${t}): ${o.ms_per_iter_median.toFixed(1)} ms\n`);
  }
writeFileSync(join(dir, 'peer.jsonl'), `${lines.join('\n')}\n`);
const build = execFileSync(
  py,
  [
    '-c',
    'import torch, json; print(json.dumps({"torch": torch.__version__, "config": torch.__config__.show()}))',
  ],
  { encoding: 'utf8' },
);
const { torch, config } = JSON.parse(build) as { torch: string; config: string };
const cpus = os.cpus();
writeFileSync(
  join(dir, 'machine.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      cpu: `${cpus[0]?.model ?? 'unknown cpu'} (${cpus.length} cores)`,
      loadAverage: os.loadavg(),
      commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
      python: py,
      torch,
      blas:
        /BLAS_INFO=(\w+)/.exec(config)?.[1] ?? config.match(/blas|openblas|mkl/i)?.[0] ?? 'unknown',
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`wrote ${join(dir, 'peer.jsonl')} and machine.json\n`);
