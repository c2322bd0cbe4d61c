// log Z with no settings: the path `estimateLogZ({ target })` and `anneal logz --target T` take.
// 1. Fit a diagonal Gaussian start to the target (annealing/fitStart.ts; kept only where it helps).
// 2. A pilot SMC system from that start chooses everything as it runs (annealing/tunedSmc.ts):
//    the temperatures, the preconditioner, the step sizes and the moves per temperature.
// 3. Independent systems replay the pilot's choices, each with its own random stream. With every
//    choice fixed before they run, each system's Z estimate is unbiased, and the spread of their
//    log Z estimates gives the standard error (never the spread within one system).
// 4. Systems are added until the standard error reaches the asked-for value or the time runs out.
import { tf, Rng } from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { AnnealingPath } from '../annealing/path.js';
import { fitStart } from '../annealing/fitStart.js';
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
import { concatFloat32, summarizeLogWeights, systemBound } from './logWeights.js';
import type { AutoReport, AutoStop, LogZEstimate, WeightedParticles } from './logZEstimate.js';

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
  /** Stop adding systems after this many seconds of the whole run (default 50). */
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
export function checkAutoOptions(o: AutoLogZOptions): void {
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

/**
 * Estimates log Z of a target with nothing else given (see the module comment). Its standard
 * error comes from independent systems; `auto` in the result says what the pilot chose, whether
 * the fitted start was used, and what stopped the run.
 */
export function autoLogZ(options: AutoLogZOptions): AutoLogZEstimate {
  const started = performance.now();
  checkAutoOptions(options);
  const { target } = options;
  checkTarget(target);
  const n = options.particles ?? AUTO_DEFAULTS.particles;
  const minSystems = options.systems ?? AUTO_DEFAULTS.systems;
  const targetStdErr =
    options.targetStdErr === undefined ? AUTO_DEFAULTS.targetStdErr : options.targetStdErr;
  const maxSeconds = options.maxSeconds ?? AUTO_DEFAULTS.maxSeconds;
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
  const progress = (
    phase: AutoProgress['phase'],
    systems: number,
    planned: number,
    se: number | null,
  ) => options.onProgress?.({ phase, systems, planned, stdErr: se });

  progress('fit', 0, minSystems, null);
  const start =
    (options.start ?? 'fit') === 'fit'
      ? fitStart(target, fitStream, { initial: options.initial })
      : {
          mean: new Float64Array(target.dim).fill(options.initial?.mean ?? 0),
          scale: new Float64Array(target.dim).fill(options.initial?.scale ?? 1),
          fitted: false,
          reason: 'the configured initial distribution was asked for',
          elbo: null,
          initialElbo: null,
          seconds: 0,
        };
  const initial = new DiagGaussian(
    tf.tensor1d(Float32Array.from(start.mean)),
    tf.tensor1d(Float32Array.from(start.scale, Math.log)),
  );
  const limit = (what: string) =>
    new AutoLimitError(
      `the time limit (${maxSeconds} s) ran out during ${what}, before the ${minSystems} systems an estimate needs; allow more time or fewer particles per system`,
    );
  try {
    const path = new AnnealingPath(initial, target);
    progress('pilot', 0, minSystems, null);
    const pilotStarted = performance.now();
    let plan: TunedPlan;
    let temperatures: TemperatureRecord[];
    try {
      const pilot = runTunedSmc({
        path,
        particles: n,
        rng: pilotStream,
        move,
        chainLength,
        deadline,
        ...options.tuning,
      });
      pilot.z.dispose();
      plan = pilot.plan;
      temperatures = pilot.temperatures;
    } catch (error) {
      if (error instanceof TimeLimitError) throw limit('the pilot system');
      throw error;
    }
    const pilotSeconds = (performance.now() - pilotStarted) / 1000;
    const logZs: number[] = [];
    const samples: Float32Array[] = [];
    let stoppedBy: AutoStop = 'systems';
    let planned = minSystems;
    for (let s = 0; ; s++) {
      if (s >= planned) {
        const se = stdErrOf(logZs);
        if (targetStdErr === null) break;
        if (se !== null && se <= targetStdErr) {
          stoppedBy = 'target-se';
          break;
        }
        // The systems the asked-for error needs, if the spread stays as it is.
        const need = Math.ceil(logZs.length * ((se as number) / targetStdErr) ** 2);
        planned = Math.max(planned + 1, Math.min(need, planned * 2));
      }
      if (performance.now() > deadline) {
        if (logZs.length < minSystems) throw limit(`system ${s + 1}`);
        stoppedBy = 'time';
        break;
      }
      progress('systems', s, planned, stdErrOf(logZs));
      let r;
      try {
        r = runTunedSmc({
          path,
          particles: n,
          rng: systemStream(systemStreams, s),
          plan,
          deadline: logZs.length < minSystems ? deadline : undefined,
        });
      } catch (error) {
        if (error instanceof TimeLimitError) throw limit(`system ${s + 1}`);
        throw error;
      }
      logZs.push(r.logZ);
      if (options.returnSamples) samples.push(Float32Array.from(r.z.dataSync()));
      r.z.dispose();
    }
    progress('systems', logZs.length, logZs.length, stdErrOf(logZs));
    // Each particle carries its system's log Z: pooled, these give the log-mean-exp over systems
    // (an unbiased Z estimate) and the spread over systems as the standard error.
    const logW = new Float32Array(logZs.length * n);
    logZs.forEach((v, s) => logW.fill(v, s * n, (s + 1) * n));
    const summary = {
      ...summarizeLogWeights(logW, logZs.length),
      logZStdErr: stdErrOf(logZs),
    };
    const trueLogZ = target.logZ ?? null;
    const { mean, scale, ...startRest } = start;
    const samplesOut: WeightedParticles | null = options.returnSamples
      ? { z: concatFloat32(samples), logW, count: logW.length, dim: target.dim }
      : null;
    return {
      target: target.name,
      sampler: 'auto',
      steps: temperatures.length,
      particles: logW.length,
      ...summary,
      logZStdErrReliable: summary.logZStdErr !== null,
      trueLogZ,
      error: trueLogZ === null ? null : summary.logZ - trueLogZ,
      seconds: (performance.now() - started) / 1000,
      perStep: perStepOf(temperatures),
      smcBound: systemBound(logW, n),
      samples: samplesOut,
      moves: null,
      auto: {
        start: { ...startRest, meanRange: range(mean), scaleRange: range(scale) },
        temperatures,
        pilotSeconds,
        systemLogZ: logZs,
        stoppedBy,
        targetStdErr,
        move,
        chainLength,
      },
    };
  } finally {
    initial.dispose();
  }
}

/**
 * System s's own stream: the s-th child of the systems' stream, the same however many systems the
 * run ends with (children are drawn in order), so a system's numbers do not depend on the others.
 */
export function systemStream(parent: Rng, s: number): Rng {
  return parent.children(s + 1)[s] as Rng;
}

/**
 * The standard error of log(mean of Z-hat) over systems, by the delta method on Z-hat itself:
 * sd(Z-hat) / (sqrt(S) mean(Z-hat)). Where a few systems' estimates are far above the rest (heavy
 * tails, the sign of a start or moves that miss part of the target) this is large, as it should
 * be, where the spread of log Z-hat would look small. Null below two systems.
 */
export function stdErrOf(logZs: readonly number[]): number | null {
  const s = logZs.length;
  if (s < 2) return null;
  const top = Math.max(...logZs);
  const w = logZs.map((v) => Math.exp(v - top));
  const mean = w.reduce((a, b) => a + b, 0) / s;
  const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / (s - 1);
  return Math.sqrt(variance / s) / mean;
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
