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
  /**
   * Each batch's own log Z estimate, in batch order (empty with fewer than 2 batches): what a
   * paired comparison of two runs with the same seeds differences (logBayesFactor).
   */
  batchLogZ: number[];
  /**
   * Whether logZStdErr can be trusted: at least RELIABLE_ESS_PER_BATCH effective particles per
   * batch. With fewer, a few particles carry the estimate, every batch's log Z is dominated by
   * whether it holds one of them, and the spread over batches misstates the error.
   */
  logZStdErrReliable: boolean;
}

/** Effective particles per batch below which a batch standard error of log Z is unreliable. */
export const RELIABLE_ESS_PER_BATCH = 10;

/** Whether a batch standard error from `batches` batches rests on enough effective particles. */
export function stdErrReliable(essCount: number, batches: number): boolean {
  return essCount >= RELIABLE_ESS_PER_BATCH * batches;
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
  const estimates: number[] = [];
  if (b >= 2) {
    const size = Math.floor(n / b);
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
    batchLogZ: estimates,
    logZStdErrReliable: logZStdErr !== null && stdErrReliable(ess, b),
  };
}

/** The SMC bound: mean over independent systems of each system's log Z estimate. */
export interface SmcBound {
  value: number;
  stdErr: number | null;
  systems: number;
  particlesPerSystem: number;
}

/**
 * The SMC bound of log-weights laid out as consecutive systems of `groupSize` particles (the
 * layout runSmc returns): E[log Z-hat] <= log Z, the quantity DSMCS trains on.
 */
export function systemBound(logW: ArrayLike<number>, groupSize: number): SmcBound {
  const systems = Math.floor(logW.length / groupSize);
  if (systems < 1) throw new RangeError(`fewer than ${groupSize} log-weights`);
  const values: number[] = [];
  for (let g = 0; g < systems; g++) {
    values.push(
      logMeanExpHost(Array.prototype.slice.call(logW, g * groupSize, (g + 1) * groupSize)),
    );
  }
  const mean = values.reduce((a, b) => a + b, 0) / systems;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, systems - 1);
  return {
    value: mean,
    stdErr: systems > 1 ? Math.sqrt(variance / systems) : null,
    systems,
    particlesPerSystem: groupSize,
  };
}

/** Float32 arrays end to end (log-weights or particles of consecutive batches or systems). */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
