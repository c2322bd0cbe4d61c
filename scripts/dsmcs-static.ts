// The static-target experiment of Zenn & Bamler (2023), "Resampling gradients vanish in
// differentiable sequential Monte Carlo samplers": trains UHA on the 50-d Gaussian mixture with
// DAIS (no resampling, IW bound of each system) and with DSMCS under every resampling variant
// (cat, gst, bern-cat, bern-gst; SMC bound), from one config. For each variant it records the ESS
// per transition after the first epoch and at the end, and the final bound; then writes a table
// (docs/results/dsmcs-static.md, .json) and a plot of ESS per transition (dsmcs-static-ess.svg).
//
//   npx tsx scripts/dsmcs-static.ts [--config configs/dsmcs-static-small.yaml] [--out runs/dsmcs-static]
//
// The default config is the scaled-down one (minutes); configs/dsmcs-static.yaml is the paper's
// scale (hours). Runs are resumable run directories: re-running continues unfinished variants.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { Rng, initEngine } from '../src/engine/index.js';
import { evaluateSampler, type SamplerEvaluation } from '../src/eval/evaluateSampler.js';
import { loadConfigFile } from '../src/cli/config.js';
import { loadTrainedSampler, trainRun } from '../src/train/run.js';
import type { ResamplingName } from '../src/annealing/resampling.js';
import type { RunConfig } from '../src/train/config.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/dsmcs-static-small.yaml' },
    out: { type: 'string', default: 'runs/dsmcs-static' },
    docs: { type: 'string', default: 'docs/results' },
  },
});
const configPath = values.config as string;
const base = loadConfigFile(configPath);
const groupSize = base.sampler.resampling?.groupSize;
if (!groupSize) throw new Error(`${configPath}: sampler.resampling.groupSize is needed`);
/** Iterations per epoch in the paper (10); the early snapshot is taken after the first epoch. */
const EPOCH = 10;

const VARIANTS: { scheme: ResamplingName; label: string }[] = [
  { scheme: 'none', label: 'DAIS' },
  { scheme: 'cat', label: 'DSMCS cat' },
  { scheme: 'gst', label: 'DSMCS gst' },
  { scheme: 'bern-cat', label: 'DSMCS bern-cat' },
  { scheme: 'bern-gst', label: 'DSMCS bern-gst' },
];

interface VariantResult {
  scheme: ResamplingName;
  label: string;
  earlyEss: number[];
  finalEss: number[];
  bound: number;
  boundStdErr: number | null;
  logZ: number;
  logZStdErr: number | null;
  trainSeconds: number;
  iterations: number;
  skipped: number;
}

function variantConfig(scheme: ResamplingName): RunConfig {
  const config = structuredClone(base);
  config.sampler.resampling = {
    ...(config.sampler.resampling as NonNullable<RunConfig['sampler']['resampling']>),
    scheme,
  };
  // Both bounds are the log mean weight of each system: for DAIS the IW bound, for DSMCS the SMC bound.
  config.train.objective = { kind: 'iw', groupSize: groupSize as number };
  return config;
}

async function evaluateRun(dir: string, config: RunConfig): Promise<SamplerEvaluation> {
  const { sampler, target } = await loadTrainedSampler(dir);
  try {
    return evaluateSampler(sampler, {
      particles: config.eval.particles,
      batches: config.eval.batches,
      rng: Rng.fromSeed(config.eval.seed),
    });
  } finally {
    sampler.dispose();
    target.dispose?.();
  }
}

