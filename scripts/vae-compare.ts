// VAE objectives compared on binarized MNIST at a reduced scale set by the base config: each
// variant trains from the same seed into its own run directory and is evaluated on the same test
// images by its own bound (the ELBO, or the learned sampler's extended-space ELBO), the IWAE bound
// and the AIS log-likelihood. Two tables:
//  - ding-freedman: ELBO, IWAE, IWAE-DReG, MH-HMC and the AIS-trained decoder at equal K
//    (Ding & Freedman 2019, Table 1) -> docs/results/vae-mnist.{md,json}
//  - mcd: a plain VAE and VAEs trained through ULA, UHA, ULA-MCD and UHA-MCD chains (the MCD
//    paper's VAE table; the paper runs 64 ULA / 32 UHA steps, --ula-steps / --uha-steps scale
//    them down) -> docs/results/vae-mcd.{md,json}
//  - table1: Ding & Freedman's Table 1 grid, IWAE and IWAE-DReG for each K in --samples and the
//    AIS-trained decoder for each K and each T in --temperatures (comma lists)
//    -> docs/results/vae-table1.{md,json}
//
//   npx tsx scripts/vae-compare.ts [--table ding-freedman|mcd|table1] [--config configs/vae-mnist-compare.yaml]
//       [--samples 5] [--temperatures 5] [--ula-steps 16] [--uha-steps 8]
//       [--workers N]   (variants on N worker threads; the same numbers)
//       [--epochs E]    (in place of the config's train.epochs)
//       [--budget M]    (the most epochs that train every variant in about M minutes, from a
//                        short timed probe of each; the results record the count as --epochs)
//       [--name N]      (write docs/results/N.{md,json} instead of the table's default page)
//
// A variant whose run directory already holds its outcome for the same config is not retrained,
// so a stopped table continues where it was.
//
// The papers' scale: configs/vae-mnist-ding-freedman.yaml and configs/vae-mnist-mcd.yaml.
import { checked, pageName, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfigObject } from '../src/cli/config.js';
import { currentBackend, initEngine, type BackendName } from '../src/engine/index.js';
import { runTasks } from '../src/parallel/pool.js';
import { parseVaeRunConfig } from '../src/models/vaeConfig.js';
import { trainVaeRun } from '../src/models/vaeRun.js';
import { parseBudget, planBudget, type BudgetPlan } from './budget.js';
import type { VaeVariant, VariantOutcome } from './jobs/vae.js';
import { renderVae, type VaeData } from './render/vae.js';
import { refreshAfterWriting } from './pages.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      table: { type: 'string', default: 'ding-freedman' },
      config: { type: 'string', default: 'configs/vae-mnist-compare.yaml' },
      samples: { type: 'string', default: '5' },
      temperatures: { type: 'string', default: '5' },
      'ula-steps': { type: 'string', default: '16' },
      'uha-steps': { type: 'string', default: '8' },
      runs: { type: 'string', default: 'runs/vae-compare' },
      name: { type: 'string' },
      docs: { type: 'string', default: 'docs/results' },
      workers: { type: 'string', default: '1' },
      epochs: { type: 'string' },
      budget: { type: 'string' },
      ...SHARD_FLAGS,
    },
  }),
);
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) usage('--workers must be an integer >= 1');
const table = values.table as string;
if (table !== 'ding-freedman' && table !== 'mcd' && table !== 'table1') {
  process.stderr.write(`unknown --table '${table}'; valid: ding-freedman, mcd, table1\n`);
  process.exit(2);
}
if (values.name !== undefined) pageName(values.name);
const positiveList = (flag: string) => {
  const xs = String(values[flag as 'samples'])
    .split(',')
    .map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1) || (table !== 'table1' && xs.length !== 1)) {
    process.stderr.write(
      `--${flag} must be ${table === 'table1' ? 'a comma list of integers' : 'one integer'} >= 1\n`,
    );
    process.exit(2);
  }
  return xs;
};
const ks = positiveList('samples');
const ts = positiveList('temperatures');
const k = ks[0] as number;
const t = ts[0] as number;
const ulaSteps = Number(values['ula-steps']);
const uhaSteps = Number(values['uha-steps']);
const base = checked(() =>
  readConfigObject(values.config as string, 'data, model and train'),
) as Record<string, Record<string, unknown>>;

