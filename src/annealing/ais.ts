import {
  tf,
  essFraction,
  fusedAvailable,
  fusedAisUpdate,
  nativeOpsAvailable,
  fusedWeightStats,
  logMeanExp,
  stopGradient,
  type Rng,
  type Scalar,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
  type Tensor3D,
} from '../engine/index.js';
import {
  stepSub,
  type FusedKernelSpec,
  type StepValue,
  type TransitionKernel,
} from './kernels/kernel.js';
import { disposeState, type AnnealingPath, type ParticleState } from './path.js';
import { checkSchedule } from './schedule.js';
import { resampleParticles } from './resampleParticles.js';
import { resamples, validateResampling, type ResamplingOptions } from './resampling.js';
import {
  NO_ACCEPTANCE,
  NonFiniteWeightsError,
  checkFinite,
  diagnosticTable,
  type DiagnosticTable,
  type StepDiagnostics,
} from './diagnostics.js';
import { runFusedAis } from './fusedChain.js';

export { NonFiniteWeightsError, type StepDiagnostics };
export { divergences } from './diagnostics.js';

export interface AnnealedResult {
  /** Final particles [N, dim]. */
  z: Tensor2D;
  /**
   * Log importance weights [N]; log Z estimate = logMeanExp(logW), ELBO = mean(logW). For SMC,
   * each system's running log-normalizer is folded in, so logMeanExp over a system of N particles
   * is that system's SMC estimate of log Z, and over all particles the mean of their estimates.
   */
  logW: Tensor1D;
  perStep: StepDiagnostics[];
  /**
   * With `trace`: the particles before step 1 and after every step, [K+1, N, dim] (after SMC
   * resampling, rows follow their ancestors). Owned by the caller.
   */
  trace?: Tensor3D;
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
  /**
   * Sequential Monte Carlo: resample inside the chain (absent or scheme 'none': plain AIS). With a
   * Metropolis-corrected kernel a step reweights, resamples, then moves; with ULA/UHA-type kernels,
   * whose weight needs the move, it reweights, moves, then resamples. No resampling after step K.
   */
  resampling?: ResamplingOptions;
  /**
   * Starting particles [particles, dim] in place of draws from the initial distribution (owned by
   * the caller). With `reverse`, these are exact draws from the target (BDMC's reverse chain).
   */
  start?: Tensor2D;
  /**
   * Run the schedule backwards, from beta = 1 to 0 (fixed schedules only): the weights then
   * estimate Z_0 / Z_1, and minus their log-mean-exp is a stochastic upper bound on log Z when
   * the chain starts from exact target draws (bidirectional Monte Carlo, Grosse et al. 2015).
   */
  reverse?: boolean;
  /**
   * Keep a copy of the particles at every step and return them stacked as `trace` (for pictures
   * of the chain; costs K+1 copies of the particles, no host round-trip).
   */
  trace?: boolean;
}

/**
 * Annealed importance sampling. Each step adds the AIS increment log gamma_k(z) - log gamma_{k-1}(z),
 * moves particles with a kernel targeting gamma_k and adds the kernel's correction (zero for MH
 * kernels). After step k the weights are importance weights for gamma_k, so the running log Z and
 * ESS are meaningful at every step. Nothing is read back to the host until the end.
 */
export function runAis(options: AisOptions): AnnealedResult {
  return runAisCore(options, false);
}

/**
 * runAis with its one host read (the per-step diagnostics) awaited instead of synchronous: the
 * same result, and the way to run a chain on backends that cannot read GPU memory synchronously
 * (webgpu).
 */
export async function runAisAsync(options: AisOptions): Promise<AnnealedResult> {
  const r = runAisCore(options, true);
  const p = r.pending;
  if (!p) return r;
  try {
    const values = (await p.stacked.data()) as Float32Array;
    const betas = Array.isArray(p.betas) ? p.betas : Array.from(await p.betas.data());
    const table = diagnosticTable(values, betas, p.groupSize, p.smc);
    if (p.checkFinite) checkFinite(r.logW, table);
    return { z: r.z, logW: r.logW, perStep: table.perStep, ...(r.trace ? { trace: r.trace } : {}) };
  } catch (error) {
    tf.dispose([r.z, r.logW, ...(r.trace ? [r.trace] : [])]);
    throw error;
  } finally {
    p.stacked.dispose();
    if (!Array.isArray(p.betas)) p.betas.dispose();
  }
}

/** Diagnostics computed on the device and not yet read (runAisAsync). */
interface PendingReadings {
  stacked: Tensor;
  betas: number[] | Tensor;
  groupSize: number;
  smc: boolean;
  checkFinite: boolean;
}

