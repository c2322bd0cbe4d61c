// The log Bayes factor of two models from their log Z estimates, with an error bar that is right
// both when the runs are independent and when they are paired. Two runs made with the same seed
// (the same batches' random streams) share their random numbers, so their batch estimates move
// together: the variances of independent runs would add, overstating the error of the difference
// several times over. Paired, the error comes from the spread of the batch-by-batch differences.
import type { LogWeightSummary } from './logWeights.js';

/** What a comparison reads of each run: its log Z, standard error and batch estimates. */
export type EvidenceReading = Pick<LogWeightSummary, 'logZ' | 'logZStdErr' | 'batchLogZ'>;

export interface BayesFactor {
  /** log Z of the first model minus log Z of the second. */
  logBayesFactor: number;
  /** Its standard error (null where a run has none). */
  stdErr: number | null;
  paired: boolean;
  /** Paired: the number of batch differences; independent: null. */
  batches: number | null;
  /** Paired: the correlation of the two runs' batch estimates; independent: null. */
  correlation: number | null;
}

export class BayesFactorError extends Error {
  override name = 'BayesFactorError';
}

/**
 * log Z_a - log Z_b with its standard error. `paired: true` for runs that used the same seed and
 * batch layout (each batch of one run drew the same random numbers as its partner): the error is
 * then sd(batch differences) / sqrt(batches). Otherwise the runs are independent and the variances
 * add. A paired comparison of runs whose batch counts differ is refused.
 */
export function logBayesFactor(
  a: EvidenceReading,
  b: EvidenceReading,
  options: { paired?: boolean } = {},
): BayesFactor {
  const value = a.logZ - b.logZ;
  if (!Number.isFinite(value))
    throw new BayesFactorError(
      `log Bayes factor: the log Z estimates are not finite (${a.logZ}, ${b.logZ})`,
    );
  if (!options.paired) {
    const stdErr =
      a.logZStdErr === null || b.logZStdErr === null
        ? null
        : Math.sqrt(a.logZStdErr ** 2 + b.logZStdErr ** 2);
    return { logBayesFactor: value, stdErr, paired: false, batches: null, correlation: null };
  }
  const n = a.batchLogZ.length;
  if (n < 2 || b.batchLogZ.length !== n)
    throw new BayesFactorError(
      `log Bayes factor: a paired comparison needs two runs with the same number of batches (at least 2), got ${n} and ${b.batchLogZ.length}`,
    );
  const d = a.batchLogZ.map((v, j) => v - (b.batchLogZ[j] as number));
  const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const dm = mean(d);
  const variance = d.reduce((s, v) => s + (v - dm) ** 2, 0) / (n - 1);
  const am = mean(a.batchLogZ);
  const bm = mean(b.batchLogZ);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let j = 0; j < n; j++) {
    const x = (a.batchLogZ[j] as number) - am;
    const y = (b.batchLogZ[j] as number) - bm;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return {
    logBayesFactor: value,
    stdErr: Math.sqrt(variance / n),
    paired: true,
    batches: n,
    correlation: saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null,
  };
}
