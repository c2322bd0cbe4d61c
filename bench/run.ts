// Benchmark runner: `npm run bench [-- --quick] [--only decoder,...] [--json]`.
// Each bench is a module returning rows; this file only selects, runs and prints them, so a new
// bench is one import and one entry in BENCHES.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { computeCeiling, describeCeiling, type BenchOptions, type BenchRow } from './common.js';
import { nativeStatus } from '../src/engine/index.js';
import { aisBench } from './ais.js';
import { decoderBench } from './decoder.js';
import { trainingBench } from './training.js';
import { dsmcsBench } from './dsmcs.js';
import { flowsBench } from './flows.js';
import { vaeBench } from './vae.js';
import { playgroundBench } from './playground.js';
import { userTargetBench } from './userTarget.js';

type Bench = (options: BenchOptions) => Promise<BenchRow[]>;

const BENCHES: Record<string, Bench> = {
  decoder: decoderBench,
  ais: aisBench,
  'user-target': userTargetBench,
  training: trainingBench,
  dsmcs: dsmcsBench,
  flows: flowsBench,
  vae: vaeBench,
  playground: playgroundBench,
};

interface RowWithRatio extends BenchRow {
  /** medianMs relative to the bench's baseline row; null when the bench has none. */
  ratio: number | null;
}

function withRatios(rows: BenchRow[]): RowWithRatio[] {
  return rows.map((row) => {
    const base = rows.find((r) => r.bench === row.bench && r.baseline);
    return { ...row, ratio: base ? row.medianMs / base.medianMs : null };
  });
}

function table(rows: RowWithRatio[]): string {
  const header = [
    'bench',
    'backend',
    'kernels',
    'workload',
    'matMul fix',
    'median ms',
    'reps',
    'ratio',
  ];
  const body = rows.map((r) => [
    r.bench,
    r.backend,
    r.kernels,
    r.workload,
    r.matMulFix,
    r.medianMs.toFixed(1),
    String(r.reps),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
  ]);
  const numeric = new Set([5, 6, 7]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => (cells[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        numeric.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
    },
  });
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length) {
    console.error(
      `unknown bench: ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`,
    );
    process.exit(2);
  }
  const selected = only.length ? only : Object.keys(BENCHES);
  const options: BenchOptions = {
    quick: values.quick,
    log: process.stderr.isTTY ? (line) => process.stderr.write(`${line}\n`) : () => {},
  };

  const meta = {
    node: process.version,
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    quick: values.quick,
    native: '',
  };
  const compute = await computeCeiling();
  const rows: BenchRow[] = [];
  for (const name of selected) rows.push(...(await (BENCHES[name] as Bench)(options)));
  meta.native = nativeStatus(); // after the benches have set the engine up
  const result = withRatios(rows);

  if (values.json) {
    console.log(JSON.stringify({ meta: { ...meta, compute }, rows: result }, null, 2));
  } else {
    console.log(
      `node ${meta.node}  ${meta.date}  ${meta.cpu} (${meta.cores} cores)  native kernels: ${meta.native}${meta.quick ? '  [quick]' : ''}`,
    );
    if (compute) console.log(describeCeiling(compute));
    console.log(table(result));
  }
}

await main();
