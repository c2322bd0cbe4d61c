// One SMC system that needs no settings: adaptive tempering (each next beta chosen so that the ESS
// of the incremental weights hits a target), resampling at every temperature, and MCMC moves tuned
// between temperatures from the particles alone: a diagonal preconditioner from their weighted
// spread, the step size nudged towards a target acceptance after every move, and as many moves as
// it takes the particles to decorrelate from where they were resampled (or, waste-free, a fixed
// number of moves from a few resampled particles, every visited state kept). The loop runs on the
// host because every choice needs numbers read back; each read is a few values per move.
import {
  tf,
  essFractionHost,
  gatherRowsOfEach,
  logMeanExpHost,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { nextIncrement, ADAPTIVE_DEFAULTS } from './adaptiveSchedule.js';
import { transition } from './dispatch.js';
import { hmcKernel } from './kernels/hmc.js';
import type { TransitionKernel } from './kernels/kernel.js';
import { malaKernel } from './kernels/mala.js';
import { disposeState, type AnnealingPath, type ParticleState } from './path.js';
import { KernelError } from './stepValue.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';

/** The MCMC move between temperatures. */
export type TunedMove = 'hmc' | 'mala';

/** Per move: the acceptance rate the step size is tuned towards (optimal-scaling results). */
export const TARGET_ACCEPTANCE: Record<TunedMove, number> = { hmc: 0.65, mala: 0.57 };

export interface TunedSmcOptions {
  /** From the start distribution (path.initial) to the target. */
  path: AnnealingPath;
  /** Particles N of the system. */
  particles: number;
  rng: Rng;
  /** Default 'hmc'. */
  move?: TunedMove;
  /** The acceptance the step size is tuned towards (default TARGET_ACCEPTANCE of the move). */
  targetAcceptance?: number;
  /** HMC leapfrog steps per move; default: about 1.5 / step size, between 1 and 16. */
  leapfrogSteps?: number;
  /** ESS fraction of the incremental weights each temperature aims at (default 0.5). */
  essTarget?: number;
  /** The smallest increment of beta (default 1e-6), so that a run always ends. */
  minIncrement?: number;
  /** Refuse to run longer than this many temperatures (default 100000). */
  maxTemperatures?: number;
  /**
   * Waste-free SMC (Dau & Chopin 2022): resample N / chainLength particles at each temperature and
   * keep every state of their chains of chainLength (chainLength - 1 moves each). Null (default):
   * resample all N and move each until they decorrelate.
   */
  chainLength?: number | null;
  /** Standard SMC: the most moves at one temperature (default 24). */
  maxMoves?: number;
  /** Standard SMC: the fewest moves at one temperature (default 8). */
  minMoves?: number;
  /**
   * Standard SMC: move until the mean squared distance from the resampled positions, in units of
   * the particles' spread, reaches this in every coordinate (default 1: a correlation of at most
   * about 0.5 with where they started, in the slowest coordinate).
   */
  jumpTarget?: number;
  /** performance.now() past which the run stops with a TimeLimitError (checked per temperature). */
  deadline?: number;
  /** Called on the host after each temperature. */
  onTemperature?: (t: TemperatureRecord) => void;
  /**
   * Replay another run's choices (its result's `plan`) instead of making them from these
   * particles: the same temperatures, preconditioners, step sizes and moves. With every choice
   * fixed in advance the system's Z estimate is exactly unbiased, which adaptation from the
   * system's own particles is not (its bias is of order 1 / N).
   */
  plan?: TunedPlan;
}

/** Every choice a tuned run made, to be replayed by independent systems. */
export interface TunedPlan {
  move: TunedMove;
  chainLength: number | null;
  temperatures: {
    beta: number;
    /** The preconditioner [d]. */
    scale: Float64Array;
    leapfrogSteps: number;
    /** One step size per move. */
    stepSizes: number[];
  }[];
}

/** What happened at one temperature. */
export interface TemperatureRecord {
  beta: number;
  /** ESS of the incremental weights as a fraction of N (the tempering's criterion). */
  essFraction: number;
  /** Running log Z estimate after this temperature. */
  logZ: number;
  /** The step size in preconditioned units (HMC leapfrog epsilon, MALA delta), after tuning. */
  stepSize: number;
  /** HMC leapfrog steps (1 for MALA). */
  leapfrogSteps: number;
  /** Mean acceptance over this temperature's moves. */
  acceptance: number;
  moves: number;
  /** Mean squared distance moved from the resampled positions in the slowest coordinate (preconditioned units). */
  jump: number;
  /** The preconditioner (the particles' weighted standard deviation): smallest, median, largest. */
  scale: { min: number; median: number; max: number };
  /**
   * The fraction of particles that never moved at this temperature (every proposal rejected), null
   * for waste-free SMC. Many stuck particles mean one step size does not suit the whole target
   * (a funnel's neck), and mass the moves cannot reach may be missing from the estimate.
   */
  stuck: number | null;
  /** Diverged proposals (energy error above 1000 or NaN) over this temperature's moves. */
  diverged: number;
}

export interface TunedSmcResult {
  /** The system's log Z estimate. */
  logZ: number;
  /** Final particles [N, d], equally weighted draws from (an approximation of) the target. */
  z: Tensor2D;
  temperatures: TemperatureRecord[];
  /** The choices made, for replaying (the given plan, when one was replayed). */
  plan: TunedPlan;
}

/** A run stopped by its deadline. */
export class TimeLimitError extends Error {
  override name = 'TimeLimitError';
}

/** Target log-densities that are NaN or +Infinity: the weights would be meaningless. */
export class NonFiniteTargetError extends Error {
  override name = 'NonFiniteTargetError';
}

export const TUNED_DEFAULTS = {
  move: 'hmc' as TunedMove,
  essTarget: 0.5,
  minIncrement: ADAPTIVE_DEFAULTS.minIncrement,
  maxTemperatures: ADAPTIVE_DEFAULTS.maxSteps,
  maxMoves: 24,
  minMoves: 8,
  jumpTarget: 1,
  maxLeapfrogSteps: 16,
};

/** A starting step size in preconditioned units: optimal-scaling orders in d, shrunk for safety. */
function initialStepSize(move: TunedMove, d: number): number {
  return move === 'hmc' ? Math.pow(d, -0.25) : 0.5 * Math.pow(d, -1 / 3);
}

function systematic(logW: Float64Array, draws: number, u: number): Int32Array {
  let max = -Infinity;
  for (const v of logW) max = Math.max(max, v);
  const w = Float64Array.from(logW, (v) => Math.exp(v - max));
  const total = w.reduce((a, b) => a + b, 0);
  const out = new Int32Array(draws);
  let cumulative = 0;
  let i = 0;
  for (let j = 0; j < draws; j++) {
    const position = ((j + u) / draws) * total;
    while (i < w.length - 1 && cumulative + (w[i] as number) <= position) {
      cumulative += w[i] as number;
      i++;
    }
    out[j] = i;
  }
  return out;
}

function gatherState(state: ParticleState, indices: Int32Array): ParticleState {
  const idx = tf.tensor1d(indices, 'int32');
  const [z, logTarget, scoreTarget, logInitial, scoreInitial] = gatherRowsOfEach(
    [state.z, state.logTarget, state.scoreTarget, state.logInitial, state.scoreInitial],
    idx,
  ) as [Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D];
  idx.dispose();
  return { z, logTarget, scoreTarget, logInitial, scoreInitial };
}

function concatStates(states: readonly ParticleState[]): ParticleState {
  const cat = <T extends Tensor>(pick: (s: ParticleState) => T) =>
    tf.concat(states.map(pick), 0) as T;
  return {
    z: cat((s) => s.z),
    logTarget: cat((s) => s.logTarget),
    scoreTarget: cat((s) => s.scoreTarget),
    logInitial: cat((s) => s.logInitial),
    scoreInitial: cat((s) => s.scoreInitial),
  };
}

/**
 * The particles' standard deviation per coordinate under weights exp(logW) (host float64), the
 * previous scale kept where a coordinate has collapsed to one value.
 */
function weightedScale(z: Tensor2D, logW: Float64Array, previous: Float64Array): Float64Array {
  const n = logW.length;
  let max = -Infinity;
  for (const v of logW) max = Math.max(max, v);
  const w = Float32Array.from(logW, (v) => Math.exp(v - max));
  const total = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) (w[i] as number) /= total;
  const variance = tf.tidy(() => {
    const wt = tf.tensor2d(w, [1, n]);
    const mean = tf.matMul(wt, z);
    return tf.matMul(wt, tf.square(tf.sub(z, mean))).reshape([-1]);
  });
  const v = variance.dataSync();
  variance.dispose();
  return Float64Array.from(v, (x, j) =>
    Number.isFinite(x) && x > 1e-24 ? Math.sqrt(x) : (previous[j] as number),
  );
}

