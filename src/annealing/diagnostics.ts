// Per-step diagnostics of an annealed chain: the readings each step records on the device (one
// row of STEP_READINGS numbers), turned into StepDiagnostics on the host after the chain, and the check
// that stops a diverged chain with the step where it diverged.
import {
  tf,
  essFraction,
  fusedAvailable,
  fusedWeightStats,
  logMeanExp,
  STEP_READINGS,
  type Scalar,
  type Tensor,
  type Tensor1D,
} from '../engine/index.js';

export interface StepDiagnostics {
  /** Step index 1..K. */
  step: number;
  beta: number;
  /**
   * Reverse ESS as a fraction of N: of the weights after this step (AIS; averaged over systems
   * when a resampling group size is given with scheme 'none'), or of each system's weights before
   * its resampling decision, averaged over systems (SMC).
   */
  essFraction: number;
  /** The same ESS as a count in [1, N] (N = particles per system). */
  essCount: number;
  /** Running log Z estimate of gamma_k after this step. */
  logZ: number;
  /** logZ minus the previous step's (0 before step 1). */
  logZIncrement: number;
  /** SMC: fraction of systems that resampled at this step (0 at the last step); null for AIS. */
  resampled: number | null;
  /** Mean MH acceptance probability (MH-corrected kernels only). */
  acceptance: number | null;
  /**
   * MH-corrected kernels: how many proposals at this step diverged (energy error above 1000, or
   * NaN where the leapfrog left the target's finite region) and so were rejected; null for other
   * kernels.
   */
  diverged: number | null;
}

/** What each per-step reading is, and what it averages over: the legend of tables and JSON. */
export const PER_STEP_MEANING: Readonly<Record<keyof StepDiagnostics, string>> = {
  step: 'step index 1..K',
  beta: 'inverse temperature after the step',
  essFraction:
    "reverse ESS as a fraction of a system's (or batch's) particles: of the weights after the step (AIS) or of each system's weights before its resampling decision (SMC), averaged over the systems",
  essCount: 'the same ESS as a count of particles per system, averaged over the systems',
  logZ: 'running log Z estimate after the step, over all particles',
  logZIncrement: "this step's log Z minus the previous step's",
  resampled: 'SMC: the fraction of systems that resampled at the step; null for AIS',
  acceptance:
    'Metropolis-corrected moves: acceptance probability averaged over the particles; null for other kernels',
  diverged:
    'Metropolis-corrected moves: proposals that diverged (energy error above 1000 or NaN) and were rejected, summed over the particles; null for other kernels',
};

/** The mean over the steps of each step's mean acceptance; null for kernels without one. */
export function meanAcceptance(perStep: readonly StepDiagnostics[]): number | null {
  const rates = perStep
    .map((s) => s.acceptance)
    .filter((a): a is number => a !== null && Number.isFinite(a));
  return rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null;
}

/** Raised when log-weights become NaN or +Infinity; names the first step where it happened. */
export class NonFiniteWeightsError extends Error {
  override name = 'NonFiniteWeightsError';
  constructor(
    message: string,
    readonly step: number,
    readonly beta: number,
    readonly count: number,
  ) {
    super(message);
  }
}

export const NO_ACCEPTANCE = -1;

export interface DiagnosticTable {
  perStep: StepDiagnostics[];
  nonFinite: number[];
}

/** The table of a chain from its readings, STEP_READINGS per step, row-major. */
export function diagnosticTable(
  values: Float32Array,
  betas: number[],
  groupSize: number,
  smc: boolean,
): DiagnosticTable {
  const steps = values.length / STEP_READINGS;
  const perStep: StepDiagnostics[] = [];
  const nonFinite: number[] = [];
  let previous = 0;
  for (let i = 0; i < steps; i++) {
    const row = (j: number) => values[STEP_READINGS * i + j] as number;
    const acc = row(2);
    const logZ = row(1);
    perStep.push({
      step: i + 1,
      beta: betas[i + 1] as number,
      essFraction: row(0),
      essCount: row(0) * groupSize,
      logZ,
      logZIncrement: logZ - previous,
      acceptance: acc === NO_ACCEPTANCE ? null : acc,
      resampled: smc ? row(4) : null,
      diverged: acc === NO_ACCEPTANCE ? null : row(5),
    });
    previous = logZ;
    nonFinite.push(row(3));
  }
  return { perStep, nonFinite };
}

