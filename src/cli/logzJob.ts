// `anneal logz` for the fixed-kernel samplers (AIS and SMC) as a job over a range of batches:
// the same code runs the whole run in this process or a group of batches in a worker thread
// (--workers), and each batch draws from its own random stream, so both give the same numbers.
import { baseSampler, isSmcSamplerName, SMC_SAMPLERS } from '../annealing/samplers.js';
import { GST_DEFAULT_TEMPERATURE, type ResamplingOptions } from '../annealing/resampling.js';
import { runLogZBatches, type BatchRun, type EstimateLogZOptions } from '../eval/estimateLogZ.js';
import { createTarget } from '../targets/registry.js';
import { loadTargetModule } from '../targets/module.js';
import { loadTrainedFlow } from '../flows/run.js';
import { flowDistribution } from '../flows/adapters.js';
import type { Flow } from '../flows/flow.js';
import type { Target } from '../targets/target.js';
import { UsageError } from './errors.js';
import type { LogzOptions } from './logzOptions.js';

/** Resampling options of an SMC sampler from the command line; null for AIS samplers. */
export function resamplingOptions(o: LogzOptions): ResamplingOptions | null {
  if (!isSmcSamplerName(o.sampler)) {
    if (o.resampling !== undefined || o.essThreshold !== undefined || o.temperature !== undefined)
      throw new UsageError(
        `--resampling, --ess-threshold and --temperature need an SMC sampler (${SMC_SAMPLERS.join(', ')})`,
      );
    return null;
  }
  return {
    scheme: o.resampling ?? 'systematic',
    essThreshold: o.essThreshold ?? null,
    temperature: o.temperature ?? GST_DEFAULT_TEMPERATURE,
  };
}

/** Options of the built-in targets, by their command-line names. */
const TARGET_FLAGS = {
  loc: '--loc',
  sigma2: '--sigma2',
  components: '--components',
  meansSeed: '--means-seed',
  df: '--df',
  data: '--data',
  width: '--width',
  kappa: '--kappa',
  lambda: '--lambda',
  beta: '--beta',
} as const;

/** The target named on the command line, or the one a --target-module file exports. */
export async function targetFrom(o: LogzOptions): Promise<Target> {
  if (o.targetModule) {
    const given = Object.entries(TARGET_FLAGS).filter(
      ([k]) => o[k as keyof LogzOptions] !== undefined,
    );
    if (given.length)
      throw new UsageError(
        `${given.map(([, flag]) => flag).join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to built-in targets, not to --target-module (only --dim is passed on)`,
      );
    return loadTargetModule(o.targetModule, { dim: o.dim });
  }
  return createTarget(o.target as string, {
    dim: o.dim,
    loc: o.loc,
    sigma2: o.sigma2,
    components: o.components,
    meansSeed: o.meansSeed,
    df: o.df,
    dataPath: o.data,
    width: o.width,
    kappa: o.kappa,
    lambda: o.lambda,
    beta: o.beta,
  });
}

/** A trained flow (from `anneal flow train`) to start the chain from; its dimension must match. */
export async function flowInitial(dir: string, dim: number): Promise<Flow> {
  const { flow, target } = await loadTrainedFlow(dir);
  target.dispose?.();
  if (flow.dim !== dim) {
    flow.dispose();
    throw new UsageError(
      `--init-flow: the flow in '${dir}' has dim ${flow.dim}, the target ${dim}`,
    );
  }
  return flow;
}

/** The estimator's options for a fixed-kernel run, and what to free afterwards. */
export async function estimateOptions(
  o: LogzOptions,
  target: Target,
  onStep?: (step: number, steps: number) => void,
): Promise<{ options: EstimateLogZOptions; dispose: () => void }> {
  const base = baseSampler(o.sampler);
  const resampling = resamplingOptions(o);
  const flow = o.initFlow ? await flowInitial(o.initFlow, target.dim) : null;
  return {
    options: {
      target,
      sampler: base as EstimateLogZOptions['sampler'],
      resampling: resampling ?? undefined,
      steps: o.steps,
      particles: o.particles,
      schedule: o.schedule,
      stepSize: o.stepSize,
      leapfrogSteps: o.leapfrog,
      initial: flow ? flowDistribution(flow) : { scale: o.initScale, mean: o.initMean },
      seed: o.seed,
      batches: o.batches,
      onStep,
    },
    dispose: () => flow?.dispose(),
  };
}

export interface LogzJob {
  options: LogzOptions;
  first: number;
  count: number;
}

/** One worker's share of a run: batches [first, first + count). Progress: [step, steps]. */
export async function runJob(job: LogzJob, report: (message: unknown) => void): Promise<BatchRun> {
  const target = await targetFrom(job.options);
  try {
    const { options, dispose } = await estimateOptions(job.options, target, (k, total) =>
      report([k, total]),
    );
    try {
      return runLogZBatches(options, job.first, job.count);
    } finally {
      dispose();
    }
  } finally {
    target.dispose?.();
  }
}
