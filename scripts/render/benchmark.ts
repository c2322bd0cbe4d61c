// docs/results/benchmark.md (and its --name variants) from the JSON of scripts/benchmark.ts: the
// learned samplers on the standard benchmark targets, mean and spread over training seeds, beside
// the CMCD authors' published numbers at the same number of steps, with the fraction of their
// training this run reached. Pure: the results test re-renders the page.
import { generatedText, meanSd, pm, type Generated } from './common.js';
import { CMCD_METHODS, CMCD_MODELS, cmcdRow, type PublishedData } from './published.js';

export interface BenchmarkRow {
  target: string;
  method: string;
  steps: number;
  seed: number;
  /** The mean-field fit's ELBO (the initial distribution before the sampler trains). */
  mfviElbo: number | null;
  elbo: number;
  elboStdErr: number | null;
  logZ: number;
  logZStdErr: number | null;
  logZStdErrReliable: boolean;
  ess: number;
  skipped: number;
  trainSeconds: number;
}

export interface BenchmarkSettings {
  steps: number;
  iterations: number;
  particles: number;
  learningRate: number;
  mfviIterations: number;
  mfviLearningRate: number;
  clipNorm: number | null;
  objective: 'elbo' | 'logvar';
  evalParticles: number;
  ulaStep: number;
  uhaStep: number;
}

export interface BenchmarkData {
  generated: Generated;
  command: string;
  largerCommand: string;
  settings: BenchmarkSettings;
  /** Training iterations of the published runs (the authors' base config). */
  paperIterations: number;
  rows: BenchmarkRow[];
}

/** How far below the best published ELBO anneal's best may end and still meet it. */
export const ELBO_MARGIN = 0.1;

const LABEL: Record<string, string> = {
  ula: 'ULA',
  uha: 'UHA',
  'ula-mcd': 'MCD (ULA)',
  ldvi: 'LDVI',
  cmcd: 'CMCD',
  'cmcd-ud': 'CMCD underdamped',
};

const f = (x: number, digits = 2) => x.toFixed(digits);
const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** Per target and method: the seeds' ELBO and log Z, and the published row at the same steps. */
export function benchmarkCells(d: BenchmarkData, published: PublishedData) {
  const targets = [...new Set(d.rows.map((r) => r.target))];
  return targets.map((target) => {
    const methods = [...new Set(d.rows.filter((r) => r.target === target).map((r) => r.method))];
    const cells = methods.map((method) => {
      const rows = d.rows.filter((r) => r.target === target && r.method === method);
      const model = CMCD_MODELS[target];
      const code = CMCD_METHODS[method];
      const paper = model && code ? cmcdRow(published, model, code, d.settings.steps) : undefined;
      return {
        method,
        seeds: rows.length,
        elbo: meanSd(rows.map((r) => r.elbo)),
        logZ: meanSd(rows.map((r) => r.logZ)),
        unreliable: rows.filter((r) => !r.logZStdErrReliable).length,
        paper,
      };
    });
    // The best published ELBO in the row: every method the file has for this model and K.
    const model = CMCD_MODELS[target];
    const rowPapers = model
      ? published.cmcd.rows.filter(
          (r) => r.model === model && r.steps === d.settings.steps && r.elbo !== null,
        )
      : [];
    const bestPaper = rowPapers.reduce<(typeof rowPapers)[number] | undefined>(
      (a, r) => (a && (a.elbo as number) >= (r.elbo as number) ? a : r),
      undefined,
    );
    const best = cells.reduce((a, c) => (a && a.elbo.mean >= c.elbo.mean ? a : c));
    return { target, cells, best, bestPaper };
  });
}

