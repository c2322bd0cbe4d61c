// How every command prints a log Z estimate with its standard error: the error is flagged when it
// rests on too few effective particles to be trusted (see stdErrReliable).
import { RELIABLE_ESS_PER_BATCH } from '../eval/logWeights.js';

export interface LogZReading {
  logZ: number;
  logZStdErr: number | null;
  essCount: number;
  batches: number;
  logZStdErrReliable: boolean;
}

/** "logZ ± se (how)", with the reason when the standard error is unreliable. */
export function logZText(e: LogZReading, how: string): string {
  const se = e.logZStdErr === null ? 'n/a' : e.logZStdErr.toFixed(4);
  const warning =
    e.logZStdErr !== null && !e.logZStdErrReliable
      ? `; unreliable: ${e.essCount.toFixed(1)} effective particles for ${e.batches} batches, fewer than ${RELIABLE_ESS_PER_BATCH} per batch`
      : '';
  return `${e.logZ.toFixed(4)} ± ${se} (${how}${warning})`;
}

/** The fields every --json output adds beside logZ and logZStdErr. */
export function logZJson(e: LogZReading): { essCount: number; logZStdErrReliable: boolean } {
  return { essCount: e.essCount, logZStdErrReliable: e.logZStdErrReliable };
}