function summarize(scale: Float64Array): TemperatureRecord['scale'] {
  const sorted = Float64Array.from(scale).sort();
  return {
    min: sorted[0] as number,
    median: sorted[Math.floor(sorted.length / 2)] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * Runs one tuned SMC system from path.initial to path.target and returns its log Z estimate, its
 * final (equally weighted) particles and what it chose at every temperature. Frees every tensor
 * it made except the returned particles.
 */
const TUNED_SMC_KEYS = keyList<TunedSmcOptions>()([
  'path',
  'particles',
  'rng',
  'move',
  'targetAcceptance',
  'leapfrogSteps',
  'essTarget',
  'minIncrement',
  'maxTemperatures',
  'chainLength',
  'maxMoves',
  'minMoves',
  'jumpTarget',
  'deadline',
  'onTemperature',
  'plan',
]);

export function runTunedSmc(options: TunedSmcOptions): TunedSmcResult {
  checkOptionKeys('runTunedSmc', options, TUNED_SMC_KEYS, (m) => new KernelError(m));
  const { path, particles: n, rng } = options;
  const replay = options.plan ?? null;
  const move = replay?.move ?? options.move ?? TUNED_DEFAULTS.move;
  if (move !== 'hmc' && move !== 'mala')
    throw new KernelError(`tuned SMC: move must be 'hmc' or 'mala', got '${String(move)}'`);
  const accTarget = options.targetAcceptance ?? TARGET_ACCEPTANCE[move];
  if (!(accTarget > 0 && accTarget < 1))
    throw new KernelError(`tuned SMC: target acceptance must be in (0, 1), got ${accTarget}`);
  const essTarget = options.essTarget ?? TUNED_DEFAULTS.essTarget;
  if (!(essTarget > 0 && essTarget < 1))
    throw new KernelError(`tuned SMC: ESS target must be in (0, 1), got ${essTarget}`);
  const minIncrement = options.minIncrement ?? TUNED_DEFAULTS.minIncrement;
  const maxTemperatures = options.maxTemperatures ?? TUNED_DEFAULTS.maxTemperatures;
  const maxMoves = options.maxMoves ?? TUNED_DEFAULTS.maxMoves;
  const jumpTarget = options.jumpTarget ?? TUNED_DEFAULTS.jumpTarget;
  const minMoves = Math.min(options.minMoves ?? TUNED_DEFAULTS.minMoves, maxMoves);
  const chainLength = replay ? replay.chainLength : (options.chainLength ?? null);
  if (!Number.isInteger(n) || n < 2)
    throw new KernelError(`tuned SMC: particles must be an integer >= 2, got ${n}`);
  if (chainLength !== null) {
    if (!Number.isInteger(chainLength) || chainLength < 2 || n % chainLength !== 0)
      throw new KernelError(
        `waste-free SMC: the chain length must be an integer >= 2 that divides the ${n} particles, got ${chainLength}`,
      );
  }
  if (!Number.isInteger(maxMoves) || maxMoves < 1)
    throw new KernelError(`tuned SMC: maxMoves must be a positive integer, got ${maxMoves}`);
  if (
    options.leapfrogSteps !== undefined &&
    !(Number.isInteger(options.leapfrogSteps) && options.leapfrogSteps >= 1)
  )
    throw new KernelError(
      `tuned SMC: leapfrog steps must be a positive integer, got ${options.leapfrogSteps}`,
    );
  const d = path.dim;
  let stepSize = initialStepSize(move, d);
  let state = tf.tidy(() => path.evaluate(path.initial.sample(n, rng)));
  let scale: Float64Array = new Float64Array(d).fill(1);
  scale = weightedScale(state.z, new Float64Array(n), scale);
  const temperatures: TemperatureRecord[] = [];
  const plan: TunedPlan = replay ?? { move, chainLength, temperatures: [] };
  let beta = 0;
  let logZ = 0;
  try {
    for (let k = 1; beta < 1; k++) {
      if (options.deadline !== undefined && performance.now() > options.deadline)
        throw new TimeLimitError(`the time limit stopped the run at beta = ${beta.toPrecision(4)}`);
      if (k > maxTemperatures)
        throw new KernelError(
          `tuned SMC: beta reached only ${beta.toPrecision(4)} in ${maxTemperatures} temperatures`,
        );
      const gap = readGap(state, beta);
      const planned = replay?.temperatures[k - 1];
      if (replay && !planned) throw new KernelError('tuned SMC: the plan ends before beta = 1');
      let betaNext: number;
      if (planned) betaNext = planned.beta;
      else {
        const zeros = new Float64Array(n);
        const delta = nextIncrement('ess', essTarget, [{ logW: zeros, gap }], beta, minIncrement);
        betaNext = delta >= 1 - beta ? 1 : beta + delta;
      }
      const inc = Float64Array.from(gap, (g) =>
        g === -Infinity ? -Infinity : (betaNext - beta) * g,
      );
      const stepLogZ = logMeanExpHost(inc);
      if (!Number.isFinite(stepLogZ))
        throw new NonFiniteTargetError(
          `every particle has zero weight at beta = ${betaNext.toPrecision(4)} (the target's log density is -Infinity wherever the particles are)`,
        );
      logZ += stepLogZ;
      const essFraction = essFractionHost(inc);
      scale = planned ? planned.scale : weightedScale(state.z, inc, scale);
      const kept = chainLength === null ? n : n / chainLength;
      const ancestors = systematic(inc, kept, rng.uniformArray(1)[0] as number);
      const resampled = gatherState(state, ancestors);
      disposeState(state);
      state = resampled;
      const scaleT = tf.tensor1d(Float32Array.from(scale));
      const leapfrogSteps =
        planned?.leapfrogSteps ??
        (move === 'mala'
          ? 1
          : (options.leapfrogSteps ??
            Math.min(TUNED_DEFAULTS.maxLeapfrogSteps, Math.max(1, Math.round(1.5 / stepSize)))));
      const stepSizes: number[] = [];
      let accepted = 0;
      let diverged = 0;
      let moves = 0;
      let jump = 0;
      let stuck: number | null = null;
      const chain: ParticleState[] = [];
      const start = state.z.clone();
      try {
        const plannedMoves = planned
          ? planned.stepSizes.length
          : chainLength === null
            ? maxMoves
            : chainLength - 1;
        for (let m = 1; m <= plannedMoves; m++) {
          if (planned) stepSize = planned.stepSizes[m - 1] as number;
          stepSizes.push(stepSize);
          const kernel: TransitionKernel =
            move === 'hmc'
              ? hmcKernel({ stepSize, leapfrogSteps, scale: scaleT })
              : malaKernel({ stepSize, scale: scaleT });
          const out = transition(kernel, state, { path, step: k, steps: 0, beta: betaNext }, rng);
          const readings = tf.tidy(() => {
            const moved = tf.div(tf.sub(out.state.z, start), scaleT);
            return tf.stack([
              out.acceptance ?? tf.scalar(1),
              out.diverged ?? tf.scalar(0),
              tf.min(tf.mean(tf.square(moved), 0)),
            ]);
          });
          const [acc, div, dist] = readings.dataSync() as Float32Array;
          readings.dispose();
          out.acceptance?.dispose();
          out.diverged?.dispose();
          if (chainLength !== null) chain.push(state);
          else disposeState(state);
          state = out.state;
          moves = m;
          accepted += acc as number;
          diverged += div as number;
          jump = dist as number;
          // Nudge the step towards the target acceptance (an invariant move either way: the step
          // is fixed within each move, chosen from the moves before it).
          stepSize *= Math.exp((acc as number) - accTarget);
          if (!planned && chainLength === null && m >= minMoves && jump >= jumpTarget) break;
        }
        if (chainLength === null) {
          const never = tf.tidy(() =>
            tf.mean(tf.cast(tf.all(tf.equal(state.z, start), 1), 'float32')),
          );
          stuck = never.dataSync()[0] as number;
          never.dispose();
        } else {
          chain.push(state);
          state = concatStates(chain);
          for (const s of chain) disposeState(s);
          chain.length = 0;
        }
      } finally {
        for (const s of chain) disposeState(s);
        start.dispose();
        scaleT.dispose();
      }
      beta = betaNext;
      if (!replay) plan.temperatures.push({ beta, scale, leapfrogSteps, stepSizes });
      const record: TemperatureRecord = {
        beta,
        essFraction,
        logZ,
        stepSize,
        leapfrogSteps,
        acceptance: accepted / moves,
        moves,
        jump,
        stuck,
        scale: summarize(scale),
        diverged,
      };
      temperatures.push(record);
      options.onTemperature?.(record);
    }
    const z = state.z.clone();
    return { logZ, z, temperatures, plan };
  } finally {
    disposeState(state);
  }
}

/** log pi - log q at the particles (host float64); NaN or +Infinity stops the run with where. */
function readGap(state: ParticleState, beta: number): Float64Array {
  const lt = state.logTarget.dataSync();
  const li = state.logInitial.dataSync();
  const gap = Float64Array.from(lt, (v, i) => v - (li[i] as number));
  for (let i = 0; i < gap.length; i++) {
    const g = gap[i] as number;
    if (Number.isNaN(g) || g === Infinity)
      throw new NonFiniteTargetError(
        `the target's log density is ${Number.isNaN(lt[i]) ? 'NaN' : String(lt[i])} at particle ${i} (beta = ${beta.toPrecision(4)}); check the target for points where it is undefined`,
      );
  }
  return gap;
}
