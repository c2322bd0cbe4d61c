// log Z with no settings: the path `estimateLogZ({ target })` and `anneal logz --target T` take.
// 1. Fit a start to the target: a diagonal Gaussian, a Student-t where the tails are heavy, a
//    mixture over modes where the search finds several (annealing/fitStart.ts; kept where it helps).
// 2. A pilot SMC system from that start chooses everything as it runs (annealing/tunedSmc.ts):
//    the temperatures, the preconditioner, the step sizes and the moves per temperature.
// 3. Independent systems replay the pilot's choices, each with its own random stream. With every
//    choice fixed before they run, each system's Z estimate is unbiased, and the spread of their
//    log Z estimates gives the standard error (never the spread within one system).
// 4. Systems are added until the standard error reaches the asked-for value or the time runs out.
import { tf, Rng } from '../engine/index.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { DiagMixture } from '../distributions/diagMixture.js';
import type { Distribution } from '../distributions/distribution.js';
import { AnnealingPath } from '../annealing/path.js';
import { fitStart, type FittedStart } from '../annealing/fitStart.js';
import {
  runTunedSmc,
  TimeLimitError,
  type TemperatureRecord,
  type TunedMove,
  type TunedPlan,
  type TunedSmcOptions,
} from '../annealing/tunedSmc.js';
import { KernelError } from '../annealing/stepValue.js';
import type { StepDiagnostics } from '../annealing/diagnostics.js';
import { checkTarget, type Target } from '../targets/target.js';
import { scoreField } from '../targets/score.js';
import { concatFloat32, stdErrOf, summarizeLogWeights, systemBound } from './logWeights.js';

export { stdErrOf };
import type { AutoReport, AutoStop, LogZEstimate } from './logZEstimate.js';
import { autoWarnings } from './warnings.js';

export type { AutoReport, AutoStop };

export interface AutoLogZOptions {
  target: Target;
  /** Particles per system (default 512). */
  particles?: number;
  /** The fewest systems the estimate pools (default 8; at least 2). */
  systems?: number;
  /**
   * Add systems until the standard error of log Z is at most this (default 0.03); null: run
   * exactly `systems`.
   */
  targetStdErr?: number | null;
  /**
   * Stop adding systems after this many seconds of the whole run (default 50; 600 when
   * targetStdErr is given, since the accuracy is then what was asked for).
   */
  maxSeconds?: number;
  /** The start: 'fit' (default) a Gaussian fitted to the target, or 'initial' as given. */
  start?: 'fit' | 'initial';
  /** The initial distribution N(mean, scale^2 I) (default N(0, I)); the fit starts from it. */
  initial?: { mean?: number; scale?: number };
  /** Default 'hmc'. */
  move?: TunedMove;
  /**
   * Waste-free SMC: true, or the chain length P (default 8 with true): each temperature resamples
   * N / P particles and keeps every state of their chains of P.
   */
  wasteFree?: boolean | number;
  /**
   * The pilot's tuning rules, for experiments (defaults in TUNED_DEFAULTS): the ESS target of each
   * temperature, the jump the moves must reach, the most moves per temperature, the acceptance
   * the step size aims at, the leapfrog steps.
   */
  tuning?: Pick<
    TunedSmcOptions,
    'essTarget' | 'jumpTarget' | 'maxMoves' | 'targetAcceptance' | 'leapfrogSteps' | 'minMoves'
  >;
  seed?: number;
  rng?: Rng;
  /** Return the final particles (equally weighted within each system). */
  returnSamples?: boolean;
  /** Progress: the phase, systems done and the standard error so far. */
  onProgress?: (p: AutoProgress) => void;
}

export interface AutoProgress {
  phase: 'fit' | 'pilot' | 'systems';
  systems: number;
  planned: number;
  stdErr: number | null;
}

export const AUTO_DEFAULTS = {
  particles: 512,
  systems: 8,
  targetStdErr: 0.03,
  maxSeconds: 50,
  /** The time limit when the caller asked for a standard error: the accuracy is what was asked. */
  maxSecondsAsked: 600,
  chainLength: 8,
};

