// How every command prints a log Z estimate with its standard error: what the error is computed
// over, and the reason when it cannot be trusted (too few effective particles, or too few batches;
// see LogWeightSummary.logZStdErrReliable).
import { stdErrUnreliableReason } from '../eval/logWeights.js';

export interface LogZReading {
  logZ: number;
  logZStdErr: number | null;
  essCount: number;
  batches: number;
  logZStdErrReliable: boolean;
  /** Default 'batches'. */
  logZStdErrOver?: 'particles' | 'batches';
}

/** "logZ ± se (how)", with the reason when the standard error is unreliable. */
export function logZText(e: LogZReading, how: string): string {
  const se = e.logZStdErr === null ? 'n/a' : e.logZStdErr.toFixed(4);
  const why = e.logZStdErr !== null && !e.logZStdErrReliable ? stdErrUnreliableReason(e) : null;
  return `${e.logZ.toFixed(4)} ± ${se} (${how}${why ? `; unreliable: ${why}` : ''})`;
}

/** What a fixed sampler's standard error is computed over, in words. */
export function stdErrHow(e: LogZReading & { n: number }): string {
  if (e.logZStdErrOver === 'particles') return `standard error over ${e.n} independent particles`;
  return e.batches > 1
    ? `standard error over ${e.batches} independent batches`
    : 'one batch, so no standard error: use a particle count with a divisor up to 10, or --batches';
}

/** The fields every --json output adds beside logZ and logZStdErr. */
export function logZJson(e: LogZReading): {
  essCount: number;
  logZStdErrReliable: boolean;
  logZStdErrOver: 'particles' | 'batches';
} {
  return {
    essCount: e.essCount,
    logZStdErrReliable: e.logZStdErrReliable,
    logZStdErrOver: e.logZStdErrOver ?? 'batches',
  };
}
