// Golden regression: small CLI runs (AIS ULA and HMC, SMC, learned ULA-/UHA-MCD samplers, DSMCS with
// categorical and Bernoulli-GST resampling, a RealNVP flow, VAEs on a sampler's bound and on AIS)
// whose JSON output and run-directory results (eval.json, metrics.jsonl, a digest of every
// checkpointed parameter and of the trainer state) must equal, bit for bit, what
// test/fixtures/golden/<case>.json holds. Those were captured by scripts/golden-capture.ts at the
// commit named in test/fixtures/golden/capture.json. Only what varies from run to run is dropped
// before comparing (normalize: wall times and run-directory paths).
//
// The numbers come from the native kernels on the wasm backend, whose float reductions depend on the
// vector width the addon was compiled for (-march=native): the test is skipped, with the reason,
// where the addon is not built or was built for another SIMD level than the capture's.
//
// With ANNEAL_GOLDEN_CAPTURE=1 (scripts/golden-capture.ts sets it) each case runs twice, must give
// the same result both times, and is written to its fixture instead of compared.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { loadNative } from '../src/engine/native.js';
import { nativeStatus } from '../src/engine/index.js';
import { annealInProcess } from './helpers/inProcess.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
const CAPTURE = process.env.ANNEAL_GOLDEN_CAPTURE === '1';

/** Keys whose values vary between identical runs: wall-clock times and run-directory paths. */
const VARYING = new Set(['seconds', 'trainSeconds', 'runDir']);
/** The prefix of a parameter store's names counts the stores made before it in the process. */
const STORE_PREFIX = /^anneal\d+\//;

/**
 * A JSON value without the VARYING keys (at any depth) and with checkpointed optimizer-state names
 * ('name') cleared of their store prefix; everything else exactly as it was.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !VARYING.has(key))
        .map(([key, v]) => [
          key,
          key === 'name' && typeof v === 'string' ? v.replace(STORE_PREFIX, '') : normalize(v),
        ]),
    );
  return value;
}

interface GoldenCase {
  name: string;
  /**
   * Commands run in order (--json, so stdout is one JSON object). {config} stands for
   * test/fixtures/golden/<name>.yaml, {run} for a fresh run directory.
   */
  commands: string[][];
  /** Record the run directory's results after the last command. */
  runDir?: boolean;
}

const FLAGS = ['--backend', 'wasm', '--json', '--quiet'];
const logz = (...args: string[]) => ['logz', ...args, ...FLAGS];

const CASES: GoldenCase[] = [
  {
    name: 'ais-ula-funnel',
    commands: [
      logz(
        ...['--target', 'funnel', '--sampler', 'ais-ula', '--steps', '64', '--particles', '1000'],
        ...['--seed', '11'],
      ),
    ],
  },
  {
    name: 'ais-hmc-many-well',
    commands: [
      logz(
        ...['--target', 'many-well', '--dim', '8', '--sampler', 'ais-hmc', '--steps', '32'],
        ...['--particles', '400', '--step-size', '0.1', '--leapfrog', '3'],
        ...['--schedule', 'geometric', '--seed', '12'],
      ),
    ],
  },
  {
    // A target without fused native kernels: TF.js ops throughout (native matrix products).
    name: 'ais-hmc-german-credit',
    commands: [
      logz(
        ...['--target', 'german-credit', '--sampler', 'ais-hmc', '--steps', '16'],
        ...['--particles', '100', '--step-size', '0.05', '--leapfrog', '2', '--seed', '13'],
      ),
    ],
  },
  {
    name: 'smc-hmc-funnel-systematic',
    commands: [
      logz(
        ...['--target', 'funnel', '--sampler', 'smc-hmc', '--steps', '32', '--particles', '512'],
        ...['--batches', '4', '--resampling', 'systematic', '--ess-threshold', '0.5'],
        ...['--seed', '14'],
      ),
    ],
  },
  {
    name: 'smc-ula-gmm8-stratified',
    commands: [
      logz(
        ...['--target', 'gmm8', '--dim', '5', '--sampler', 'smc-ula', '--steps', '32'],
        ...['--particles', '512', '--step-size', '0.05', '--resampling', 'stratified'],
        ...['--seed', '15'],
      ),
    ],
  },
  {
    name: 'smc-uha-mgm-bern-gst',
    commands: [
      logz(
        ...['--target', 'mgm', '--sampler', 'smc-uha', '--steps', '8', '--particles', '256'],
        ...['--batches', '4', '--resampling', 'bern-gst', '--temperature', '0.2'],
        ...['--train-iters', '4', '--train-particles', '64', '--seed', '16'],
      ),
    ],
  },
  {
    name: 'uha-mcd-funnel',
    commands: [
      logz(
        ...['--target', 'funnel', '--sampler', 'uha-mcd', '--steps', '16', '--particles', '512'],
        ...['--train-iters', '10', '--train-particles', '64', '--lr', '0.01', '--seed', '17'],
      ),
    ],
  },
  {
    name: 'ula-mcd-gmm8',
    commands: [
      logz(
        ...['--target', 'gmm8', '--dim', '5', '--sampler', 'ula-mcd', '--steps', '16'],
        ...['--particles', '512', '--train-iters', '6', '--train-particles', '64'],
        ...['--seed', '18'],
      ),
    ],
  },
  {
    name: 'train-uha-mcd-funnel',
    commands: [
      ['train', '{config}', '--out', '{run}', ...FLAGS],
      ['logz', '--from', '{run}', '--particles', '256', '--seed', '19', ...FLAGS],
    ],
    runDir: true,
  },
  {
    name: 'train-dsmcs-cat',
    commands: [
      ['train', '{config}', '--out', '{run}', ...FLAGS],
      ['logz', '--from', '{run}', '--particles', '256', '--seed', '20', ...FLAGS],
    ],
    runDir: true,
  },
  {
    name: 'flow-realnvp-mgm',
    commands: [
      ['flow', 'train', '{config}', '--out', '{run}', ...FLAGS],
      [
        ...['flow', 'eval', '--from', '{run}', '--particles', '256', '--batches', '4'],
        ...['--test-samples', '256', '--seed', '21', '--json'],
      ],
    ],
    runDir: true,
  },
  {
    name: 'vae-uha-mcd',
    commands: [['vae', 'train', '{config}', '--out', '{run}', ...FLAGS]],
    runDir: true,
  },
  {
    name: 'vae-ais',
    commands: [
      ['vae', 'train', '{config}', '--out', '{run}', ...FLAGS],
      [
        ...['vae', 'eval', '--from', '{run}', '--test-images', '4', '--bdmc', '3'],
        ...['--seed', '22', '--json', '--quiet'],
      ],
    ],
    runDir: true,
  },
];

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** An object's short values as they are, the long ones (weights, moments) by their SHA-256. */
const digest = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, JSON.stringify(v).length > 200 ? sha256(v) : v]),
  );