async function runVariant(v: (typeof VARIANTS)[number]): Promise<VariantResult> {
  const config = variantConfig(v.scheme);
  const dir = `${values.out}/${v.scheme}`;
  const log = (m: string) => process.stderr.write(`[${v.label}] ${m}\n`);
  // Results are kept in the run directory, so a re-run reuses finished variants and a stopped one
  // continues from its checkpoint.
  const resultFile = `${dir}/variant-result.json`;
  if (existsSync(resultFile)) {
    log('done before; reusing its result');
    return JSON.parse(readFileSync(resultFile, 'utf8')) as VariantResult;
  }
  const earlyFile = `${dir}/early.json`;
  if (!existsSync(earlyFile)) {
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    log(`training the first epoch (${EPOCH} iterations)`);
    const first = await trainRun({ config, outDir: dir }, { stopAfter: EPOCH });
    const early = await evaluateRun(dir, config);
    const record = { ess: early.perStep.map((s) => s.essFraction), seconds: first.trainSeconds };
    writeFileSync(earlyFile, `${JSON.stringify(record)}\n`);
  }
  const early = JSON.parse(readFileSync(earlyFile, 'utf8')) as { ess: number[]; seconds: number };
  log(`training to ${config.train.iterations} iterations`);
  const outcome = await trainRun({ resumeDir: dir });
  const final = outcome.evaluation ?? (await evaluateRun(dir, config));
  const bound = final.smcBound;
  if (!bound) throw new Error('evaluation has no system bound');
  const result: VariantResult = {
    scheme: v.scheme,
    label: v.label,
    earlyEss: early.ess,
    finalEss: final.perStep.map((s) => s.essFraction),
    bound: bound.value,
    boundStdErr: bound.stdErr,
    logZ: final.logZ,
    logZStdErr: final.logZStdErr,
    trainSeconds: early.seconds + outcome.trainSeconds,
    iterations: outcome.iterations,
    skipped: outcome.skipped,
  };
  writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function essPlot(results: VariantResult[]): Promise<string> {
  const rows = results.flatMap((r) => [
    ...r.earlyEss.map((ess, i) => ({
      variant: r.label,
      transition: i + 1,
      ess,
      when: 'after epoch 1',
    })),
    ...r.finalEss.map((ess, i) => ({ variant: r.label, transition: i + 1, ess, when: 'final' })),
  ]);
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    width: 260,
    height: 200,
    facet: {
      column: { field: 'when', type: 'nominal', title: null, sort: ['after epoch 1', 'final'] },
    },
    spec: {
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'transition', type: 'quantitative', title: 'transition k' },
        y: {
          field: 'ess',
          type: 'quantitative',
          title: 'ESS / N per system',
          scale: { domain: [0, 1] },
        },
        color: { field: 'variant', type: 'nominal', title: null },
      },
    },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

await initEngine({ backend: base.backend });
const results: VariantResult[] = [];
for (const v of VARIANTS) results.push(await runVariant(v));

const dais = results[0] as VariantResult;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pm = (x: number, se: number | null) => `${x.toFixed(3)} ± ${(se ?? NaN).toFixed(3)}`;
const t = base.train;
const systems = t.particles / (groupSize as number);
const header = [
  '# DSMCS static target: DAIS and DSMCS with each resampling variant',
  '',
  `Generated by \`npx tsx scripts/dsmcs-static.ts --config ${configPath}\` on ${os.cpus()[0]?.model ?? 'unknown cpu'}`,
  `(${os.cpus().length} cores), ${new Date().toISOString().slice(0, 10)}, seed ${base.seed}.`,
  `Target: 8-component Gaussian mixture in 50 dims (log Z = 0); initial N(0, 9 I), fixed; UHA with`,
  `${base.sampler.steps} transitions; ${systems} systems of ${groupSize} particles per iteration, ${t.iterations} iterations`,
  `(${t.iterations / EPOCH} epochs of ${EPOCH}), Adam lr ${t.learningRate}. Every variant maximizes the log mean weight of each`,
  'system: the IW bound for DAIS, the SMC bound for DSMCS. Evaluation: fresh particles,',
  `${base.eval.particles} = ${base.eval.particles / (groupSize as number)} systems of ${groupSize}; ± is one standard error over systems (bound) or batches (log Z).`,
  'ESS is the reverse ESS per system as a fraction of N, before each resampling decision for DSMCS.',
  '',
];
const table = [
  '| variant | bound | bound - DAIS | log Z | mean ESS, epoch 1 | mean ESS, final | min ESS, final | train s |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.label} | ${pm(r.bound, r.boundStdErr)} | ${r === dais ? '-' : (r.bound - dais.bound).toFixed(3)} | ${pm(r.logZ, r.logZStdErr)} | ${mean(r.earlyEss).toFixed(3)} | ${mean(r.finalEss).toFixed(3)} | ${Math.min(...r.finalEss).toFixed(3)} | ${r.trainSeconds.toFixed(0)} |`,
  ),
  '',
  '![ESS per transition](dsmcs-static-ess.svg)',
  '',
];
const docs = values.docs as string;
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/dsmcs-static.md`, [...header, ...table].join('\n'));
writeFileSync(
  `${docs}/dsmcs-static.json`,
  `${JSON.stringify({ config: configPath, date: new Date().toISOString(), results }, null, 2)}\n`,
);
writeFileSync(`${docs}/dsmcs-static-ess.svg`, await essPlot(results));
process.stderr.write(`wrote ${docs}/dsmcs-static.md, .json and -ess.svg\n`);
