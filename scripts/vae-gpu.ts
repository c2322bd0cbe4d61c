// VAE training on a GPU: the seconds per Adam iteration of Ding & Freedman's Table 1 objectives on
// the webgpu backend (TF.js's WebGPU kernels; in Node through the optional packages `webgpu` and
// `@tensorflow/tfjs-backend-webgpu`) against the wasm backend on the same machine, at the paper's
// batch of 100 and at a larger batch, and the training loss each reaches from the same seed (the
// backends differ in float rounding only, so the losses should agree to a few tenths of a nat).
//
//   npx tsx scripts/vae-gpu.ts [--config configs/vae-mnist-table1-scale.yaml] [--backends webgpu,wasm]
//       [--iterations 40] [--batches 100,1000] [--data-dir DIR] [--name vae-gpu]
//       [--child-timeout S]   (give up on a backend after S seconds; its row then says so)
//
// Each backend runs in its own child process (one TF.js backend per process). Each cell trains
// from the same seed for WARMUP + --iterations iterations and reports the clock time per iteration
// over the last --iterations: the steady cost, without the first iterations' shader compilation
// or kernel set-up (reported apart). Writes docs/results/NAME.{json,md}.
import { checked, pageName, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderVaeGpu, type VaeGpuCell, type VaeGpuData } from './render/vaeGpu.js';

const WARMUP = 5;
/** The child's GPU, once its backend has started (for a report of a failure after that). */
let webgpuDevice: string | null = null;
const OBJECTIVES: { label: string; objective: Record<string, unknown> }[] = [
  { label: 'ELBO (K = 1)', objective: { kind: 'elbo', samples: 1 } },
  { label: 'IWAE-DReG (K = 5)', objective: { kind: 'iwae-dreg', samples: 5 } },
  {
    label: 'AIS-trained (K = 5, T = 5, L = 5)',
    objective: { kind: 'ais', samples: 5, temperatures: 5, leapfrogSteps: 5 },
  },
];

const { values } = checked(() =>
  parseArgs({
    options: {
      config: { type: 'string', default: 'configs/vae-mnist-table1-scale.yaml' },
      backends: { type: 'string', default: 'webgpu,wasm' },
      iterations: { type: 'string', default: '40' },
      batches: { type: 'string', default: '100,1000' },
      'data-dir': { type: 'string' },
      name: { type: 'string', default: 'vae-gpu' },
      docs: { type: 'string', default: 'docs/results' },
      'child-timeout': { type: 'string' },
      child: { type: 'string' },
    },
  }),
);
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 1) usage('--iterations must be an integer >= 1');
const batches = String(values.batches).split(',').map(Number);
if (batches.some((b) => !Number.isInteger(b) || b < 1))
  usage('--batches must be a comma list of integers >= 1');
pageName(values.name as string);

if (values.child !== undefined) {
  const backend = values.child;
  const result = await measure(backend).catch((error: unknown) => ({
    backend,
    device: webgpuDevice,
    error: String((error as Error).message ?? error).split('\n')[0] as string,
    cells: [],
  }));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Dawn's device keeps the event loop alive; the measurements are out.
  process.exit(0);
}

const childTimeout =
  values['child-timeout'] === undefined ? undefined : Number(values['child-timeout']);