export interface AutoLogZEstimate extends LogZEstimate {
  auto: AutoReport;
}

/** A limit that stopped the run before it had the fewest systems an estimate needs. */
export class AutoLimitError extends Error {
  override name = 'AutoLimitError';
}

function range(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

/** Checks the options a caller can get wrong, with one-line messages. */
/** The keys autoLogZ takes (checked against AutoLogZOptions by the compiler). */
export const AUTO_OPTION_KEYS = keyList<AutoLogZOptions>()([
  'target',
  'particles',
  'systems',
  'targetStdErr',
  'maxSeconds',
  'start',
  'initial',
  'move',
  'wasteFree',
  'tuning',
  'seed',
  'rng',
  'returnSamples',
  'onProgress',
]);

const TUNING_KEYS = keyList<NonNullable<AutoLogZOptions['tuning']>>()([
  'essTarget',
  'jumpTarget',
  'maxMoves',
  'targetAcceptance',
  'leapfrogSteps',
  'minMoves',
]);

export function checkAutoOptions(o: AutoLogZOptions): void {
  checkOptionKeys('autoLogZ', o, AUTO_OPTION_KEYS, (m) => new KernelError(m));
  if (o.tuning !== undefined)
    checkOptionKeys('autoLogZ tuning', o.tuning, TUNING_KEYS, (m) => new KernelError(m));
  const positiveInt = (v: number | undefined, what: string, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min))
      throw new KernelError(`auto: ${what} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt(o.particles, 'particles per system', 2);
  positiveInt(o.systems, 'systems', 2);
  if (o.targetStdErr !== undefined && o.targetStdErr !== null && !(o.targetStdErr > 0))
    throw new KernelError(
      `auto: the target standard error must be positive, got ${o.targetStdErr}`,
    );
  if (o.maxSeconds !== undefined && !(o.maxSeconds > 0))
    throw new KernelError(`auto: maxSeconds must be positive, got ${o.maxSeconds}`);
  if (o.start !== undefined && o.start !== 'fit' && o.start !== 'initial')
    throw new KernelError(`auto: start must be 'fit' or 'initial', got '${String(o.start)}'`);
  if (typeof o.wasteFree === 'number') positiveInt(o.wasteFree, 'the waste-free chain length', 2);
}

/** The start and the pilot's plan: everything the independent systems need. */
export interface AutoSetup {
  /** The start's mean and standard deviations (fitted or as configured). */
  mean: Float64Array;
  scale: Float64Array;
  /** A mixture start's components (null: one component at mean, scale). */
  components: { mean: Float64Array; scale: Float64Array }[] | null;
  /** The components' family: null for Gaussians, else Student-t degrees of freedom. */
  df: number | null;
  plan: TunedPlan;
  /** Particles per system. */
  particles: number;
  /** The systems' parent stream (system s draws from systemStream(it, s)). */
  systems: Rng;
}

/** A run of the auto sampler that has its setup and is adding systems. */
export interface AutoRun {
  setup: AutoSetup;
  start: FittedStart;
  temperatures: TemperatureRecord[];
  pilotSeconds: number;
  started: number;
  deadline: number;
  minSystems: number;
  targetStdErr: number | null;
  maxSeconds: number;
  move: TunedMove;
  chainLength: number | null;
}

/** What some systems gave: their log Z estimates (and final particles), in system order. */
export interface SystemsRun {
  logZ: number[];
  z: Float32Array[] | null;
  /** Whether the deadline stopped them before all ran. */
  timedOut: boolean;
}

/**
 * Systems [first, first + count) of a setup on `target`, each replaying the plan from its own
 * stream; with a deadline (performance.now() ms), the ones finished when it passes.
 */
export function runAutoSystems(
  target: Target,
  setup: AutoSetup,
  first: number,
  count: number,
  options: { deadline?: number; returnSamples?: boolean } = {},
): SystemsRun {
  const initial = startDistribution(setup);
  const logZ: number[] = [];
  const z: Float32Array[] = [];
  try {
    const path = new AnnealingPath(initial, target);
    for (let s = first; s < first + count; s++) {
      if (options.deadline !== undefined && performance.now() > options.deadline)
        return { logZ, z: options.returnSamples ? z : null, timedOut: true };
      let r;
      try {
        r = runTunedSmc({
          path,
          particles: setup.particles,
          rng: systemStream(setup.systems, s),
          plan: setup.plan,
          deadline: options.deadline,
        });
      } catch (error) {
        if (error instanceof TimeLimitError)
          return { logZ, z: options.returnSamples ? z : null, timedOut: true };
        throw error;
      }
      logZ.push(r.logZ);
      if (options.returnSamples) z.push(Float32Array.from(r.z.dataSync()));
      r.z.dispose();
    }
    return { logZ, z: options.returnSamples ? z : null, timedOut: false };
  } finally {
    initial.dispose();
  }
}

/**
 * A fitted start (fitStart's result, or an auto run's setup) as a Distribution: one diagonal
 * Gaussian (the native fast paths take it), or a mixture over modes, or Student-t components (one
 * or a mixture). Any sampler can start from it (`initial`); the caller disposes it.
 */
export function startDistribution(
  start: Pick<FittedStart, 'mean' | 'scale' | 'components' | 'df'>,
): {
  dispose(): void;
} & Distribution {
  if (start.components || start.df !== null)
    return new DiagMixture({
      components: start.components ?? [{ mean: start.mean, scale: start.scale }],
      df: start.df ?? Infinity,
    });
  const { mean, scale } = start;
  return new DiagGaussian(
    tf.tensor1d(Float32Array.from(mean)),
    tf.tensor1d(Float32Array.from(scale, Math.log)),
  );
}

function limitError(run: { maxSeconds: number; minSystems: number }, what: string): AutoLimitError {
  return new AutoLimitError(
    `the time limit (${run.maxSeconds} s) ran out during ${what}, before the ${run.minSystems} systems an estimate needs; allow more time or fewer particles per system`,
  );
}

/** Fits the start and runs the pilot (the first two steps of the module comment). */
export function prepareAuto(options: AutoLogZOptions): AutoRun {
  const started = performance.now();
  checkAutoOptions(options);
  const { target } = options;
  checkTarget(target);
  const n = options.particles ?? AUTO_DEFAULTS.particles;
  const minSystems = options.systems ?? AUTO_DEFAULTS.systems;
  const targetStdErr =
    options.targetStdErr === undefined ? AUTO_DEFAULTS.targetStdErr : options.targetStdErr;
  const maxSeconds =
    options.maxSeconds ??
    (options.targetStdErr !== undefined && options.targetStdErr !== null
      ? AUTO_DEFAULTS.maxSecondsAsked
      : AUTO_DEFAULTS.maxSeconds);
  const deadline = started + maxSeconds * 1000;
  const chainLength =
    options.wasteFree === true
      ? AUTO_DEFAULTS.chainLength
      : typeof options.wasteFree === 'number'
        ? options.wasteFree
        : null;
  if (chainLength !== null && n % chainLength !== 0)
    throw new KernelError(
      `waste-free SMC: ${n} particles per system do not split into chains of ${chainLength}`,
    );
  const move = options.move ?? 'hmc';
  const [fitStream, pilotStream, systemStreams] = (
    options.rng ?? Rng.fromSeed(options.seed ?? 0)
  ).children(3);
  options.onProgress?.({ phase: 'fit', systems: 0, planned: minSystems, stdErr: null });
  const start: FittedStart =
    (options.start ?? 'fit') === 'fit'
      ? fitStart(target, fitStream, { initial: options.initial })
      : {
          mean: new Float64Array(target.dim).fill(options.initial?.mean ?? 0),
          scale: new Float64Array(target.dim).fill(options.initial?.scale ?? 1),
          df: null,
          fitted: false,
          reason: 'the configured initial distribution was asked for',
          components: null,
          modes: null,
          elbo: null,
          initialElbo: null,
          seconds: 0,
        };
  const initial = startDistribution(start);
  try {
    options.onProgress?.({ phase: 'pilot', systems: 0, planned: minSystems, stdErr: null });
    const pilotStarted = performance.now();
    let pilot;
    try {
      pilot = runTunedSmc({
        path: new AnnealingPath(initial, target),
        particles: n,
        rng: pilotStream,
        move,
        chainLength,
        deadline,
        ...options.tuning,
      });
    } catch (error) {
      if (error instanceof TimeLimitError)
        throw limitError({ maxSeconds, minSystems }, 'the pilot system');
      throw error;
    }
    pilot.z.dispose();
    return {
      setup: {
        mean: start.mean,
        scale: start.scale,
        components: start.components,
        df: start.df,
        plan: pilot.plan,
        particles: n,
        systems: systemStreams,
      },
      start,
      temperatures: pilot.temperatures,
      pilotSeconds: (performance.now() - pilotStarted) / 1000,
      started,
      deadline,
      minSystems,
      targetStdErr,
      maxSeconds,
      move,
      chainLength,
    };
  } finally {
    initial.dispose();
  }
}

/**
 * The systems the run should have after `logZs` (first minSystems, then as many as the asked-for
 * error needs if the spread stays as it is, at most doubling), or null when it has enough.
 */
export function plannedSystems(run: AutoRun, logZs: readonly number[]): number | null {
  if (logZs.length < run.minSystems) return run.minSystems;
  if (run.targetStdErr === null) return null;
  const se = stdErrOf(logZs) as number;
  if (se <= run.targetStdErr) return null;
  const need = Math.ceil(logZs.length * (se / run.targetStdErr) ** 2);
  return Math.max(logZs.length + 1, Math.min(need, 2 * logZs.length));
}

/** The systems pooled so far, and what stopped the run once something has. */
export interface AddedSystems {
  logZs: number[];
  samples: Float32Array[];
  /** Systems [0, next) have been asked for (some may have been cut by the deadline). */
  next: number;
  stoppedBy: AutoStop | null;
}

/**
 * The next round of systems, [first, first + count), or null when the run has what it needs (then
 * `added.stoppedBy` says why). The rounds depend only on the estimates so far, so they are the same
 * whoever runs them: the systems pooled are the same in this thread or on workers.
 */
export function nextRound(
  run: AutoRun,
  added: AddedSystems,
  onProgress?: (p: AutoProgress) => void,
): { first: number; count: number } | null {
  const planned = plannedSystems(run, added.logZs);
  const se = stdErrOf(added.logZs);
  if (planned === null) {
    added.stoppedBy = run.targetStdErr === null ? 'systems' : 'target-se';
    onProgress?.({
      phase: 'systems',
      systems: added.logZs.length,
      planned: added.logZs.length,
      stdErr: se,
    });
    return null;
  }
  onProgress?.({ phase: 'systems', systems: added.logZs.length, planned, stdErr: se });
  if (performance.now() > run.deadline) {
    absorbRound(run, added, { logZ: [], z: null, timedOut: true });
    return null;
  }
  return { first: added.next, count: planned - added.logZs.length };
}

/** Pools a round's systems; a round cut by the deadline ends the run (or fails it, too early). */
export function absorbRound(run: AutoRun, added: AddedSystems, r: SystemsRun, count = 0): void {
  added.next += count;
  added.logZs.push(...r.logZ);
  if (r.z) added.samples.push(...r.z);
  if (!r.timedOut) return;
  if (added.logZs.length < run.minSystems)
    throw limitError(run, `system ${added.logZs.length + 1}`);
  added.stoppedBy = 'time';
}

const noSystems = (): AddedSystems => ({ logZs: [], samples: [], next: 0, stoppedBy: null });

/** Adds systems round by round, each round from `runRound` (awaited: workers). */
export async function addSystems(
  run: AutoRun,
  runRound: (first: number, count: number) => Promise<SystemsRun>,
  onProgress?: (p: AutoProgress) => void,
): Promise<AddedSystems> {
  const added = noSystems();
  for (let round = nextRound(run, added, onProgress); round;) {
    absorbRound(run, added, await runRound(round.first, round.count), round.count);
    round = added.stoppedBy ? null : nextRound(run, added, onProgress);
  }
  return added;
}

/** The estimate from the systems' log Z estimates (step 4 of the module comment). */
export function finishAuto(
  target: Target,
  run: AutoRun,
  added: AddedSystems,
  returnSamples: boolean,
): AutoLogZEstimate {
  const { logZs, samples } = added;
  const stoppedBy = added.stoppedBy ?? 'systems';
  const n = run.setup.particles;
  // Each particle carries its system's log Z: pooled, these give the log-mean-exp over systems
  // (an unbiased Z estimate) and the spread over systems as the standard error.
  const logW = new Float32Array(logZs.length * n);
  logZs.forEach((v, s) => logW.fill(v, s * n, (s + 1) * n));
  const summary = { ...summarizeLogWeights(logW, logZs.length), logZStdErr: stdErrOf(logZs) };
  const trueLogZ = target.logZ ?? null;
  const { mean, scale, components, ...startRest } = run.start;
  const auto: AutoReport = {
    start: {
      ...startRest,
      mixture: components?.length ?? null,
      meanRange: range(mean),
      scaleRange: range(scale),
    },
    temperatures: run.temperatures,
    pilotSeconds: run.pilotSeconds,
    systemLogZ: logZs,
    stoppedBy,
    targetStdErr: run.targetStdErr,
    move: run.move,
    chainLength: run.chainLength,
  };
  return {
    target: target.name,
    sampler: 'auto',
    steps: run.temperatures.length,
    particles: logW.length,
    ...summary,
    logZStdErrReliable: summary.logZStdErr !== null,
    trueLogZ,
    error: trueLogZ === null ? null : summary.logZ - trueLogZ,
    seconds: (performance.now() - run.started) / 1000,
    perStep: perStepOf(run.temperatures),
    smcBound: systemBound(logW, n),
    samples: returnSamples
      ? { z: concatFloat32(samples), logW, count: logW.length, dim: target.dim }
      : null,
    moves: null,
    ...scoreField(target),
    auto,
    warnings: autoWarnings(auto),
  };
}

/**
 * Estimates log Z of a target with nothing else given (see the module comment), in this thread.
 * Its standard error comes from independent systems; `auto` in the result says what the pilot
 * chose, whether the fitted start was used, and what stopped the run.
 */
export function autoLogZ(options: AutoLogZOptions): AutoLogZEstimate {
  const run = prepareAuto(options);
  const returnSamples = options.returnSamples ?? false;
  const added = noSystems();
  for (let round = nextRound(run, added, options.onProgress); round;) {
    const r = runAutoSystems(options.target, run.setup, round.first, round.count, {
      deadline: run.deadline,
      returnSamples,
    });
    absorbRound(run, added, r, round.count);
    round = added.stoppedBy ? null : nextRound(run, added, options.onProgress);
  }
  return finishAuto(options.target, run, added, returnSamples);
}

/**
 * System s's own stream: the s-th child of the systems' stream, the same however many systems the
 * run ends with (children are drawn in order), so a system's numbers do not depend on the others.
 */
export function systemStream(parent: Rng, s: number): Rng {
  return parent.children(s + 1)[s] as Rng;
}

/** The pilot's temperatures as the per-step rows every log Z report carries. */
function perStepOf(temperatures: readonly TemperatureRecord[]): StepDiagnostics[] {
  let previous = 0;
  return temperatures.map((t, i) => {
    const row: StepDiagnostics = {
      step: i + 1,
      beta: t.beta,
      essFraction: t.essFraction,
      essCount: NaN,
      logZ: t.logZ,
      logZIncrement: t.logZ - previous,
      resampled: 1,
      acceptance: t.acceptance,
      diverged: t.diverged,
    };
    previous = t.logZ;
    return row;
  });
}
