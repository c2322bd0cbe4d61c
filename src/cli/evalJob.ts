// `anneal logz` evaluation of a learned sampler as a job over a range of batches, so that
// `--workers` can share the evaluation particles out: each worker rebuilds the sampler, from its
// run directory (--from) or from the parameters just trained (--train-iters), and runs its batches
// from the batches' own random streams, so every number of workers gives the same numbers.
import { Rng, type RngState } from '../engine/index.js';
import { LearnedSampler, type LearnedSamplerConfig } from '../annealing/learned.js';
import { evaluateSamplerBatches } from '../eval/evaluateSampler.js';
import type { BatchRun } from '../eval/estimateLogZ.js';
import { flowDistribution } from '../flows/adapters.js';
import type { SavedParam } from '../nets/params.js';
import { loadTrainedSampler } from '../runs/samplerRun.js';
import type { Target } from '../targets/target.js';
import { flowInitial, targetFrom } from './logzJob.js';
import type { LogzOptions } from './logzOptions.js';

/** Where a worker gets the sampler: a training run's directory, or trained parameters. */
export type SamplerSource =
  | { kind: 'run'; dir: string }
  | {
      kind: 'trained';
      options: LogzOptions;
      config: LearnedSamplerConfig;
      params: Record<string, SavedParam>;
    };

export interface EvalJob {
  source: SamplerSource;
  particles: number;
  batches: number;
  rng: RngState;
  first: number;
  count: number;
}

async function build(source: SamplerSource): Promise<{ sampler: LearnedSampler; target: Target }> {
  if (source.kind === 'run') return loadTrainedSampler(source.dir);
  const target = await targetFrom(source.options);
  try {
    const flow = source.options.initFlow
      ? await flowInitial(source.options.initFlow, target.dim)
      : null;
    const sampler = new LearnedSampler(target, source.config, Rng.fromSeed(0), {
      ...(flow ? { initial: flowDistribution(flow), owns: true } : {}),
    });
    sampler.params.load(source.params);
    return { sampler, target };
  } catch (error) {
    target.dispose?.();
    throw error;
  }
}

/** One worker's share of an evaluation: batches [first, first + count). Progress: [step, steps]. */
export async function runJob(job: EvalJob, report: (message: unknown) => void): Promise<BatchRun> {
  const { sampler, target } = await build(job.source);
  try {
    return evaluateSamplerBatches(
      sampler,
      {
        particles: job.particles,
        batches: job.batches,
        rng: Rng.fromState(job.rng),
        onStep: (k, total) => report([k, total]),
      },
      job.first,
      job.count,
    );
  } finally {
    sampler.dispose();
    target.dispose?.();
  }
}
