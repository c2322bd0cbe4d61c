// What a batch request builds, in whichever thread runs it: a runner of its batches. A runner runs
// any range of the run's batches, each batch from its own random stream, and summarizes a whole
// run from its batches' runs, so the batches can be shared out over worker threads (runBatches in
// src/parallel/) and the summary is the one of a single run.
import { Rng } from '../engine/index.js';
import { LearnedSampler } from '../annealing/learned.js';
import {
  batchLayout,
  runLogZBatches,
  summarizeRun,
  type BatchRun,
  type EstimateLogZOptions,
  type LogZEstimate,
} from '../eval/estimateLogZ.js';
import {
  evaluateSamplerBatches,
  evaluationLayout,
  summarizeEvaluation,
  type EvaluateOptions,
  type SamplerEvaluation,
} from '../eval/evaluateSampler.js';
import { flowFromRunDir } from '../flows/run.js';
import { flowDistribution } from '../flows/adapters.js';
import type { Target } from '../targets/target.js';
import type { StepDiagnostics } from '../annealing/ais.js';
import {
  buildTarget,
  estimateOptions,
  type BatchRequest,
  type EstimateRequest,
  type EvaluateRequest,
  type SamplerRequest,
} from './request.js';
import { loadTrainedSampler } from './samplerRun.js';

/** Progress of a chain: step k of K. */
export type OnStep = (step: number, steps: number) => void;

/** A chain's readings at a step (over the batches that ran together), of K steps. */
export type OnReading = (reading: StepDiagnostics, steps: number) => void;

/** What a runner reports as its batches run. */
export interface BatchHooks {
  onStep?: OnStep;
  /** Readings per step: a small device read each step, so asked for only where wanted. */
  onReading?: OnReading;
}

/** A run's batches, ready to run in ranges, and how a whole run is summarized. */
export interface BatchRunner<S> {
  /** The run's batch count. */
  readonly batches: number;
  /** The target the run is on. */
  readonly target: Target;
  /** Batches [first, first + count), each from its own random stream. */
  run(first: number, count: number, hooks?: BatchHooks): BatchRun;
  /** The whole run's summary from the runs of all its batches combined (combineBatchRuns). */
  summarize(run: BatchRun, seconds: number): S;
  /** Frees what the runner built (not what it was given). */
  dispose(): void;
}

/** What a request's run sums up to: a log Z estimate, or a learned sampler's evaluation. */
export type BatchSummary<R extends BatchRequest> = R extends EstimateRequest
  ? LogZEstimate
  : SamplerEvaluation;

/**
 * A runner of estimateLogZ's batches from its options (target and initial distribution built);
 * `dispose` frees what the caller wants freed with it. Raises a RangeError when the particles do not
 * split into the batches.
 */
export function estimateRunner(
  options: EstimateLogZOptions,
  dispose: () => void = () => {},
): BatchRunner<LogZEstimate> {
  const { batches } = batchLayout(options);
  return {
    batches,
    target: options.target,
    run: (first, count, hooks = {}) => runLogZBatches({ ...options, ...hooks }, first, count),
    summarize: (run, seconds) => summarizeRun(options, run, seconds),
    dispose,
  };
}

/**
 * A runner of a learned sampler's evaluation batches (the sampler stays the caller's unless
 * `dispose` frees it). Raises a RangeError when the particles do not split into batches of whole
 * systems.
 */
export function samplerRunner(
  sampler: LearnedSampler,
  options: EvaluateOptions,
  dispose: () => void = () => {},
): BatchRunner<SamplerEvaluation> {
  const { batches } = evaluationLayout(sampler, options);
  return {
    batches,
    target: sampler.target,
    run: (first, count, hooks = {}) =>
      evaluateSamplerBatches(sampler, { ...options, ...hooks }, first, count),
    summarize: (run, seconds) => summarizeEvaluation(sampler, options, run, seconds),
    dispose,
  };
}

/**
 * The learned sampler of a request and its target: loaded from a training run's directory, or
 * built from a config and trained parameters. The caller disposes both.
 */
export async function samplerFrom(
  request: SamplerRequest,
): Promise<{ sampler: LearnedSampler; target: Target }> {
  if ('run' in request) return loadTrainedSampler(request.run);
  const target = await buildTarget(request.target);
  try {
    const flow = request.initialFlow
      ? flowFromRunDir(request.initialFlow, { dim: target.dim })
      : null;
    // The initialization stream does not matter: the trained parameters replace its draws.
    const sampler = new LearnedSampler(target, request.config, Rng.fromSeed(0), {
      ...(flow ? { initial: flowDistribution(flow), owns: true } : {}),
    });
    try {
      sampler.params.load(request.params);
    } catch (error) {
      sampler.dispose();
      throw error;
    }
    return { sampler, target };
  } catch (error) {
    target.dispose?.();
    throw error;
  }
}

/**
 * Builds what a request describes (target, initial distribution, sampler) in this thread, as a
 * runner of its batches; the engine must be started. The caller disposes the runner.
 */
export async function openBatchRunner<R extends BatchRequest>(
  request: R,
): Promise<BatchRunner<BatchSummary<R>>>;
export async function openBatchRunner(
  request: BatchRequest,
): Promise<BatchRunner<LogZEstimate | SamplerEvaluation>> {
  if (request.kind === 'estimate') {
    const { options, dispose } = await estimateOptions(request);
    try {
      return estimateRunner(options, dispose);
    } catch (error) {
      dispose();
      throw error;
    }
  }
  return evaluateRunner(request);
}

async function evaluateRunner(request: EvaluateRequest): Promise<BatchRunner<SamplerEvaluation>> {
  const { sampler, target } = await samplerFrom(request.sampler);
  const dispose = () => {
    sampler.dispose();
    target.dispose?.();
  };
  try {
    const rng = request.rng ? Rng.fromState(request.rng) : Rng.fromSeed(request.seed ?? 0);
    return samplerRunner(
      sampler,
      {
        particles: request.particles,
        batches: request.batches,
        rng,
        ...(request.returnSamples ? { returnSamples: true } : {}),
      },
      dispose,
    );
  } catch (error) {
    dispose();
    throw error;
  }
}

/** One worker's share of a run: batches [first, first + count) of the request's run. */
export interface BatchJob {
  request: BatchRequest;
  first: number;
  count: number;
  /** Report each step's readings with its progress (a device read per step); default false. */
  readings?: boolean;
}

/** A worker's progress message: the step it reached, and its readings there when asked for. */
export interface BatchProgress {
  step: number;
  steps: number;
  reading?: StepDiagnostics;
}

/**
 * Runs a job's batches in this thread (the worker side of runBatches): builds the request's run,
 * runs the batches and frees what it built. `report` gets a BatchProgress per step.
 */
export async function runBatchJob(
  job: BatchJob,
  report: (message: BatchProgress) => void = () => {},
): Promise<BatchRun> {
  const runner = await openBatchRunner(job.request);
  try {
    return runner.run(
      job.first,
      job.count,
      job.readings
        ? { onReading: (reading, steps) => report({ step: reading.step, steps, reading }) }
        : { onStep: (step, steps) => report({ step, steps }) },
    );
  } finally {
    runner.dispose();
  }
}
