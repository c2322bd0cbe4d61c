// `anneal plot RUN_DIR`: pictures of a run directory as SVG, drawn with Vega-Lite (headless, no
// browser): the training curves (loss and ELBO per logged iteration, from metrics.jsonl) and, for
// sampler runs, the evaluation's ESS and running log Z per annealing step (from eval.json). The
// training commands call writeRunPlots when they finish.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as vegaLite from 'vega-lite';
import { panels, perStepSpec, temperaturesSpec, toSvg } from '../eval/plots.js';
import { UsageError } from './errors.js';
import type { StepDiagnostics } from '../annealing/diagnostics.js';

interface MetricRow {
  iteration: number;
  loss?: number;
  elbo?: number;
}

/** The rows of metrics.jsonl with finite values (skipped iterations log NaN as null). */
function readMetrics(dir: string): MetricRow[] {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  const rows: MetricRow[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line) as MetricRow);
    } catch {
      // A run killed mid-write can leave a partial last line; any other bad line is an error.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim()))
        throw new UsageError(`${file}: line ${i + 1} is not JSON`);
    }
  });
  return rows;
}

/** Loss and ELBO against the iteration, one panel each. */
function trainingSpec(rows: MetricRow[]): vegaLite.TopLevelSpec | null {
  const values = rows.flatMap((r) =>
    (['loss', 'elbo'] as const)
      .filter((k) => Number.isFinite(r[k]))
      .map((k) => ({ x: r.iteration, value: r[k] as number, series: k })),
  );
  return panels(values, 'iteration', false);
}

/** ESS / N and the running log Z estimate against the annealing step. */
function stepsSpec(evaluation: Record<string, unknown>): vegaLite.TopLevelSpec | null {
  const values: { x: number; value: number; series: string }[] = [];
  for (const [key, series] of [
    ['perStepEss', 'ESS / N'],
    ['perStepLogZ', 'running log Z'],
  ] as const) {
    const list = evaluation[key];
    if (Array.isArray(list))
      list.forEach((v, k) => values.push({ x: k + 1, value: Number(v), series }));
  }
  return panels(values, 'annealing step k', true);
}

/**
 * Writes training.svg (from metrics.jsonl) and steps.svg (from eval.json, sampler runs) into
 * `outDir` (default: the run directory); returns the files written.
 */
export async function writeRunPlots(dir: string, outDir = dir): Promise<string[]> {
  const written: string[] = [];
  const training = trainingSpec(readMetrics(dir));
  if (training) {
    const file = join(outDir, 'training.svg');
    writeFileSync(file, await toSvg(training));
    written.push(file);
  }
  const evalFile = join(dir, 'eval.json');
  if (existsSync(evalFile)) {
    let evaluation: Record<string, unknown>;
    try {
      evaluation = JSON.parse(readFileSync(evalFile, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new UsageError(`${evalFile} is not JSON`);
    }
    const steps = stepsSpec(evaluation);
    if (steps) {
      const file = join(outDir, 'steps.svg');
      writeFileSync(file, await toSvg(steps));
      written.push(file);
    }
  }
  return written;
}

/**
 * The pictures a training command leaves in its run directory when it finishes. A picture that
 * cannot be drawn costs one warning line, never the run.
 */
export async function plotRun(dir: string): Promise<void> {
  try {
    await writeRunPlots(dir);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stderr.write(`anneal: warning: no pictures written (${message})\n`);
  }
}

/** `anneal plot FILE.json`: the tempering picture of a saved `anneal logz --json` (auto) report. */
async function plotReport(file: string, out?: string): Promise<void> {
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new UsageError(`${file} is not JSON (save the output of \`anneal logz --json\`)`);
  }
  // Auto reports: the tempering; any report: the per-step readings.
  const pictures: [string, vegaLite.TopLevelSpec | null][] = [
    ['tempering', temperaturesSpec(report.temperatures)],
    [
      'steps',
      Array.isArray(report.perStep) && report.perStep.length
        ? perStepSpec(report.perStep as StepDiagnostics[])
        : null,
    ],
  ];
  const drawn = pictures.filter((p): p is [string, vegaLite.TopLevelSpec] => p[1] !== null);
  if (drawn.length === 0)
    throw new UsageError(
      `${file} has no per-step or per-temperature record; save the output of \`anneal logz --json\``,
    );
  for (const [name, spec] of drawn) {
    const target = join(out ?? dirname(file), `${basename(file, '.json')}-${name}.svg`);
    writeFileSync(target, await toSvg(spec));
    process.stdout.write(`${target}\n`);
  }
}

/** `anneal plot RUN_DIR [--out DIR]`, or `anneal plot REPORT.json [--out DIR]`. */
export async function plotCommand(dir: string, opts: { out?: string }): Promise<void> {
  if (opts.out !== undefined && !existsSync(opts.out))
    throw new UsageError(`--out '${opts.out}' does not exist`);
  if (dir.endsWith('.json')) {
    if (!existsSync(dir)) throw new UsageError(`'${dir}' does not exist`);
    return plotReport(dir, opts.out);
  }
  if (!existsSync(join(dir, 'config.json')))
    throw new UsageError(`'${dir}' is not a run directory (no config.json)`);
  if (opts.out !== undefined && !existsSync(opts.out))
    throw new UsageError(`--out '${opts.out}' does not exist`);
  const files = await writeRunPlots(dir, opts.out ?? dir);
  if (files.length === 0)
    throw new UsageError(`'${dir}' has nothing to plot yet (no metrics.jsonl rows, no eval.json)`);
  for (const f of files) process.stdout.write(`${f}\n`);
}