export function renderBenchmark(d: BenchmarkData, published: PublishedData): string {
  const s = d.settings;
  const seeds = [...new Set(d.rows.map((r) => r.seed))];
  const fraction = s.iterations / d.paperIterations;
  const targets = benchmarkCells(d, published);
  const lines: string[] = [
    `# The standard benchmark at K = ${s.steps}: anneal's learned samplers beside the published numbers`,
    '',
    `Each learned sampler on each target, ${seeds.length} training seed${seeds.length === 1 ? '' : 's'}: a mean-field Gaussian fitted by the ELBO`,
    `(${s.mfviIterations} Adam iterations, lr ${s.mfviLearningRate}) starts the sampler, which then trains every parameter group, the`,
    `initial distribution included, for ${s.iterations} Adam iterations (lr ${s.learningRate}, ${s.particles} particles, ${s.clipNorm === null ? 'no clipping' : `gradient norm clipped at ${s.clipNorm}`}, objective ${s.objective})`,
    `from initial steps ULA ${s.ulaStep}, UHA ${s.uhaStep}, and is evaluated on ${s.evalParticles} fresh particles.`,
    `The published runs train ${d.paperIterations} iterations each: this run reached **${(100 * fraction).toPrecision(2)}% of their training** in iterations`,
    '(their batches are smaller), so a gap below says how far a run of this length gets, not where the method ends.',
    `Published: the CMCD authors' results file (docs/results/published.md), mean ± their spread; anneal: mean ± standard deviation over seeds.`,
    '',
  ];
  for (const t of targets) {
    lines.push(`## ${t.target}`, '');
    if (t.bestPaper) {
      const gap = t.best.elbo.mean - (t.bestPaper.elbo as number);
      const meets = gap >= -ELBO_MARGIN;
      lines.push(
        `Best ELBO: anneal ${f(t.best.elbo.mean)} (${LABEL[t.best.method] ?? t.best.method}), published ${f(t.bestPaper.elbo as number)} (${t.bestPaper.method}): ${signed(gap)}, ${meets ? `within ${ELBO_MARGIN} nats of the best published value or above it` : `below the best published value by more than ${ELBO_MARGIN} nats at this training length`}.`,
        '',
      );
    } else {
      lines.push(`The published file has no row for ${t.target} at K = ${s.steps}.`, '');
    }
    lines.push(
      '| method | seeds | ELBO | published ELBO | ELBO - published | log Z | published log Z |',
      '|---|---|---|---|---|---|---|',
    );
    for (const c of t.cells) {
      const p = c.paper;
      const pe = p?.elbo ?? null;
      const pz = p?.logZ ?? null;
      lines.push(
        `| ${LABEL[c.method] ?? c.method} | ${c.seeds} | ${f(c.elbo.mean)} ± ${f(c.elbo.sd)} | ${pe === null ? '-' : `${f(pe)} ± ${f(p?.elboStd ?? 0)}`} | ${pe === null ? '-' : signed(c.elbo.mean - pe)} | ${f(c.logZ.mean)} ± ${f(c.logZ.sd)}${c.unreliable ? '†' : ''} | ${pz === null ? '-' : `${f(pz)} ± ${f(p?.logZStd ?? 0)}`} |`,
      );
    }
    lines.push('');
  }
  const unreliable = d.rows.filter((r) => !r.logZStdErrReliable).length;
  if (unreliable)
    lines.push(
      `† ${unreliable} of ${d.rows.length} log Z estimates rest on fewer than 10 effective particles per evaluation batch: their log Z says where a run landed, not how good it is.`,
      '',
    );
  lines.push(
    `A longer run: \`${d.largerCommand}\` (shardable: docs/cluster.md).`,
    '',
    `Generated by \`${d.command}\``,
    `${generatedText(d.generated)}.`,
    '',
    '| target | method | seed | MFVI ELBO | ELBO | log Z | ESS | skipped | train s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...d.rows.map(
      (r) =>
        `| ${r.target} | ${LABEL[r.method] ?? r.method} | ${r.seed} | ${r.mfviElbo === null ? '-' : f(r.mfviElbo)} | ${pm(r.elbo, r.elboStdErr, 2)} | ${pm(r.logZ, r.logZStdErr, 2)}${r.logZStdErrReliable ? '' : '†'} | ${r.ess.toFixed(3)} | ${r.skipped} | ${r.trainSeconds.toFixed(0)} |`,
    ),
    '',
  );
  return lines.join('\n');
}