interface Variant {
  label: string;
  objective: Record<string, unknown> & { kind: string };
  /** Run directory under --runs (default: the objective's kind). */
  dir?: string;
}
const table1: Variant[] = [
  ...ks.flatMap((kk) => [
    { label: `IWAE (K = ${kk})`, objective: { kind: 'iwae', samples: kk }, dir: `iwae-k${kk}` },
    {
      label: `IWAE-DReG (K = ${kk})`,
      objective: { kind: 'iwae-dreg', samples: kk },
      dir: `iwae-dreg-k${kk}`,
    },
  ]),
  ...ts.flatMap((tt) =>
    ks.map((kk) => ({
      label: `AIS-trained (K = ${kk}, T = ${tt}, L = 5)`,
      objective: { kind: 'ais', samples: kk, temperatures: tt, leapfrogSteps: 5 },
      dir: `ais-k${kk}-t${tt}`,
    })),
  ),
];
const VARIANTS: Variant[] =
  table === 'table1'
    ? table1
    : table === 'ding-freedman'
      ? [
          { label: 'ELBO (K = 1)', objective: { kind: 'elbo', samples: 1 } },
          { label: `IWAE (K = ${k})`, objective: { kind: 'iwae', samples: k } },
          { label: `IWAE-DReG (K = ${k})`, objective: { kind: 'iwae-dreg', samples: k } },
          {
            label: `MH-HMC (K = ${k}, T = ${t}, L = 5)`,
            objective: { kind: 'mh-hmc', samples: k, temperatures: t, leapfrogSteps: 5 },
          },
          {
            label: `AIS-trained (K = ${k}, T = ${t}, L = 5)`,
            objective: { kind: 'ais', samples: k, temperatures: t, leapfrogSteps: 5 },
          },
        ]
      : [
          { label: 'VAE (ELBO)', objective: { kind: 'elbo', samples: 1 } },
          { label: `ULA (${ulaSteps} steps)`, objective: { kind: 'ula', steps: ulaSteps } },
          { label: `UHA (${uhaSteps} steps)`, objective: { kind: 'uha', steps: uhaSteps } },
          { label: `ULA-MCD (${ulaSteps} steps)`, objective: { kind: 'ula-mcd', steps: ulaSteps } },
          { label: `UHA-MCD (${uhaSteps} steps)`, objective: { kind: 'uha-mcd', steps: uhaSteps } },
        ];

await initEngine({ backend: base.backend as unknown as BackendName | undefined });
const variantConfig = (v: Variant) => ({
  ...base,
  train: { ...base.train, objective: v.objective },
});
const budgetMinutes = checked(() => parseBudget(values.budget));
const docs = values.docs as string;
const name =
  values.name ?? { 'ding-freedman': 'vae-mnist', mcd: 'vae-mcd', table1: 'vae-table1' }[table];
const sharding = parseSharding(values, `${docs}/${name}`);
if ((sharding.shard || sharding.merge) && budgetMinutes !== null)
  usage('--budget plans from timings of this machine: give --epochs when running in shards');
