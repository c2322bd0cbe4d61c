// `anneal bayes-factor A.json B.json`: the log Bayes factor of two models from two saved
// `anneal logz --json` reports, independent or (--paired) made with the same seed and batches.
import { existsSync, readFileSync } from 'node:fs';
import { BayesFactorError, logBayesFactor, type EvidenceReading } from '../eval/bayesFactor.js';
import { UsageError } from './errors.js';
import { parseJsonText } from '../io/json.js';

function readReport(file: string): EvidenceReading & { target: string; sampler: string } {
  if (!existsSync(file)) throw new UsageError(`'${file}' does not exist`);
  let raw: unknown;
  try {
    raw = parseJsonText(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `'${file}' ${(error as Error).message}; give a report saved from anneal logz --json`,
    );
  }
  const r = raw as Record<string, unknown>;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    typeof r.logZ === 'number' &&
    (r.logZStdErr === null || typeof r.logZStdErr === 'number') &&
    Array.isArray(r.batchLogZ) &&
    r.batchLogZ.every((v) => typeof v === 'number');
  if (!ok)
    throw new UsageError(
      `'${file}': not a report of anneal logz --json (it needs logZ, logZStdErr and batchLogZ)`,
    );
  return {
    logZ: r.logZ as number,
    logZStdErr: r.logZStdErr as number | null,
    batchLogZ: r.batchLogZ as number[],
    target: String(r.target),
    sampler: String(r.sampler),
  };
}

export function bayesFactorCommand(
  first: string,
  second: string,
  opts: { paired?: boolean; json?: boolean },
): void {
  const a = readReport(first);
  const b = readReport(second);
  let bf;
  try {
    bf = logBayesFactor(a, b, { paired: Boolean(opts.paired) });
  } catch (error) {
    if (error instanceof BayesFactorError) throw new UsageError(error.message);
    throw error;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ first: a.target, second: b.target, ...bf })}\n`);
    return;
  }
  const se = bf.stdErr === null ? 'n/a' : bf.stdErr.toFixed(4);
  const how = bf.paired
    ? `paired over ${bf.batches} batches, correlation ${bf.correlation === null ? 'n/a' : bf.correlation.toFixed(3)}`
    : 'independent runs';
  process.stdout.write(
    `log Bayes factor  ${bf.logBayesFactor.toFixed(4)} ± ${se} (${a.target} over ${b.target}; ${how})\n`,
  );
}