function runAisCore(
  options: AisOptions,
  deferReadings: boolean,
): AnnealedResult & { pending?: PendingReadings } {
  const { path, kernel, rng, particles } = options;
  const wantDiagnostics = options.diagnostics ?? true;
  const learnedBetas = !Array.isArray(options.betas);
  if (options.reverse && learnedBetas) {
    throw new RangeError('a reversed chain needs a fixed schedule of numbers');
  }
  const betaValues: StepValue[] = learnedBetas
    ? tf.unstack(options.betas as Tensor1D).map((b) => b as Scalar)
    : checkSchedule(options.betas as readonly number[]);
  if (options.reverse) betaValues.reverse();
  const hostBetas = learnedBetas ? null : (betaValues as number[]);
  const steps = betaValues.length - 1;
  if (!Number.isInteger(particles) || particles < 1) {
    throw new RangeError(`particles must be a positive integer, got ${particles}`);
  }

  const smc =
    options.resampling && resamples(options.resampling.scheme) ? options.resampling : null;
  // Without resampling a group size only changes the diagnostics: ESS per system of N particles
  // (DAIS's view of a batch of independent importance samplers).
  const groupSize = options.resampling
    ? validateResampling(options.resampling, particles)
    : particles;
  const groups = particles / groupSize;

  const start = options.start;
  if (start && (start.shape[0] !== particles || start.shape[1] !== path.target.dim)) {
    throw new RangeError(
      `start particles have shape [${start.shape.join(', ')}], expected [${particles}, ${path.target.dim}]`,
    );
  }
  // Fixed-kernel AIS on a path the native code knows runs as fused native chains.
  const fusedPath = !smc && !options.trace && kernel.fused ? path.fused() : null;
  if (fusedPath) {
    try {
      return runFusedAis({
        path,
        fusedPath,
        kernel: kernel as TransitionKernel & { fused: FusedKernelSpec },
        betas: hostBetas ?? readBetas(betaValues as Scalar[]),
        particles,
        rng,
        start,
        groupSize,
        diagnostics: wantDiagnostics,
        checkFinite: options.checkFinite ?? true,
        onStep: options.onStep,
      });
    } finally {
      if (learnedBetas) for (const b of betaValues) (b as Scalar).dispose();
    }
  }
  let state: ParticleState = tf.tidy(() =>
    path.evaluate(start ? start.clone() : path.initial.sample(particles, rng)),
  );
  if (kernel.init) state = kernel.init(state, rng);
  const frames: Tensor2D[] = options.trace ? [tf.tidy(() => stopGradient(state.z))] : [];
  let logW = tf.zeros([particles]) as Tensor1D;
  let logZAcc: Tensor1D | null = smc ? (tf.zeros([groups]) as Tensor1D) : null;
  const diagnostics: Tensor[] = [];
  // SMC resampling of (state, logW) in place; returns this step's [ESS fraction, resampled] readings.
  const resample = (): Tensor => {
    const r = resampleParticles(
      state,
      logW,
      logZAcc as Tensor1D,
      smc as ResamplingOptions,
      groupSize,
      rng,
      (z) => path.evaluate(z),
    );
    disposeState(state);
    logW.dispose();
    (logZAcc as Tensor1D).dispose();
    state = r.state;
    logW = r.logW;
    logZAcc = r.logZAcc;
    const reading = tf.tidy(() => tf.stack([tf.mean(r.essFraction), tf.mean(r.resampled)]));
    r.essFraction.dispose();
    r.resampled.dispose();
    return reading;
  };
  try {
    for (let k = 1; k <= steps; k++) {
      const beta = betaValues[k] as StepValue;
      const betaPrev = betaValues[k - 1] as StepValue;
      const current = state;
      // AIS increment log gamma_k(z) - log gamma_{k-1}(z) = (beta_k - beta_{k-1})(log pi - log q).
      // Without resampling between the two, the increment and the kernel's correction are one
      // native kernel after the move.
      const increment = () =>
        tf.mul(stepSub(beta, betaPrev), tf.sub(current.logTarget, current.logInitial));
      const fuseUpdate = smc === null && nativeOpsAvailable();
      if (!fuseUpdate) {
        const incremented = tf.tidy(() => tf.add(logW, increment()) as Tensor1D);
        logW.dispose();
        logW = incremented;
      }
      const resampleNow = smc !== null && k < steps;
      let smcReading: Tensor | null = null;
      if (resampleNow && kernel.invariant) smcReading = resample();
      const step = kernel.step(state, { path, step: k, steps, beta }, rng);
      const { state: next, logCorrection, acceptance } = step;
      const diverged = step.diverged ?? null;
      if (fuseUpdate) {
        const updated = tf.tidy(
          () =>
            (logCorrection
              ? fusedAisUpdate(
                  logW,
                  stepSub(beta, betaPrev),
                  current.logTarget,
                  current.logInitial,
                  logCorrection,
                )
              : tf.add(logW, increment())) as Tensor1D,
        );
        logW.dispose();
        logCorrection?.dispose();
        logW = updated;
      } else if (logCorrection) {
        const corrected = tf.add(logW, logCorrection) as Tensor1D;
        logW.dispose();
        logCorrection.dispose();
        logW = corrected;
      }
      disposeState(state);
      state = next;
      if (resampleNow && !kernel.invariant) smcReading = resample();
      if (wantDiagnostics) {
        diagnostics.push(
          stepDiagnostics(logW, logZAcc, groupSize, acceptance, diverged, smcReading, smc !== null),
        );
      }
      smcReading?.dispose();
      acceptance?.dispose();
      diverged?.dispose();
      if (options.trace) frames.push(tf.tidy(() => stopGradient(state.z)));
      options.onStep?.(k, steps);
    }
    // Fold each system's running log-normalizer into its particles' weights.
    if (logZAcc) {
      const acc: Tensor1D = logZAcc;
      const folded = tf.tidy(
        () =>
          tf
            .add(tf.reshape(logW, [groups, groupSize]), tf.reshape(acc, [groups, 1]))
            .reshape([particles]) as Tensor1D,
      );
      logW.dispose();
      logW = folded;
    }
    const trace = options.trace ? { trace: tf.stack(frames) as Tensor3D } : {};
    if (wantDiagnostics && deferReadings && diagnostics.length > 0) {
      const pending: PendingReadings = {
        stacked: tf.stack(diagnostics),
        betas: hostBetas ?? tf.stack(betaValues as Scalar[]),
        groupSize,
        smc: smc !== null,
        checkFinite: options.checkFinite ?? true,
      };
      return { z: state.z.clone(), logW, perStep: [], ...trace, pending };
    }
    if (wantDiagnostics) {
      const betasForTable = hostBetas ?? readBetas(betaValues as Scalar[]);
      let table: DiagnosticTable;
      try {
        table = readDiagnostics(diagnostics, betasForTable, groupSize, smc !== null);
        if (options.checkFinite ?? true) checkFinite(logW, table);
      } catch (error) {
        trace.trace?.dispose();
        throw error;
      }
      const z = state.z.clone();
      return { z, logW, perStep: table.perStep, ...trace };
    }
    return { z: state.z.clone(), logW, perStep: [], ...trace };
  } catch (error) {
    logW.dispose();
    throw error;
  } finally {
    disposeState(state);
    (logZAcc as Tensor1D | null)?.dispose();
    for (const d of diagnostics) d.dispose();
    for (const f of frames) f.dispose();
    if (learnedBetas) for (const b of betaValues) (b as Scalar).dispose();
  }
}

