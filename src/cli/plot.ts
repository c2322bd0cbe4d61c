// `anneal plot RUN_DIR`: pictures of a run directory as SVG, drawn with Vega-Lite (headless, no
// browser): the training curves (loss and ELBO per logged iteration, from metrics.jsonl) and, for
// sampler runs, the evaluation's ESS and running log Z per annealing step (from eval.json). The
// training commands call writeRunPlots when they finish.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as vegaLite from 'vega-lite';
import { panels, perStepSpec, temperaturesSpec, toSvg } from '../eval/plots.js';
import { Interrupted, UsageError } from './errors.js';
import { parseJsonText } from '../io/json.js';
import { shellWord, watchSignals, yieldToSignals } from '../train/loop.js';
import { alive } from '../train/runDir.js';
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
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      // A run killed mid-write can leave a partial last line; any other bad line is an error.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim()))
        throw new UsageError(`${file}: line ${i + 1} is not JSON`);
      return;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      throw new UsageError(`${file}: line ${i + 1} is not a metrics row (an object)`);
    rows.push(row as MetricRow);
  });
  return rows;
}

/** A JSON file that must hold an object, its problems in plain words. */
function readJsonObject(file: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonText(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`'${file}' ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`'${file}' does not hold ${what}: it is not a JSON object`);
  return value as Record<string, unknown>;
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
 * Writes a picture whole or not at all (a temporary name renamed into place); a temporary that a
 * killed process left beside it is removed (one of a process still drawing is left alone).
 */
function writePicture(file: string, svg: string): void {
  const folder = dirname(file);
  const prefix = `${basename(file)}.tmp-`;
  for (const name of readdirSync(folder)) {
    const pid = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    if (/^\d+$/.test(pid) && Number(pid) !== process.pid && !alive(Number(pid)))
      rmSync(join(folder, name), { force: true });
  }
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, svg);
  renameSync(tmp, file);
}

/**
 * Writes training.svg (from metrics.jsonl) and steps.svg (from eval.json, sampler runs) into
 * `outDir` (default: the run directory); returns the files written. `pause` runs before each
 * picture (a signal may stop the drawing there).
 */
export async function writeRunPlots(
  dir: string,
  outDir = dir,
  pause: () => Promise<void> = async () => {},
): Promise<string[]> {
  const written: string[] = [];
  const training = trainingSpec(readMetrics(dir));
  if (training) {
    const file = join(outDir, 'training.svg');
    await pause();
    writePicture(file, await toSvg(training));
    written.push(file);
  }
  const evalFile = join(dir, 'eval.json');
  if (existsSync(evalFile)) {
    const evaluation = readJsonObject(evalFile, 'the evaluation');
    const steps = stepsSpec(evaluation);
    if (steps) {
      const file = join(outDir, 'steps.svg');
      await pause();
      writePicture(file, await toSvg(steps));
      written.push(file);
    }
  }
  return written;
}

/**
 * The pictures a training command leaves in its run directory when it finishes. A picture that
 * cannot be drawn costs one warning line, never the run; SIGINT or SIGTERM stops the drawing
 * between pictures (Interrupted), the run itself being complete.
 */
export async function plotRun(dir: string): Promise<void> {
  const signals = watchSignals();
  const pause = async () => {
    await yieldToSignals();
    if (signals.requested())
      throw new Interrupted(
        `interrupted while drawing the pictures; the run itself is complete; draw them with: anneal plot ${shellWord(dir)}`,
      );
  };
  try {
    await writeRunPlots(dir, dir, pause);
  } catch (error) {
    if (error instanceof Interrupted) throw error;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stderr.write(`anneal: warning: no pictures written (${message})\n`);
  } finally {
    signals.stop();
  }
}

/** `anneal plot FILE.json`: the tempering picture of a saved `anneal logz --json` (auto) report. */
async function plotReport(file: string, out?: string): Promise<void> {
  const report = readJsonObject(file, 'a saved report (the output of `anneal logz --json`)');
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
