import { essCountHost, logMeanExpHost } from '../engine/index.js';

export interface LogWeightSummary {
  /** Number of particles. */
  n: number;
  /** log Z estimate: logMeanExp(logW) over all particles. */
  logZ: number;
  /** Standard error of logZ from independent batches: sd(batch logZ) / sqrt(batches); null if < 2 batches. */
  logZStdErr: number | null;
  /** Evidence lower bound: mean(logW). */
  elbo: number;
  /** Standard error of the ELBO: sd(logW) / sqrt(n). */
  elboStdErr: number | null;
  /** Reverse ESS as a fraction of n. */
  essFraction: number;
  /** Reverse ESS as a count in [1, n]. */
  essCount: number;
  batches: number;
}

/**
 * Summarizes log importance weights in float64 on the host. Particles are independent, so splitting
 * them into `batches` contiguous groups gives independent log Z estimates; the spread of those
 * estimates, divided by sqrt(batches), is the standard error of the pooled estimate (to first order).
 */
export function summarizeLogWeights(logW: ArrayLike<number>, batches = 10): LogWeightSummary {
  const n = logW.length;
  if (n === 0) throw new RangeError('no log-weights to summarize');
  const b = Math.max(1, Math.min(batches, Math.floor(n / 2)));
  const logZ = logMeanExpHost(logW);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += logW[i] as number;
  const elbo = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((logW[i] as number) - elbo) ** 2;
  const elboStdErr = n > 1 ? Math.sqrt(ss / (n - 1) / n) : null;

  let logZStdErr: number | null = null;
  if (b >= 2) {
    const size = Math.floor(n / b);
    const estimates: number[] = [];
    for (let j = 0; j < b; j++) {
      const slice = Array.prototype.slice.call(logW, j * size, (j + 1) * size) as number[];
      estimates.push(logMeanExpHost(slice));
    }
    const mean = estimates.reduce((a, v) => a + v, 0) / b;
    const variance = estimates.reduce((a, v) => a + (v - mean) ** 2, 0) / (b - 1);
    // Pooling b batches cuts the variance of the estimate by about b.
    logZStdErr = Math.sqrt(variance / b);
  }
  const ess = essCountHost(logW);
  return {
    n,
    logZ,
    logZStdErr,
    elbo,
    elboStdErr,
    essFraction: ess / n,
    essCount: ess,
    batches: b,
  };
}