/** Diverged MH proposals over a whole chain and the first step with any; null when there were none. */
export function divergences(
  perStep: readonly StepDiagnostics[],
): { count: number; firstStep: number; steps: number } | null {
  let count = 0;
  let firstStep = 0;
  for (const s of perStep) {
    if (!s.diverged) continue;
    count += s.diverged;
    if (firstStep === 0) firstStep = s.step;
  }
  return count > 0 ? { count, firstStep, steps: perStep.length } : null;
}

/** Throws NonFiniteWeightsError naming the first step with NaN or +Inf log-weights. */
export function checkFinite(logW: Tensor1D, table: DiagnosticTable): void {
  const first = table.nonFinite.findIndex((c) => c > 0);
  if (first < 0) return;
  const bad = table.perStep[first] as StepDiagnostics;
  const count = table.nonFinite[first] as number;
  throw new NonFiniteWeightsError(
    `non-finite log-weights (NaN or +Infinity) for ${count} of ${logW.shape[0]} particles, first at step ${bad.step} ` +
      `of ${table.perStep.length} (beta = ${bad.beta.toPrecision(4)}); the sampler diverged: try a smaller step size`,
    bad.step,
    bad.beta,
    count,
  );
}

/**
 * One step's readings as one tensor (STEP_READING_NAMES): [ESS fraction, running log Z, acceptance
 * or -1, count of NaN/+Inf log-weights, fraction of systems resampled or -1, diverged proposals or
 * -1]. `smcReading` is the SMC resampling's [ESS fraction, resampled] of this step, if it resampled.
 */
export function stepReadings(
  logW: Tensor1D,
  logZAcc: Tensor1D | null,
  groupSize: number,
  acceptance: Scalar | null,
  diverged: Scalar | null,
  smcReading: Tensor | null,
  smc: boolean,
): Tensor {
  if (!smc && fusedAvailable()) {
    // Made here, not above: the SMC branch below makes its own inside its scope.
    const mh = acceptance ? { acceptance, diverged: diverged ?? tf.scalar(0) } : null;
    try {
      return fusedWeightStats(logW, groupSize, mh);
    } finally {
      if (mh && mh.diverged !== diverged) mh.diverged.dispose();
    }
  }
  return tf.tidy(() => {
    const bad = tf.logicalOr(tf.isNaN(logW), tf.equal(logW, Infinity));
    let ess: Tensor;
    let resampled: Tensor;
    let logZ: Tensor;
    if (smc) {
      const groups = logW.shape[0] / groupSize;
      const perSystem = tf.add(
        tf.reshape(logW, [groups, groupSize]),
        tf.reshape(logZAcc as Tensor1D, [groups, 1]),
      );
      logZ = logMeanExp(perSystem);
      // Without a resampling decision (the last step) the ESS is that of the final weights.
      const lastEss = tf.mean(essFraction(tf.reshape(logW, [groups, groupSize])));
      ess = smcReading ? tf.squeeze(tf.slice(smcReading, [0], [1])) : lastEss;
      resampled = smcReading ? tf.squeeze(tf.slice(smcReading, [1], [1])) : tf.scalar(0);
    } else {
      const groups = logW.shape[0] / groupSize;
      ess =
        groups > 1
          ? tf.mean(essFraction(tf.reshape(logW, [groups, groupSize])))
          : essFraction(logW);
      logZ = logMeanExp(logW);
      resampled = tf.scalar(NO_ACCEPTANCE);
    }
    return tf.stack([
      ess,
      logZ,
      acceptance ?? tf.scalar(NO_ACCEPTANCE),
      tf.sum(tf.cast(bad, 'float32')),
      resampled,
      acceptance ? (diverged ?? tf.scalar(0)) : tf.scalar(NO_ACCEPTANCE),
    ]);
  });
}

/** The table of a chain from its per-step readings (the chain's one host round-trip). */
export function readDiagnostics(
  readings: Tensor[],
  betas: number[],
  groupSize: number,
  smc: boolean,
): DiagnosticTable {
  if (readings.length === 0) return { perStep: [], nonFinite: [] };
  const stacked = tf.stack(readings);
  const values = stacked.dataSync() as Float32Array;
  stacked.dispose();
  return diagnosticTable(values, betas, groupSize, smc);
}
