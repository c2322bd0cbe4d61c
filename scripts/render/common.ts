// Pieces shared by the results renderers: how a run's provenance line and an estimate with its
// standard error are written.
import os from 'node:os';
import { RELIABLE_ESS_PER_BATCH } from '../../src/eval/logWeights.js';

/** Where and when a results file was made. */
export interface Generated {
  /** ISO date (or date and time) of the run. */
  date: string;
  /** CPU model and core count, as "MODEL (N cores)". */
  machine: string;
  node?: string;
  backend?: string;
  /** Cells run at once on worker threads (their timings then share the cores). */
  workers?: number;
  /** The table was run in this many shards (scripts/shards.ts), on the machines named. */
  shards?: number;
}

/** This run's provenance: now, on this machine (cells on `workers` threads, when given). */
export function generatedNow(extra: Omit<Generated, 'date' | 'machine'> = {}): Generated {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: `${cpus[0]?.model ?? 'unknown cpu'} (${cpus.length} cores)`,
    ...extra,
  };
}

/** "on MACHINE, Node ..., backend ..., DATE" (and the workers caveat), for a header line. */
export function generatedText(g: Generated): string {
  const parts = [g.shards ? `in ${g.shards} shards on ${g.machine}` : `on ${g.machine}`];
  if (g.node) parts.push(`Node ${g.node}`);
  if (g.backend) parts.push(`backend ${g.backend}`);
  parts.push(g.date.slice(0, 10));
  const shared =
    g.workers && g.workers > 1
      ? `; cells on ${g.workers} worker threads at once, so their seconds include sharing the cores`
      : '';
  return `${parts.join(', ')}${shared}`;
}

/** Mean and sample standard deviation (0 for a single value), for spreads over seeds or repeats. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd =
    xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** "x ± se", with a dagger when the standard error rests on too few effective particles. */
export function pmMarked(
  x: number,
  se: number | null,
  reliable: boolean | undefined,
  digits = 3,
): string {
  const mark = se !== null && reliable === false ? '†' : '';
  return `${x.toFixed(digits)} ± ${se === null ? 'n/a' : se.toFixed(digits)}${mark}`;
}

/** "x ± se" without a reliability mark (ELBO, bounds over systems, NLL). */
export function pm(x: number, se: number | null, digits = 3): string {
  return `${x.toFixed(digits)} ± ${se === null ? 'n/a' : se.toFixed(digits)}`;
}

/** The footnote for the dagger, or nothing when no estimate carries one. */
export function unreliableNote(marked: number, total: number, what = 'estimates'): string[] {
  if (marked === 0) return [];
  return [
    `† ${marked} of ${total} ${what} rest on fewer than ${RELIABLE_ESS_PER_BATCH} effective particles per batch: a few particles carry`,
    'the estimate, and its standard error (the spread over batches) is unreliable.',
    '',
  ];
}

/** Reads a repository file as text; lists a repository folder (what a page's rendering reads). */
export interface Files {
  read(path: string): string;
  list(dir: string): string[];
}
