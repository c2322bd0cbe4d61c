// `anneal logz --samples FILE`: the final particles of any sampler, as CSV (z1..zd, logW), JSON
// ({ dim, count, z, logW }), or, for a name ending in .arviz.json, equal-weight draws in the layout
// ArviZ loads without custom code (eval/posterior.ts). Written to a temporary file first, so that
// a failed write never leaves half a file where the user looks.
import { renameSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Rng } from '../engine/index.js';
import { arvizDict } from '../eval/posterior.js';
import type { WeightedParticles } from '../eval/logZEstimate.js';
import { UsageError } from './errors.js';

type SamplesFormat = 'csv' | 'json' | 'arviz';

function formatOf(file: string): SamplesFormat | null {
  const lower = file.toLowerCase();
  if (lower.endsWith('.arviz.json')) return 'arviz';
  const ext = extname(lower);
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : null;
}

/** Refuses, before the run, a file name whose format is not known. */
export function checkSamplesPath(file: string): void {
  if (formatOf(file) === null)
    throw new UsageError(
      `--samples '${file}': give a file ending in .csv, .json or .arviz.json (equal-weight draws for ArviZ)`,
    );
}

/**
 * Writes the samples. The ArviZ layout resamples to equal weights with a stream of its own: the
 * seed's stream after the `used` children the run drew from it, so no run stream is reused.
 */
export function writeSamples(
  file: string,
  s: WeightedParticles,
  stream: { seed: number; used: number },
): void {
  const format = formatOf(file);
  let text: string;
  if (format === 'csv') {
    const rows = [[...Array.from({ length: s.dim }, (_, j) => `z${j + 1}`), 'logW'].join(',')];
    for (let i = 0; i < s.count; i++) {
      const z = Array.from(s.z.subarray(i * s.dim, (i + 1) * s.dim));
      rows.push([...z, s.logW[i] as number].join(','));
    }
    text = `${rows.join('\n')}\n`;
  } else if (format === 'json') {
    const z = Array.from({ length: s.count }, (_, i) =>
      Array.from(s.z.subarray(i * s.dim, (i + 1) * s.dim)),
    );
    text = `${JSON.stringify({ dim: s.dim, count: s.count, z, logW: Array.from(s.logW) })}\n`;
  } else {
    const rng = Rng.fromSeed(stream.seed);
    rng.split(stream.used);
    const [resampling] = rng.split(1);
    text = `${JSON.stringify(arvizDict(s, resampling))}\n`;
  }
  const tmp = `${file}.partial`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (error) {
    throw new UsageError(
      `--samples '${file}': cannot write it (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    );
  }
}
