// The job module of autoLogZOnWorkers: a worker thread builds the target from its request and runs
// its group of the auto sampler's systems, replaying the pilot's plan.
import { Rng, type RngState } from '../engine/index.js';
import type { TunedPlan } from '../annealing/tunedSmc.js';
import { runAutoSystems, type SystemsRun } from '../eval/autoLogZ.js';
import { buildTarget, type TargetRequest } from '../runs/request.js';

/** Systems [first, first + count) of an auto run, as plain data for a worker. */
export interface AutoSystemsJob {
  target: TargetRequest;
  mean: Float64Array;
  scale: Float64Array;
  components: { mean: Float64Array; scale: Float64Array }[] | null;
  df: number | null;
  plan: TunedPlan;
  particles: number;
  /** The systems' parent stream. */
  systems: RngState;
  first: number;
  count: number;
  /** Date.now() past which no new system starts and a running one stops (threads' clocks differ). */
  deadlineEpoch: number;
  returnSamples: boolean;
}

export async function runJob(job: AutoSystemsJob): Promise<SystemsRun> {
  const target = await buildTarget(job.target);
  try {
    return runAutoSystems(
      target,
      {
        mean: job.mean,
        scale: job.scale,
        components: job.components,
        df: job.df,
        plan: job.plan,
        particles: job.particles,
        systems: Rng.fromState(job.systems),
      },
      job.first,
      job.count,
      {
        deadline: performance.now() + (job.deadlineEpoch - Date.now()),
        returnSamples: job.returnSamples,
      },
    );
  } finally {
    target.dispose?.();
  }
}