/** The run directory's results: evaluation, training curve, and digests of the checkpoint. */
function runDirResults(dir: string): unknown {
  const json = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
  const checkpoint = normalize(json('checkpoint.json')) as {
    params: Record<string, { shape: number[] }>;
    trainer: Record<string, unknown>;
  };
  return normalize({
    eval: json('eval.json'),
    metrics,
    params: Object.fromEntries(
      Object.entries(checkpoint.params).map(([name, p]) => [
        name,
        { shape: p.shape, sha256: sha256(p) },
      ]),
    ),
    trainer: digest(checkpoint.trainer),
  });
}

/** Runs a case's commands in a fresh run directory; returns its normalized results. */
async function runCase(c: GoldenCase, scratch: string): Promise<unknown> {
  const run = mkdtempSync(join(scratch, `${c.name}-`));
  rmSync(run, { recursive: true });
  const config = join(FIXTURES, `${c.name}.yaml`);
  const commands = [];
  for (const argv of c.commands) {
    const r = await annealInProcess(
      argv.map((a) => a.replace('{config}', config).replace('{run}', run)),
    );
    assert.equal(r.status, 0, `anneal ${argv.join(' ')}: ${r.stderr}`);
    commands.push({ argv, status: r.status, output: normalize(JSON.parse(r.stdout)) });
  }
  return { commands, ...(c.runDir ? { runDir: runDirResults(run) } : {}) };
}

interface CaptureInfo {
  commit: string | null;
  nativeSimd: string;
  backend: string;
}

const addon = loadNative();
const simd = addon?.info().simd ?? null;
const captureFile = join(FIXTURES, 'capture.json');
const captured = existsSync(captureFile)
  ? (JSON.parse(readFileSync(captureFile, 'utf8')) as CaptureInfo)
  : null;
const skip = !addon
  ? `native addon not available: ${nativeStatus()}`
  : !CAPTURE && captured && captured.nativeSimd !== simd
    ? `fixtures were captured with ${captured.nativeSimd} native kernels, this addon is ${simd}: float reductions differ by vector width`
    : false;

describe('golden CLI runs (bit-identical to test/fixtures/golden)', { skip }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'anneal-golden-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  if (CAPTURE)
    after(() => {
      const info: CaptureInfo = {
        commit: process.env.ANNEAL_GOLDEN_COMMIT ?? null,
        nativeSimd: simd as string,
        backend: 'wasm',
      };
      writeFileSync(captureFile, `${JSON.stringify(info, null, 2)}\n`);
    });

  for (const c of CASES) {
    it(c.name, async () => {
      const fixture = join(FIXTURES, `${c.name}.json`);
      const got = await runCase(c, scratch);
      if (CAPTURE) {
        assert.deepEqual(await runCase(c, scratch), got, `${c.name} is not deterministic`);
        writeFileSync(fixture, `${JSON.stringify(got, null, 2)}\n`);
        return;
      }
      assert.ok(existsSync(fixture), `no fixture ${fixture} (scripts/golden-capture.ts writes it)`);
      const want = JSON.parse(readFileSync(fixture, 'utf8')) as unknown;
      assert.deepStrictEqual(got, want);
    });
  }
});
