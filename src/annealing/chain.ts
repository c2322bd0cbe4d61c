// The chain driver: asks the schedule policy for each next beta and calls the step (step.ts),
// keeping what only a whole chain has: its start, the trace, the progress callback, the per-step
// readings (read back once, at the end) and the check that stops a diverged chain. Where the whole
// chain can run as fused native stretches (dispatch.ts, chainPath), it hands it to fusedChain.ts.
import {
  tf,
  stopGradient,
  type Rng,
  type Scalar,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
  type Tensor3D,
} from '../engine/index.js';
import {
  checkFinite,
  diagnosticTable,
  readDiagnostics,
  type DiagnosticTable,
  type StepDiagnostics,
} from './diagnostics.js';
import { chainPath, resolveMove } from './dispatch.js';
import { runFusedAis } from './fusedChain.js';
import { disposeState } from './path.js';
import type { AnnealedResult } from './result.js';
import type { TransitionKernel } from './kernels/kernel.js';
import type { AnnealingPath } from './path.js';
import { resamples, validateResampling, type ResamplingOptions } from './resampling.js';
import { fixedSchedule, learnedSchedule, type SchedulePolicy } from './schedulePolicy.js';
import { annealStep, disposeChainState, type ChainState } from './step.js';
import type { StepValue } from './stepValue.js';

export interface AisOptions {
  path: AnnealingPath;
  kernel: TransitionKernel;
  /**
   * Inverse temperatures beta_0 = 0 .. beta_K = 1: numbers, or a [K+1] tensor when learned. Either
   * this or `schedule`.
   */
  betas?: readonly number[] | Tensor1D;
  /**
   * Where each next beta comes from, in place of `betas` (schedulePolicy.ts): the driver asks it
   * before every step, so a policy may choose the temperatures as the chain runs.
   */
  schedule?: SchedulePolicy;
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
   * Called after each step with that step's readings (ESS, running log Z, acceptance, ...), e.g.
   * for a live plot. Each call reads a few numbers back from the device, a sync per step that the
   * chain otherwise avoids; needs diagnostics, and a backend that reads synchronously (not webgpu).
   */
  onReading?: (reading: StepDiagnostics, steps: number) => void;
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
  /**
   * Called before each step with the state the chain carries into it (particles and log-weights
   * at beta_{k-1}) and the step's two temperatures, e.g. for a model that learns each step's move
   * from the particles it receives (CRAFT). The chain's tensors stay the chain's: clone what you
   * keep. Runs the chain step by step (never as a fused native stretch).
   */
  beforeStep?: (step: number, chain: ChainState, beta: StepValue, betaPrev: StepValue) => void;
}

/** Diagnostics computed on the device and not yet read (runChainAsync). */
interface PendingReadings {
  stacked: Tensor;
  betas: number[] | Tensor;
  groupSize: number;
  smc: boolean;
  checkFinite: boolean;
}

/** Runs a chain, reading its per-step diagnostics synchronously at the end. */
export function runChain(options: AisOptions): AnnealedResult {
  return runChainCore(options, false);
}

