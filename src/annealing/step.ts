// One step of an annealed chain, the unit that AIS, SMC, learned-sampler training and BDMC share:
// reweight to the next temperature, resample (SMC), move with the kernel (through the dispatch,
// which picks the fastest way to take the kernel's step), add the kernel's weight correction, and
// record the step's readings on the device. The driver (chain.ts) asks a schedule policy for each
// next beta and calls this; nothing here knows how many steps the chain has.
import {
  tf,
  nativeOpsAvailable,
  fusedAisUpdate,
  type Rng,
  type Tensor,
  type Tensor1D,
} from '../engine/index.js';
import { stepReadings } from './diagnostics.js';
import { transition, type Move } from './dispatch.js';
import type { StepContext, TransitionKernel } from './kernels/kernel.js';
import { disposeState, type ParticleState } from './path.js';
import { resampleParticles } from './resampleParticles.js';
import type { ResamplingOptions } from './resampling.js';
import { stepSub, type StepValue } from './stepValue.js';

/** What an annealed chain carries from one step to the next. */
export interface ChainState {
  /** Particles with their cached densities and scores (and momentum, for kernels that keep it). */
  particles: ParticleState;
  /** Log importance weights [N] for the current temperature. */
  logW: Tensor1D;
  /** SMC: each system's running log-normalizer [N / groupSize]; null for AIS. */
  logZ: Tensor1D | null;
}

/** Everything a step needs besides the chain state and the random stream. */
export interface AnnealStepContext extends StepContext {
  kernel: TransitionKernel;
  /** The inverse temperature the weights are for before this step (beta_{k-1}). */
  betaPrev: StepValue;
  /** SMC resampling of the chain (null for AIS); systems of groupSize particles. */
  resampling: ResamplingOptions | null;
  groupSize: number;
  /** Whether this is the last step (SMC never resamples after it). */
  last: boolean;
  /** Record the step's readings (off for training, where only the weights matter). */
  readings: boolean;
  /**
   * The kernel's step as the dispatch resolved it for this chain (resolveMove); absent, the step
   * asks the dispatch itself.
   */
  move?: Move;
}

/** What a step reports beside the new state. */
export interface StepInfo {
  /**
   * The step's readings on the device, owned by the caller: STEP_READING_NAMES in order (ESS
   * fraction, running log Z, acceptance, non-finite weights, resampled fraction, divergences),
   * with -1 where a reading does not apply. Null when the context asked for none.
   */
  readings: Tensor | null;
}

export function disposeChainState(chain: ChainState): void {
  disposeState(chain.particles);
  chain.logW.dispose();
  chain.logZ?.dispose();
}

/**
 * One annealing step from beta_{k-1} to beta_k. Takes ownership of `chain` (its tensors are freed
 * or passed on) and returns the new state, owned by the caller. With a Metropolis-corrected kernel
 * SMC reweights, resamples, then moves; with ULA/UHA-type kernels, whose weight needs the move, it
 * reweights, moves, then resamples.
 */
export function annealStep(
  chain: ChainState,
  ctx: AnnealStepContext,
  rng: Rng,
): { state: ChainState; info: StepInfo } {
  const { kernel, path, beta, betaPrev } = ctx;
  const smc = ctx.resampling;
  let state = chain.particles;
  let logW = chain.logW;
  let logZ = chain.logZ;
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
  const resampleNow = smc !== null && !ctx.last;
  let smcReading: Tensor | null = null;
  // SMC resampling of (state, logW) in place; records [ESS fraction, resampled] of this step.
  const resample = (): void => {
    const r = resampleParticles(
      state,
      logW,
      logZ as Tensor1D,
      smc as ResamplingOptions,
      ctx.groupSize,
      rng,
      (z) => path.evaluate(z),
    );
    disposeState(state);
    logW.dispose();
    (logZ as Tensor1D).dispose();
    state = r.state;
    logW = r.logW;
    logZ = r.logZAcc;
    smcReading = tf.tidy(() => tf.stack([tf.mean(r.essFraction), tf.mean(r.resampled)]));
    r.essFraction.dispose();
    r.resampled.dispose();
  };
  let moved: ReturnType<typeof transition> | null = null;
  try {
    if (resampleNow && kernel.invariant) resample();
    moved = ctx.move ? ctx.move(state, ctx, rng) : transition(kernel, state, ctx, rng);
    const { logCorrection } = moved;
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
      logW = updated;
    } else if (logCorrection) {
      const corrected = tf.add(logW, logCorrection) as Tensor1D;
      logW.dispose();
      logW = corrected;
    }
    disposeState(state);
    state = moved.state;
    if (resampleNow && !kernel.invariant) resample();
    const readings = ctx.readings
      ? stepReadings(
          logW,
          logZ,
          ctx.groupSize,
          moved.acceptance,
          moved.diverged ?? null,
          smcReading,
          smc !== null,
        )
      : null;
    return { state: { particles: state, logW, logZ }, info: { readings } };
  } catch (error) {
    disposeChainState({ particles: state, logW, logZ });
    if (moved && moved.state !== state) disposeState(moved.state);
    throw error;
  } finally {
    (smcReading as Tensor | null)?.dispose();
    moved?.logCorrection?.dispose();
    moved?.acceptance?.dispose();
    moved?.diverged?.dispose();
  }
}
