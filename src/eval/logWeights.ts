import { essCountHost, logMeanExpHost } from '../engine/index.js';

export interface LogWeightSummary {
  /** Number of particles. */
  n: number;
  /** log Z estimate: logMeanExp(logW) over all particles. */
  logZ: number;
  /**
   * Standard error of logZ by the delta method on Z-hat: over the particles, sd(w) / (sqrt(n)
   * mean(w)), where they are independent (no resampling); else over the batches (each one SMC
   * system or more), sd(batch Z-hat) / (sqrt(batches) mean(batch Z-hat)). With two or more batches,
   * never below the spread of their log Z, sd(batch log Z) / sqrt(batches) (the delta method
   * tops out near 1 where one draw carries the estimate). Null with one batch of dependent
   * particles.
   */
  logZStdErr: number | null;
  /** What logZStdErr was computed over: 'particles' (independent) or 'batches'. */
  logZStdErrOver: 'particles' | 'batches';
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
   * Whether logZStdErr can be trusted as far as the run can tell (stdErrUnreliableReason): enough
   * effective particles (with few, a handful carry the estimate and every spread misstates the
   * error), and, for a standard error over batches, at least RELIABLE_BATCHES of them (with fewer,
   * the standard error is itself too uncertain to say how far off log Z is).
   * No run can see mass its particles never reached: see docs/guide.md on error bars.
   */
  logZStdErrReliable: boolean;
}

/** Effective particles per batch below which a batch standard error of log Z is unreliable. */
export const RELIABLE_ESS_PER_BATCH = 10;
/**
 * Batches below which a standard error over batches is too uncertain to use: from b batches its
 * relative error is about 1 / sqrt(2 (b - 1)), 35% at 5.
 */
export const RELIABLE_BATCHES = 5;

/** Effective particles below which a standard error over independent particles is unreliable. */
export const RELIABLE_ESS = 100;

/** Whether a standard error from `batches` batches rests on enough effective particles. */
export function stdErrReliable(essCount: number, batches: number): boolean {
  return essCount >= RELIABLE_ESS_PER_BATCH * batches;
}

/**
 * Why a standard error of log Z cannot be trusted, in words ('5.2 effective particles, fewer than
 * 100'), or null when the run has nothing against it: a few particles carrying the estimate, or
 * too few batches for a spread over batches to say how far off it is.
 */
export function stdErrUnreliableReason(r: {
  essCount: number;
  batches: number;
  logZStdErrOver?: 'particles' | 'batches';
}): string | null {
  if ((r.logZStdErrOver ?? 'batches') === 'particles')
    return r.essCount >= RELIABLE_ESS
      ? null
      : `${r.essCount.toFixed(1)} effective particles, fewer than ${RELIABLE_ESS}`;
  if (!stdErrReliable(r.essCount, r.batches))
    return `${r.essCount.toFixed(1)} effective particles for ${r.batches} batches, fewer than ${RELIABLE_ESS_PER_BATCH} per batch`;
  if (r.batches < RELIABLE_BATCHES)
    return `${r.batches} independent batches, fewer than ${RELIABLE_BATCHES}`;
  return null;
}

/**
 * The standard error of log(mean of Z-hat) over independent estimates given as log Z-hat values
 * (particles' log-weights, batches' or systems' log Z), by the delta method on Z-hat itself:
 * sd(Z-hat) / (sqrt(S) mean(Z-hat)). Where a few estimates are far above the rest (heavy tails)
 * this is larger, as it should be, than the spread of the logs would say. Null below two.
 */
export function stdErrOf(logZs: ArrayLike<number>): number | null {
  const s = logZs.length;
  if (s < 2) return null;
  let top = -Infinity;
  for (let i = 0; i < s; i++) top = Math.max(top, logZs[i] as number);
  if (!Number.isFinite(top)) return null;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < s; i++) {
    const w = Math.exp((logZs[i] as number) - top);
    sum += w;
    sumSq += w * w;
  }
  const mean = sum / s;
  const variance = Math.max(0, (sumSq - s * mean * mean) / (s - 1));
  return Math.sqrt(variance / s) / mean;
}

/** sd(batch log Z) / sqrt(batches): the spread of the logs; null below two batches. */
export function logSpreadStdErr(estimates: readonly number[]): number | null {
  const b = estimates.length;
  if (b < 2) return null;
  const mean = estimates.reduce((a, v) => a + v, 0) / b;
  return Math.sqrt(estimates.reduce((a, v) => a + (v - mean) ** 2, 0) / (b - 1) / b);
}

export interface SummarizeOptions {
  /**
   * The particles are independent draws (no resampling): the standard error is then over all of
   * them, which is steadier than over a few batches. Default false (over batches).
   */
  independent?: boolean;
}

/**
 * Summarizes log importance weights in float64 on the host. Contiguous groups of `batches` are
 * independent (each its own stream, whole SMC systems), so their log Z estimates are independent:
 * their spread gives the standard error of the pooled estimate, and paired comparisons difference
 * them. Independent particles (`independent`) give it over all particles instead.
 */
export function summarizeLogWeights(
  logW: ArrayLike<number>,
  batches = 10,
  options: SummarizeOptions = {},
): LogWeightSummary {
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

  const estimates: number[] = [];
  if (b >= 2) {
    const size = Math.floor(n / b);
    for (let j = 0; j < b; j++) {
      const slice = Array.prototype.slice.call(logW, j * size, (j + 1) * size) as number[];
      estimates.push(logMeanExpHost(slice));
    }
  }
  const independent = options.independent ?? false;
  const delta = independent ? stdErrOf(logW) : stdErrOf(estimates);
  // The delta method tops out near 1 nat where one draw or batch carries the estimate, while the
  // batches' log Z may then lie tens of nats apart: the larger of the two says so.
  const spread = logSpreadStdErr(estimates);
  const logZStdErr = delta === null ? spread : Math.max(delta, spread ?? 0);
  const ess = essCountHost(logW);
  const over = independent ? 'particles' : 'batches';
  return {
    n,
    logZ,
    logZStdErr,
    logZStdErrOver: over,
    elbo,
    elboStdErr,
    essFraction: ess / n,
    essCount: ess,
    batches: b,
    batchLogZ: estimates,
    logZStdErrReliable:
      logZStdErr !== null &&
      stdErrUnreliableReason({ essCount: ess, batches: b, logZStdErrOver: over }) === null,
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
