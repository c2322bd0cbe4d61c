// A run of batches described as data: which target, which sampler with which settings, which
// initial distribution, which random stream, how many particles in how many batches. A request is
// plain data (structured-clone and JSON safe), so it crosses to worker threads as it is; there the
// same functions as in the caller's thread build the run from it, and every batch draws from its
// own random stream, so a run gives the same numbers whichever thread runs which of its batches.
import type { RngState } from '../engine/index.js';
import type { Distribution } from '../distributions/distribution.js';
import type { ResamplingOptions } from '../annealing/resampling.js';
import type { ScheduleName } from '../annealing/schedule.js';
import type { LearnedSamplerConfig } from '../annealing/learned.js';
import type { EstimateLogZOptions, EstimateSamplerName } from '../eval/estimateLogZ.js';
import type { SavedParam } from '../nets/params.js';
import { createTarget } from '../targets/registry.js';
import { loadTargetModule } from '../targets/module.js';
import { TargetError, type Target } from '../targets/target.js';
import type { TargetOptions } from '../targets/options.js';
import { flowFromRunDir } from '../flows/run.js';
import { flowDistribution } from '../flows/adapters.js';

/**
 * Which target: a built-in one by `name` with its options, or the one a JavaScript `module` exports
 * (given the requested `dim`; the other options apply to built-in targets only). One of the two.
 */
export interface TargetRequest extends TargetOptions {
  name?: string;
  /** A module's file, absolute or relative to the working directory of the thread that loads it. */
  module?: string;
}

/**
 * The initial distribution: an isotropic Gaussian N(mean, scale^2 I) (default N(0, I)), or the
 * trained flow of a run directory of `anneal flow train` (`flow`), which must have the target's dim.
 */
export type InitialRequest = { mean?: number; scale?: number } | { flow: string };

/** A fixed-kernel run (AIS or SMC) of estimateLogZ, as data. */
export interface EstimateRequest {
  kind: 'estimate';
  target: TargetRequest;
  /** Default 'ais-ula'. */
  sampler?: EstimateSamplerName;
  /** Annealing steps; default 64. */
  steps?: number;
  /** Particles; default 1000. */
  particles?: number;
  /** Independent batches, each with its own random stream; default as estimateLogZ's. */
  batches?: number;
  /** Seed of the run's stream; default 0. */
  seed?: number;
  /** Default 'linear'. */
  schedule?: ScheduleName | readonly number[];
  /** A constant, or one value per step. */
  stepSize?: number | readonly number[];
  leapfrogSteps?: number;
  /** SMC: resampling inside the chain (as estimateLogZ's `resampling`). */
  resampling?: ResamplingOptions;
  /** Default N(0, I). */
  initial?: InitialRequest;
  /** Keep the final particles and their log-weights (the result's samples). */
  returnSamples?: boolean;
}

/**
 * Where a learned sampler comes from: the run directory of `anneal train` (`run`), or a config with
 * trained parameters (`sampler.params.save()`) on a target, from a Gaussian or a trained flow.
 */
export type SamplerRequest =
  | { run: string }
  | {
      target: TargetRequest;
      config: LearnedSamplerConfig;
      params: Record<string, SavedParam>;
      /** A run directory of `anneal flow train`: the sampler's fixed initial distribution. */
      initialFlow?: string;
    };

/** The evaluation of a learned sampler with fresh particles (evaluateSampler), as data. */
export interface EvaluateRequest {
  kind: 'evaluate';
  sampler: SamplerRequest;
  particles: number;
  /** Default as evaluateSampler's. */
  batches?: number;
  /** The evaluation's stream: a seed, or a stream's state (`rng.state()`), which wins. */
  seed?: number;
  rng?: RngState;
  /** Keep the final particles and their log-weights (the result's samples). */
  returnSamples?: boolean;
}

/** A run of batches: a fixed-kernel estimate or a learned sampler's evaluation. */
export type BatchRequest = EstimateRequest | EvaluateRequest;

/** The target of a request or a run config: a built-in one by name, or the one a module exports. */
export async function buildTarget(request: TargetRequest): Promise<Target> {
  const { name, module, ...options } = request;
  if ((name === undefined) === (module === undefined))
    throw new TargetError('a target is a built-in one (name) or a module (module), one of them');
  if (module !== undefined) return loadTargetModule(module, { dim: options.dim });
  return createTarget(name as string, options);
}

/**
 * The initial distribution of a request for a target of dimension `dim`; a trained flow's
 * dimension must be `dim` (FlowDimensionError). The engine must be started. Dispose it when done.
 */
export function buildInitial(
  initial: InitialRequest | undefined,
  dim: number,
): { initial: EstimateLogZOptions['initial']; dispose: () => void } {
  if (initial && 'flow' in initial) {
    const flow: Distribution & { dispose: () => void } = flowDistribution(
      flowFromRunDir(initial.flow, { dim }),
    );
    return { initial: flow, dispose: () => flow.dispose() };
  }
  return { initial: { scale: initial?.scale, mean: initial?.mean }, dispose: () => {} };
}

/**
 * The estimator's options of a request (for runLogZBatches, estimateLogZ and summarizeRun): builds
 * its target and initial distribution, which dispose() frees.
 */
export async function estimateOptions(
  request: EstimateRequest,
  onStep?: (step: number, steps: number) => void,
): Promise<{ options: EstimateLogZOptions; dispose: () => void }> {
  const target = await buildTarget(request.target);
  try {
    const { initial, dispose } = buildInitial(request.initial, target.dim);
    return {
      options: {
        target,
        sampler: request.sampler,
        resampling: request.resampling,
        steps: request.steps,
        particles: request.particles,
        schedule: request.schedule,
        stepSize: request.stepSize,
        leapfrogSteps: request.leapfrogSteps,
        initial,
        seed: request.seed,
        batches: request.batches,
        onStep,
        ...(request.returnSamples ? { returnSamples: true } : {}),
      },
      dispose: () => {
        dispose();
        target.dispose?.();
      },
    };
  } catch (error) {
    target.dispose?.();
    throw error;
  }
}
