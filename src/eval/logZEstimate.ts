// What a log Z estimate reports, whichever sampler made it (estimateLogZ's fixed samplers, the
// auto sampler of autoLogZ.ts).
import type { StepDiagnostics } from '../annealing/diagnostics.js';
import type { FittedStart } from '../annealing/fitStart.js';
import type { TemperatureRecord, TunedMove } from '../annealing/tunedSmc.js';
import type { EstimateSamplerName } from '../annealing/samplerTable.js';
import type { LogWeightSummary, SmcBound } from './logWeights.js';

export interface LogZEstimate extends LogWeightSummary {
  target: string;
  sampler: EstimateSamplerName | 'auto';
  steps: number;
  particles: number;
  /** Exact log Z where the target knows it, else null. */
  trueLogZ: number | null;
  /** logZ - trueLogZ where known. */
  error: number | null;
  seconds: number;
  perStep: StepDiagnostics[];
  /** SMC only: mean over systems of their log Z estimates, with its standard error. */
  smcBound: SmcBound | null;
  /** The final weighted particles with returnSamples, else null. */
  samples: WeightedParticles | null;
  /**
   * How the chain's moves ran: the fastest path that applied (a native chain, native steps, or
   * TF.js ops) and why each faster one did not, e.g. 'native step (not native chain: the chain
   * resamples)'.
   */
  moves: string | null;
  /**
   * How the target's score was computed where it has no closed form: a compiled density (one
   * native pass) or TF.js's autodiff op by op, with the reason (targets/score.ts describeScore).
   */
  score?: string;
  /** The auto sampler's report: its start, the pilot's choices, the systems (auto only). */
  auto?: AutoReport;
  /**
   * Why the result may not be what it seems, in plain words (eval/warnings.ts): moves almost never
   * accepted, many diverged proposals, a few particles carrying log Z, a standard error on too few
   * effective particles, one auto system carrying the estimate. Empty when nothing was noticed.
   */
  warnings: string[];
}

/** Why the run added no more systems. */
export type AutoStop = 'systems' | 'target-se' | 'time';

export interface AutoReport {
  /** The start's summary: whether the fit is used, why not, its ELBO. */
  start: Omit<FittedStart, 'mean' | 'scale' | 'components'> & {
    /** Components of a mixture start (one per mode found), null for a single Gaussian. */
    mixture: number | null;
    meanRange: [number, number];
    scaleRange: [number, number];
  };
  /** What the pilot chose at each temperature. */
  temperatures: TemperatureRecord[];
  pilotSeconds: number;
  /** Each counted system's log Z estimate. */
  systemLogZ: number[];
  stoppedBy: AutoStop;
  targetStdErr: number | null;
  move: TunedMove;
  /** Waste-free chain length, or null. */
  chainLength: number | null;
}

/**
 * The final particles of a run and their log-weights: z is row-major [count, dim] (for a tensor,
 * tf.tensor2d(z, [count, dim])); weights are proportional to exp(logW).
 */
export interface WeightedParticles {
  z: Float32Array;
  logW: Float32Array;
  count: number;
  dim: number;
}
