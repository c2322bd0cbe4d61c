// The auto sampler with its independent systems shared out over worker threads: the fit and the
// pilot run here, then each round of systems (the same rounds as in one thread) is split into
// consecutive groups, one per worker, each replaying the pilot's plan from its systems' own
// streams. Without a time limit cutting a round short, any number of workers pools the same
// systems and prints the same estimate.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBackend, type BackendName } from '../engine/index.js';
import {
  addSystems,
  finishAuto,
  prepareAuto,
  type AutoLogZEstimate,
  type AutoLogZOptions,
  type SystemsRun,
} from '../eval/autoLogZ.js';
import type { TargetRequest } from '../runs/request.js';
import type { AutoSystemsJob } from './autoJob.js';
import { batchGroups } from './batches.js';
import { runTasks } from './pool.js';

function jobModule(): string {
  const ext = extname(fileURLToPath(import.meta.url));
  return new URL(`./autoJob${ext}`, import.meta.url).href;
}

/**
 * autoLogZ with the systems on `workers` worker threads. The workers build the target from
 * `request` (a target module must be a path that resolves in them too: an absolute one); `options`
 * holds the same target, built in this thread, for the fit and the pilot.
 */
export async function autoLogZOnWorkers(
  options: AutoLogZOptions,
  request: TargetRequest,
  workers: number,
): Promise<AutoLogZEstimate> {
  const run = prepareAuto(options);
  const returnSamples = options.returnSamples ?? false;
  const base = {
    target: request,
    mean: run.setup.mean,
    scale: run.setup.scale,
    components: run.setup.components,
    df: run.setup.df,
    plan: run.setup.plan,
    particles: run.setup.particles,
    systems: run.setup.systems.state(),
    deadlineEpoch: Date.now() + (run.deadline - performance.now()),
    returnSamples,
  };
  const added = await addSystems(
    run,
    async (first, count) => {
      const groups = batchGroups(count, Math.min(Math.max(1, Math.floor(workers)), count));
      const runs = await runTasks<AutoSystemsJob, SystemsRun>(
        jobModule(),
        groups.map((g) => ({ ...base, first: first + g.first, count: g.count })),
        { workers: groups.length, backend: currentBackend() as BackendName },
      );
      return {
        logZ: runs.flatMap((r) => r.logZ),
        z: returnSamples ? runs.flatMap((r) => r.z ?? []) : null,
        timedOut: runs.some((r) => r.timedOut),
      };
    },
    options.onProgress,
  );
  return finishAuto(options.target, run, added, returnSamples);
}