/** runChain with its one host read awaited (backends without synchronous reads, e.g. webgpu). */
export async function runChainAsync(options: AisOptions): Promise<AnnealedResult> {
  const r = runChainCore(options, true);
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

/** The policy a run's options ask for, and whether the driver owns it (and so frees it). */
function schedulePolicy(options: AisOptions): { policy: SchedulePolicy; owned: boolean } {
  if (options.schedule) {
    if (options.betas !== undefined) throw new RangeError('give betas or a schedule, not both');
    if (options.reverse) throw new RangeError('a reversed chain needs a fixed schedule of numbers');
    return { policy: options.schedule, owned: false };
  }
  const betas = options.betas;
  if (betas === undefined) throw new RangeError('a chain needs betas or a schedule');
  if (!Array.isArray(betas)) {
    if (options.reverse) throw new RangeError('a reversed chain needs a fixed schedule of numbers');
    return { policy: learnedSchedule(betas as Tensor1D), owned: true };
  }
  return { policy: fixedSchedule(betas, options.reverse), owned: true };
}

/** Betas as host numbers (one read for tensors; the driver only reads where no tape records). */
function hostBetas(betas: readonly StepValue[]): number[] {
  if (betas.every((b) => typeof b === 'number')) return betas as number[];
  const stacked = tf.stack(betas as Scalar[]);
  const values = Array.from(stacked.dataSync());
  stacked.dispose();
  return values;
}

function runChainCore(
  options: AisOptions,
  deferReadings: boolean,
): AnnealedResult & { pending?: PendingReadings } {
  const { path, kernel, rng, particles } = options;
  const wantDiagnostics = options.diagnostics ?? true;
  const { policy, owned } = schedulePolicy(options);
  try {
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
    const known = policy.known;
    const native = chainPath(kernel, path, {
      resampling: smc !== null,
      trace: options.trace ?? false,
      scheduleKnown: known !== null,
    });
    if ('spec' in native && known && !options.beforeStep) {
      return runFusedAis({
        path,
        kernel,
        spec: native.spec,
        fusedPath: native.fusedPath,
        betas: hostBetas(known),
        particles,
        rng,
        start,
        groupSize,
        diagnostics: wantDiagnostics,
        checkFinite: options.checkFinite ?? true,
        onStep: options.onStep,
      });
    }
    return runSteps(options, policy, smc, groupSize, groups, deferReadings);
  } finally {
    if (owned) policy.dispose();
  }
}

function runSteps(
  options: AisOptions,
  policy: SchedulePolicy,
  smc: ResamplingOptions | null,
  groupSize: number,
  groups: number,
  deferReadings: boolean,
): AnnealedResult & { pending?: PendingReadings } {
  const { path, kernel, rng, particles, start } = options;
  const wantDiagnostics = options.diagnostics ?? true;
  const steps = policy.known ? policy.known.length - 1 : Infinity;
  let particlesState = tf.tidy(() =>
    path.evaluate(start ? start.clone() : path.initial.sample(particles, rng)),
  );
  if (kernel.init) particlesState = kernel.init(particlesState, rng);
  let chain: ChainState = {
    particles: particlesState,
    logW: tf.zeros([particles]) as Tensor1D,
    logZ: smc ? (tf.zeros([groups]) as Tensor1D) : null,
  };
  const frames: Tensor2D[] = options.trace ? [tf.tidy(() => stopGradient(chain.particles.z))] : [];
  const readings: Tensor[] = [];
  const betas: StepValue[] = [policy.initial];
  const move = resolveMove(kernel, path);
  let owned = true;
  let liveLogZ = 0;
  try {
    let betaPrev = policy.initial;
    for (let k = 1; ; k++) {
      const next = policy.next(k, chain);
      if (next === null) break;
      betas.push(next.beta);
      options.beforeStep?.(k, chain, next.beta, betaPrev);
      const out = annealStep(
        chain,
        {
          path,
          step: k,
          steps,
          beta: next.beta,
          betaPrev,
          kernel,
          resampling: smc,
          groupSize,
          last: next.last,
          readings: wantDiagnostics,
          move,
        },
        rng,
      );
      chain = out.state;
      if (out.info.readings) readings.push(out.info.readings);
      if (options.trace) frames.push(tf.tidy(() => stopGradient(chain.particles.z)));
      options.onStep?.(k, steps);
      if (options.onReading && out.info.readings) {
        const values = out.info.readings.dataSync() as Float32Array;
        const row = diagnosticTable(
          values,
          hostBetas([betaPrev, next.beta]),
          groupSize,
          smc !== null,
        ).perStep[0] as StepDiagnostics;
        options.onReading({ ...row, step: k, logZIncrement: row.logZ - liveLogZ }, steps);
        liveLogZ = row.logZ;
      }
      betaPrev = next.beta;
      if (next.last) break;
    }
    // Fold each system's running log-normalizer into its particles' weights.
    let logW = chain.logW;
    if (chain.logZ) {
      const acc = chain.logZ;
      logW = tf.tidy(
        () =>
          tf
            .add(tf.reshape(chain.logW, [groups, groupSize]), tf.reshape(acc, [groups, 1]))
            .reshape([particles]) as Tensor1D,
      );
    }
    const z = chain.particles.z.clone();
    const trace = options.trace ? { trace: tf.stack(frames) as Tensor3D } : {};
    if (logW !== chain.logW) chain.logW.dispose();
    chain.logW = logW;
    owned = false;
    const result = { z, logW, perStep: [], ...trace };
    if (!wantDiagnostics) return result;
    if (deferReadings && readings.length > 0) {
      const numeric = betas.every((b) => typeof b === 'number');
      return {
        ...result,
        pending: {
          stacked: tf.stack(readings),
          betas: numeric ? (betas as number[]) : tf.stack(betas as Scalar[]),
          groupSize,
          smc: smc !== null,
          checkFinite: options.checkFinite ?? true,
        },
      };
    }
    let table: DiagnosticTable;
    try {
      table = readDiagnostics(readings, hostBetas(betas), groupSize, smc !== null);
      if (options.checkFinite ?? true) checkFinite(logW, table);
    } catch (error) {
      tf.dispose([z, logW, ...(result.trace ? [result.trace] : [])]);
      throw error;
    }
    return { ...result, perStep: table.perStep };
  } finally {
    // The final weights go to the caller; the rest of the chain state is freed here.
    if (owned) disposeChainState(chain);
    else {
      disposeState(chain.particles);
      chain.logZ?.dispose();
    }
    for (const r of readings) r.dispose();
    for (const f of frames) f.dispose();
  }
}
