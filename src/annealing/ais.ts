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
import { stepSub, type StepValue, type TransitionKernel } from './kernels/kernel.js';
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
  /** Inverse temperatures beta_0 = 0 .. beta_K = 1: numbers, or a [K+1] tensor when learned. */
  betas: readonly number[] | Tensor1D;
  particles: number;
  rng: Rng;
  /**
   * Per-step ESS, running log Z and acceptance, read back once at the end (default true). Off for
   * training, where the chain runs under a gradient tape and only the weights matter.
   */
  diagnostics?: boolean;
  /** Throw NonFiniteWeightsError on NaN/+Inf log-weights (default true; needs diagnostics). */
  checkFinite?: boolean;
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
  const wantDiagnostics = options.diagnostics ?? true;
  const learnedBetas = !Array.isArray(options.betas);
  const betaValues: StepValue[] = learnedBetas
    ? tf.unstack(options.betas as Tensor1D).map((b) => b as Scalar)
    : checkSchedule(options.betas as readonly number[]);
  const hostBetas = learnedBetas ? null : (betaValues as number[]);
  const steps = betaValues.length - 1;
  if (!Number.isInteger(particles) || particles < 1) {
    throw new RangeError(`particles must be a positive integer, got ${particles}`);
  }

  let state: ParticleState = tf.tidy(() => path.evaluate(path.initial.sample(particles, rng)));
  if (kernel.init) state = kernel.init(state, rng);
  let logW = tf.zeros([particles]) as Tensor1D;
  const diagnostics: Tensor[] = [];
  try {
    for (let k = 1; k <= steps; k++) {
      const beta = betaValues[k] as StepValue;
      const betaPrev = betaValues[k - 1] as StepValue;
      const current = state;
      // AIS increment log gamma_k(z) - log gamma_{k-1}(z) = (beta_k - beta_{k-1})(log pi - log q).
      const incremented = tf.tidy(
        () =>
          tf.add(
            logW,
            tf.mul(stepSub(beta, betaPrev), tf.sub(current.logTarget, current.logInitial)),
          ) as Tensor1D,
      );
      const step = kernel.step(state, { path, step: k, steps, beta }, rng);
      const { state: next, logCorrection, acceptance } = step;
      const newLogW = logCorrection ? tf.add(incremented, logCorrection) : incremented;
      if (logCorrection) {
        incremented.dispose();
        logCorrection.dispose();
      }
      if (wantDiagnostics) diagnostics.push(stepDiagnostics(newLogW as Tensor1D, acceptance));
      acceptance?.dispose();
      disposeState(state);
      logW.dispose();
      state = next;
      logW = newLogW as Tensor1D;
      options.onStep?.(k, steps);
    }
    if (wantDiagnostics) {
      const betasForTable = hostBetas ?? readBetas(betaValues as Scalar[]);
      const table = readDiagnostics(diagnostics, betasForTable);
      if (options.checkFinite ?? true) checkFinite(logW, table);
      const z = state.z.clone();
      return { z, logW, perStep: table.perStep };
    }
    return { z: state.z.clone(), logW, perStep: [] };
  } catch (error) {
    logW.dispose();
    throw error;
  } finally {
    disposeState(state);
    for (const d of diagnostics) d.dispose();
    if (learnedBetas) for (const b of betaValues) (b as Scalar).dispose();
  }
}

function readBetas(betas: Scalar[]): number[] {
  const stacked = tf.stack(betas);
  const values = Array.from(stacked.dataSync());
  stacked.dispose();
  return values;
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
