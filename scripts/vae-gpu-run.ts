// One whole VAE run on each backend: `anneal vae train CONFIG --backend B --json` (training, then
// the full evaluation: the sampler's bound, IWAE, AIS log-likelihood, BDMC and the pictures), and
// every number it reports set side by side. The backends differ only in float rounding, so the
// bounds should agree to well within their standard errors; the seconds say what each costs.
//
//   npx tsx scripts/vae-gpu-run.ts [--config configs/vae-mnist-gpu-run.yaml] [--backends webgpu,wasm]
//       [--name vae-gpu-run] [--add]   (add these runs to the page's JSON instead of replacing it)
//   A backend that cannot run (webgpu without its packages or a GPU) stops the script before it
//   writes anything, so an earlier page keeps its rows.
//       [--from DIR --machine TEXT]    (read DIR/<backend>.json and DIR/<backend>-eval.json, the
//                                       output and eval.json of the same command run on another
//                                       machine, described by TEXT, instead of running here)
import { checked, pageName, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderVaeGpuRun, type VaeGpuRun, type VaeGpuRunData } from './render/vaeGpuRun.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      config: { type: 'string', default: 'configs/vae-mnist-gpu-run.yaml' },
      backends: { type: 'string', default: 'webgpu,wasm' },
      name: { type: 'string', default: 'vae-gpu-run' },
      docs: { type: 'string', default: 'docs/results' },
      add: { type: 'boolean', default: false },
      from: { type: 'string' },
      machine: { type: 'string' },
    },
  }),
);
pageName(values.name as string);
const backends = String(values.backends).split(',');
if (backends.some((b) => !['webgpu', 'wasm', 'cpu'].includes(b)))
  usage(`--backends must be a comma list of webgpu, wasm, cpu; got '${values.backends}'`);
if ((values.from === undefined) !== (values.machine === undefined))
  usage('--from and --machine go together: the runs read and where they ran');
if (values.from !== undefined && !existsSync(values.from))
  usage(`--from: no such folder '${values.from}'`);
const { readConfigObject } = await import('../src/cli/config.js');
checked(() => readConfigObject(values.config as string, 'data, model and train'));
const pagePath = `${values.docs}/${values.name}.json`;
if (values.add && !existsSync(pagePath)) usage(`--add: no page to add to ('${pagePath}')`);

const command = `anneal vae train ${values.config} --backend B --json`;
const here = generatedNow({ node: process.version.slice(1) });
const runs: VaeGpuRun[] = [];
for (const backend of backends) {
  if (values.from !== undefined) {
    runs.push(readRun(backend, values.from, values.machine as string));
    continue;
  }
  process.stderr.write(`[${backend}] ${command.replace(' B ', ` ${backend} `)}\n`);
  const dir = mkdtempSync(join(tmpdir(), `anneal-vae-${backend}-`));
  try {
    const out = execFileSync(
      process.execPath,
      ['bin/anneal.js', 'vae', 'train', values.config as string, '--out', join(dir, 'run')].concat([
        '--backend',
        backend,
        '--json',
        '--quiet',
      ]),
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
    );
    writeFileSync(join(dir, `${backend}.json`), out);
    writeFileSync(
      join(dir, `${backend}-eval.json`),
      readFileSync(join(dir, 'run', 'eval.json'), 'utf8'),
    );
    runs.push(readRun(backend, dir, `${here.machine}, Node ${here.node}`));
  } catch {
    // The child said why on stderr. A page without a requested backend would replace one that has
    // it (the GPU's rows, say), so nothing is written: name the backends that work instead.
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(
      `[${backend}] did not run (above); the page is left as it was: pass --backends without it\n`,
    );
    process.exit(1);
  }
  rmSync(dir, { recursive: true, force: true });
}
const earlier: VaeGpuRun[] = values.add
  ? (JSON.parse(readFileSync(pagePath, 'utf8')) as VaeGpuRunData).runs
  : [];
const data: VaeGpuRunData = {
  generated: here,
  command,
  config: values.config as string,
  runs: [...earlier, ...runs],
};
mkdirSync(values.docs as string, { recursive: true });
writeFileSync(pagePath, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.docs}/${values.name}.md`, renderVaeGpuRun(data));
process.stderr.write(`wrote ${values.docs}/${values.name}.md and .json\n`);

/** A run's CLI output and eval.json, as the page keeps them. */
function readRun(backend: string, dir: string, machine: string): VaeGpuRun {
  const read = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) usage(`missing ${path}`);
    return checked(() => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
  };
  const out = read(`${backend}.json`) as unknown as {
    trainSeconds: number;
    iterations: number;
    evaluation: VaeGpuRun['evaluation'];
  };
  const record = read(`${backend}-eval.json`) as { sampler?: VaeGpuRun['sampler'] };
  return {
    backend,
    machine,
    iterations: out.iterations,
    trainSeconds: out.trainSeconds,
    evaluation: out.evaluation,
    sampler: record.sampler ?? null,
  };
}