if (childTimeout !== undefined && !(childTimeout > 0)) usage('--child-timeout must be seconds > 0');
// The config is read here first, so that a missing or malformed one is one line, not a page of
// failed backends.
const { readConfigObject } = await import('../src/cli/config.js');
checked(() => readConfigObject(values.config as string, 'data, model and train'));
const backends = String(values.backends).split(',');
const runs: VaeGpuData['backends'] = [];
for (const backend of backends) {
  process.stderr.write(`[${backend}] measuring\n`);
  try {
    const out = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        process.argv[1] as string,
        ...process.argv.slice(2),
        '--child',
        backend,
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
        ...(childTimeout ? { timeout: childTimeout * 1000, killSignal: 'SIGKILL' as const } : {}),
      },
    );
    const result = JSON.parse(
      out.trim().split('\n').pop() as string,
    ) as VaeGpuData['backends'][number];
    // A child that failed part-way reports no cells itself; keep those it finished.
    if (result.cells.length === 0) result.cells = cellLines(out);
    runs.push(result);
  } catch (error) {
    // Killed (--child-timeout) or crashed: keep the cells it finished (one JSON line each).
    const e = error as Error & { stdout?: string; signal?: string };
    const message =
      e.signal === 'SIGKILL'
        ? `stopped after ${childTimeout} s`
        : (e.message.split('\n')[0] as string);
    const cells = cellLines(e.stdout ?? '');
    const device = /"device":"([^"]*)"/.exec(e.stdout ?? '')?.[1] ?? null;
    process.stderr.write(`[${backend}] failed: ${message}\n`);
    runs.push({ backend, device, error: message, cells });
  }
}
if (runs.every((r) => r.cells.length === 0)) {
  // Nothing measured: say why and leave any earlier results page as it was.
  process.stderr.write(
    `no backend ran: ${runs.map((r) => `${r.backend}: ${r.error}`).join('; ')}\n`,
  );
  process.exit(1);
}
const data: VaeGpuData = {
  generated: generatedNow({ node: process.version.slice(1) }),
  command: `npx tsx scripts/vae-gpu.ts --config ${values.config} --backends ${values.backends} --iterations ${iterations} --batches ${batches.join(',')}`,
  warmup: WARMUP,
  iterations,
  backends: runs,
};
mkdirSync(values.docs as string, { recursive: true });
writeFileSync(`${values.docs}/${values.name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.docs}/${values.name}.md`, renderVaeGpu(data));
process.stderr.write(`wrote ${values.docs}/${values.name}.md and .json\n`);

/** One backend's cells, in this (child) process. */
async function measure(backend: string): Promise<VaeGpuData['backends'][number]> {
  const { initEngine, webgpuAdapter } = await import('../src/engine/index.js');
  const { readConfigObject } = await import('../src/cli/config.js');
  const { parseVaeRunConfig } = await import('../src/models/vaeConfig.js');
  const { trainVaeRun } = await import('../src/models/vaeRun.js');
  await initEngine({ backend: backend as 'wasm' });
  const adapter = webgpuAdapter();
  if (adapter) {
    webgpuDevice = describe(adapter);
    process.stdout.write(`${JSON.stringify({ device: webgpuDevice })}\n`);
  }
  const base = checked(() =>
    readConfigObject(values.config as string, 'data, model and train'),
  ) as Record<string, Record<string, unknown>>;
  const scratch = mkdtempSync(join(tmpdir(), 'vae-gpu-'));
  const cells: VaeGpuCell[] = [];
  try {
    for (const batch of batches) {
      for (const { label, objective } of OBJECTIVES) {
        const config = parseVaeRunConfig(
          {
            ...base,
            // The run starts the engine from its config: name the backend, or it takes the default.
            backend,
            data: {
              ...base.data,
              ...(values['data-dir'] !== undefined ? { dir: values['data-dir'] } : {}),
            },
            train: { ...base.train, batch, epochs: 1000, objective },
          },
          values.config as string,
        );
        // The clock at the end of each iteration; the loss of each.
        const at: number[] = [];
        const losses: number[] = [];
        const start = performance.now();
        await trainVaeRun(
          { config, outDir: join(scratch, `${batch}-${String(objective.kind)}`) },
          {
            stopAfter: WARMUP + iterations,
            onIteration: (m) => {
              at.push(performance.now());
              losses.push(m.loss);
            },
          },
        );
        const { currentBackend, webgpuErrors } = await import('../src/engine/index.js');
        if (currentBackend() !== backend)
          throw new Error(`the run trained on '${currentBackend()}', not '${backend}'`);
        const reported = webgpuErrors();
        if (reported.length > 0) throw new Error(`the GPU reported: ${reported[0]}`);
        const ms =
          ((at[WARMUP + iterations - 1] as number) - (at[WARMUP - 1] as number)) / iterations;
        const tail = losses.slice(-5);
        process.stderr.write(`[${backend}] batch ${batch}, ${label}: ${ms.toFixed(1)} ms / it.\n`);
        const cell = {
          label,
          batch,
          msPerIteration: ms,
          firstSeconds: ((at[WARMUP - 1] as number) - start) / 1000,
          loss: tail.reduce((a, b) => a + b, 0) / tail.length,
        };
        cells.push(cell);
        process.stdout.write(`${JSON.stringify({ cell })}\n`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    backend,
    device: adapter ? describe(adapter) : null,
    error: null,
    cells,
  };
}

function describe(a: {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}) {
  return [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
}

/** The cells a child printed as it finished them (one JSON line each). */
function cellLines(out: string): VaeGpuCell[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{"cell":'))
    .map((l) => (JSON.parse(l) as { cell: VaeGpuCell }).cell);
}
