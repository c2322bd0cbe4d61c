// A table script's cells dealt out over machines: `--shard i/n` runs every n-th cell (those whose
// index is i - 1 modulo n) and writes them, with the settings they were run with, to
// OUT.shard-i-of-n.json; `--merge-shards` reads every shard of OUT, checks that they were made with this
// command's settings and together hold every cell once, and hands the results back in table order,
// so the script writes its JSON and page as if it had run them all. Each cell draws only from its
// own seeded streams, so a merged table has the numbers of an unsharded run (timings aside).
// docs/cluster.md runs a table this way with Slurm or Kubernetes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { usage } from './args.js';
import { generatedNow, type Generated } from './render/common.js';

/** The flags every sharded table script takes (merge into its parseArgs options). */
export const SHARD_FLAGS = {
  shard: { type: 'string' },
  'merge-shards': { type: 'boolean', default: false },
} as const;

export interface Sharding {
  /** This process's shard (1-based) and their count, or null. */
  shard: { index: number; count: number } | null;
  merge: boolean;
  /** The output path without its extension (the script's --out). */
  out: string;
}

/** The sharding of a run from its flags; a usage error for a malformed or contradictory one. */
export function parseSharding(
  values: { shard?: string; 'merge-shards'?: boolean },
  out: string,
): Sharding {
  const merge = Boolean(values['merge-shards']);
  if (values.shard !== undefined && merge)
    usage('--shard and --merge-shards: give one (run the shards, then merge them)');
  if (values.shard === undefined) return { shard: null, merge, out };
  const m = /^(\d+)\/(\d+)$/.exec(values.shard);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    usage(`--shard: expected i/n with 1 <= i <= n (as 2/5), got '${values.shard}'`);
  return { shard: { index, count }, merge: false, out };
}

interface ShardFile<R> {
  shard: { index: number; count: number };
  /** A digest of every cell's settings: shards of one table share it. */
  cells: string;
  generated: Generated;
  results: { index: number; result: R }[];
}

const digest = (cells: unknown[]) =>
  createHash('sha256').update(JSON.stringify(cells)).digest('hex').slice(0, 16);

const shardPath = (out: string, index: number, count: number) =>
  `${out}.shard-${index}-of-${count}.json`;

/**
 * The cells' results in table order, or null where this process ran one shard (its file is
 * written; the script should stop there). `run` runs the cells it is given (in their order) and
 * may report each result as it comes (`onResult(i)`, i indexing the given cells).
 */
export async function runSharded<C, R>(
  cells: C[],
  sharding: Sharding,
  run: (cells: C[], onResult: (i: number, result: R) => void) => Promise<R[]>,
  onResult: (index: number, result: R) => void = () => {},
): Promise<{ results: R[]; generated: Generated[] } | null> {
  const fingerprint = digest(cells);
  if (sharding.merge) return mergeShards<R>(cells.length, fingerprint, sharding.out, onResult);
  if (!sharding.shard) {
    const results = await run(cells, onResult);
    return { results, generated: [] };
  }
  const { index, count } = sharding.shard;
  const mine = cells.map((_, k) => k).filter((k) => k % count === index - 1);
  const results = await run(
    mine.map((k) => cells[k] as C),
    () => {},
  );
  const file: ShardFile<R> = {
    shard: { index, count },
    cells: fingerprint,
    generated: generatedNow({ node: process.version }),
    results: results.map((result, j) => ({ index: mine[j] as number, result })),
  };
  const path = shardPath(sharding.out, index, count);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  process.stderr.write(`wrote ${path} (${mine.length} of ${cells.length} cells)\n`);
  return null;
}

function mergeShards<R>(
  total: number,
  fingerprint: string,
  out: string,
  onResult: (index: number, result: R) => void,
): { results: R[]; generated: Generated[] } {
  const folder = dirname(out);
  const prefix = `${basename(out)}.shard-`;
  const names = existsSync(folder)
    ? readdirSync(folder).filter((n) => n.startsWith(prefix) && n.endsWith('.json'))
    : [];
  if (names.length === 0) usage(`--merge-shards: no shard files ${out}.shard-I-of-N.json`);
  const files = names.map((n) => JSON.parse(readFileSync(join(folder, n), 'utf8')) as ShardFile<R>);
  const count = (files[0] as ShardFile<R>).shard.count;
  if (files.some((f) => f.shard.count !== count))
    usage(`--merge-shards: the shard files of ${out} come from runs of different shard counts`);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter(
    (i) => !files.some((f) => f.shard.index === i),
  );
  if (missing.length)
    usage(
      `--merge-shards: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} not found beside ${out}`,
    );
  if (files.some((f) => f.cells !== fingerprint))
    usage(
      '--merge-shards: the shards were run with other settings than this command has: give --merge-shards the flags the shards were run with',
    );
  const results: (R | undefined)[] = Array.from({ length: total });
  for (const f of files) for (const { index, result } of f.results) results[index] = result;
  const holes = results.flatMap((r, i) => (r === undefined ? [i] : []));
  if (holes.length) usage(`--merge-shards: cells ${holes.slice(0, 5).join(', ')} are in no shard`);
  results.forEach((r, i) => onResult(i, r as R));
  return {
    results: results as R[],
    generated: files.sort((a, b) => a.shard.index - b.shard.index).map((f) => f.generated),
  };
}

/** A merged table's provenance: the shards' machines, and how many shards. */
export function mergedGenerated(base: Generated, shards: Generated[]): Generated {
  if (shards.length === 0) return base;
  const machines = [...new Set(shards.map((g) => g.machine))];
  return { ...base, machine: machines.join(' + '), shards: shards.length };
}