if (budgetMinutes !== null && values.epochs !== undefined) {
  process.stderr.write('give --epochs or --budget, not both\n');
  process.exit(2);
}
if (values.epochs !== undefined) {
  const epochs = Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1) {
    process.stderr.write('--epochs must be an integer >= 1\n');
    process.exit(2);
  }
  base.train = { ...base.train, epochs };
}
let budget: BudgetPlan | null = null;
if (budgetMinutes !== null) {
  // Each variant trains PROBE iterations in a scratch directory; its seconds per iteration times
  // the batches per epoch is its cost per epoch.
  const PROBE = 20;
  const perEpoch: Record<string, number> = {};
  const scratch = mkdtempSync(join(tmpdir(), 'vae-budget-'));
  try {
    for (const v of VARIANTS) {
      const config = parseVaeRunConfig(variantConfig(v), values.config as string);
      const batches = Math.ceil((config.data.trainImages ?? 50000) / config.train.batch);
      config.train.epochs = Math.ceil(PROBE / batches);
      const probe = await trainVaeRun(
        { config, outDir: join(scratch, v.dir ?? v.objective.kind) },
        { stopAfter: PROBE },
      );
      perEpoch[v.label] = (probe.trainSeconds / probe.iterations) * batches;
      process.stderr.write(`[budget] ${v.label}: ${perEpoch[v.label]?.toFixed(2)} s per epoch\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  budget = planBudget(budgetMinutes, perEpoch, workers);
  base.train = { ...base.train, epochs: budget.units };
  process.stderr.write(`[budget] ${budgetMinutes} min: ${budget.units} epochs per variant\n`);
}
const cells: VaeVariant[] = VARIANTS.map((v) => ({
  label: v.label,
  config: variantConfig(v),
  source: values.config as string,
  dir: join(values.runs as string, v.dir ?? v.objective.kind),
}));
// Longest first on several workers: the probe's times, else a rough count of gradient passes.
const costOf = new Map(
  VARIANTS.map((v) => {
    const o = v.objective as { samples?: number; temperatures?: number; steps?: number };
    return [
      v.label,
      budget?.secondsPerUnit[v.label] ?? (o.samples ?? 1) * (o.temperatures ?? o.steps ?? 1),
    ];
  }),
);
const outcome = await runSharded<VaeVariant, VariantOutcome>(cells, sharding, (subset) =>
  runTasks<VaeVariant, VariantOutcome>(new URL('./jobs/vae.ts', import.meta.url).href, subset, {
    workers,
    backend: currentBackend() as BackendName,
    costs: subset.map((c) => costOf.get(c.label) ?? 1),
  }),
);
if (outcome === null) process.exit(0);
const outcomes = outcome.results;
const results = VARIANTS.map((v, i) => ({
  label: v.label,
  outcome: outcomes[i] as VariantOutcome,
}));

const epochsFlag =
  (budget || values.epochs !== undefined ? ` --epochs ${String(base.train?.epochs)}` : '') +
  (values.name !== undefined ? ` --name ${values.name} --runs ${values.runs}` : '');
const command =
  table === 'mcd'
    ? `npx tsx scripts/vae-compare.ts --table mcd --config ${values.config} --ula-steps ${ulaSteps} --uha-steps ${uhaSteps}${epochsFlag}`
    : `npx tsx scripts/vae-compare.ts${table === 'table1' ? ' --table table1' : ''} --config ${values.config} --samples ${ks.join(',')} --temperatures ${ts.join(',')}${epochsFlag}`;
const data: VaeData = {
  generated: mergedGenerated(generatedNow({ workers }), outcome.generated),
  table,
  command,
  ...(budget ? { budget } : {}),
  ...(table === 'mcd' ? { ulaSteps, uhaSteps } : {}),
  results: results.map(({ label, outcome }) => ({
    label,
    config: outcome.config,
    trainSeconds: outcome.trainSeconds,
    evaluation: outcome.evaluation,
    ...(outcome.failure ? { failure: outcome.failure } : {}),
  })),
};
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/${name}.md`, renderVae(data));
process.stderr.write(`wrote ${docs}/${name}.md and .json\n`);
// The claims page and every page's claim lines read this JSON too.
refreshAfterWriting(docs);
const failed = results.filter((r) => r.outcome.failure);
if (failed.length) {
  process.stderr.write(
    `${failed.length} variant(s) stopped early: ${failed.map((r) => r.label).join(', ')}\n`,
  );
  process.exit(1);
}