/** SMC sampler: annealed importance sampling with resampling (Del Moral et al. 2006). */
export function runSmc(options: AisOptions & { resampling: ResamplingOptions }): AnnealedResult {
  return runAis(options);
}

function readBetas(betas: Scalar[]): number[] {
  const stacked = tf.stack(betas);
  const values = Array.from(stacked.dataSync());
  stacked.dispose();
  return values;
}

/**
 * One step's readings as one tensor: [ESS fraction, running log Z, acceptance or -1, count of
 * NaN/+Inf log-weights, fraction of systems resampled or -1, diverged proposals or -1].
 */
function stepDiagnostics(
  logW: Tensor1D,
  logZAcc: Tensor1D | null,
  groupSize: number,
  acceptance: Scalar | null,
  diverged: Scalar | null,
  smcReading: Tensor | null,
  smc: boolean,
): Tensor {
  const mh = acceptance ? { acceptance, diverged: diverged ?? tf.scalar(0) } : null;
  if (!smc && fusedAvailable()) {
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

function readDiagnostics(
  diagnostics: Tensor[],
  betas: number[],
  groupSize: number,
  smc: boolean,
): DiagnosticTable {
  if (diagnostics.length === 0) return { perStep: [], nonFinite: [] };
  const stacked = tf.stack(diagnostics);
  const values = stacked.dataSync() as Float32Array; // the chain's one host round-trip
  stacked.dispose();
  return diagnosticTable(values, betas, groupSize, smc);
}
