import {
  tf,
  essFraction,
  logMeanExp,
  type Rng,
  type Scalar,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import type { TransitionKernel } from './kernels/kernel.js';
import { disposeState, type AnnealingPath, type ParticleState } from './path.js';
import { checkSchedule } from './schedule.js';

export interface StepDiagnostics {
  /** Step index 1..K. */
  step: number;
  beta: number;
  /** Reverse ESS of the weights after this step, as a fraction of N. */
  essFraction: number;
  /** Running log Z estimate of gamma_k: logMeanExp of the weights after this step. */
  logZ: number;
  /** Mean MH acceptance probability (MH-corrected kernels only). */
  acceptance: number | null;
}

export interface AnnealedResult {
  /** Final particles [N, dim]. */
  z: Tensor2D;
  /** Log importance weights [N]; log Z estimate = logMeanExp(logW), ELBO = mean(logW). */
  logW: Tensor1D;
  perStep: StepDiagnostics[];
}

export interface AisOptions {
  path: AnnealingPath;
  kernel: TransitionKernel;
  /** Inverse temperatures beta_0 = 0 .. beta_K = 1. */
  betas: readonly number[];
  particles: number;
  rng: Rng;
  /** Called on the host after each step is queued (no device sync), e.g. for a progress bar. */
  onStep?: (step: number, steps: number) => void;
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

/**
 * Annealed importance sampling. Each step adds the AIS increment log gamma_k(z) - log gamma_{k-1}(z),
 * moves particles with a kernel targeting gamma_k and adds the kernel's correction (zero for MH
 * kernels). After step k the weights are importance weights for gamma_k, so the running log Z and
 * ESS are meaningful at every step. Nothing is read back to the host until the end.
 */
export function runAis(options: AisOptions): AnnealedResult {
  const { path, kernel, rng, particles } = options;
  const betas = checkSchedule(options.betas);
  const steps = betas.length - 1;
  if (!Number.isInteger(particles) || particles < 1) {
    throw new RangeError(`particles must be a positive integer, got ${particles}`);
  }

  let state: ParticleState = tf.tidy(() => path.evaluate(path.initial.sample(particles, rng)));
  let logW = tf.zeros([particles]) as Tensor1D;
  const diagnostics: Tensor[] = [];
  try {
    for (let k = 1; k <= steps; k++) {
      const beta = betas[k] as number;
      const dBeta = beta - (betas[k - 1] as number);
      const current = state;
      const incremented = tf.tidy(
        () =>
          tf.add(logW, tf.mul(dBeta, tf.sub(current.logTarget, current.logInitial))) as Tensor1D,
      );
      const {
        state: next,
        logCorrection,
        acceptance,
      } = kernel.step(state, { path, step: k, beta }, rng);
      const newLogW = logCorrection ? tf.add(incremented, logCorrection) : incremented;
      if (logCorrection) {
        incremented.dispose();
        logCorrection.dispose();
      }
      diagnostics.push(stepDiagnostics(newLogW as Tensor1D, acceptance));
      acceptance?.dispose();
      disposeState(state);
      logW.dispose();
      state = next;
      logW = newLogW as Tensor1D;
      options.onStep?.(k, steps);
    }
    const table = readDiagnostics(diagnostics, betas);
    checkFinite(logW, table);
    const z = state.z.clone();
    return { z, logW, perStep: table.perStep };
  } catch (error) {
    logW.dispose();
    throw error;
  } finally {
    disposeState(state);
    for (const d of diagnostics) d.dispose();
  }
}

const NO_ACCEPTANCE = -1;

/** [essFraction, running logZ, acceptance or -1, count of NaN/+Inf log-weights] as one tensor. */
function stepDiagnostics(logW: Tensor1D, acceptance: Scalar | null): Tensor {
  return tf.tidy(() => {
    const bad = tf.logicalOr(tf.isNaN(logW), tf.equal(logW, Infinity));
    return tf.stack([
      essFraction(logW),
      logMeanExp(logW),
      acceptance ?? tf.scalar(NO_ACCEPTANCE),
      tf.sum(tf.cast(bad, 'float32')),
    ]);
  });
}

interface DiagnosticTable {
  perStep: StepDiagnostics[];
  nonFinite: number[];
}

function readDiagnostics(diagnostics: Tensor[], betas: number[]): DiagnosticTable {
  if (diagnostics.length === 0) return { perStep: [], nonFinite: [] };
  const stacked = tf.stack(diagnostics);
  const values = stacked.dataSync() as Float32Array; // the chain's one host round-trip
  stacked.dispose();
  const perStep: StepDiagnostics[] = [];
  const nonFinite: number[] = [];
  for (let i = 0; i < diagnostics.length; i++) {
    const acc = values[4 * i + 2] as number;
    perStep.push({
      step: i + 1,
      beta: betas[i + 1] as number,
      essFraction: values[4 * i] as number,
      logZ: values[4 * i + 1] as number,
      acceptance: acc === NO_ACCEPTANCE ? null : acc,
    });
    nonFinite.push(values[4 * i + 3] as number);
  }
  return { perStep, nonFinite };
}

function checkFinite(logW: Tensor1D, table: DiagnosticTable): void {
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
