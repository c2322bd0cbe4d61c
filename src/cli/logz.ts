import { z } from 'zod';
import { BACKENDS, initEngine, currentBackend } from '../engine/index.js';
import { SAMPLERS } from '../annealing/samplers.js';
import { SCHEDULES } from '../annealing/schedule.js';
import { estimateLogZ, type LogZEstimate } from '../eval/estimateLogZ.js';
import { createTarget } from '../targets/registry.js';
import {
  choice,
  finiteNumber,
  nonNegativeInt,
  parseOptions,
  positiveInt,
  positiveNumber,
} from './options.js';
import { progressBar } from './progress.js';

export const LogzOptionsSchema = z.object({
  target: z.string({ error: 'a target name is required (see `anneal targets`)' }),
  sampler: choice(SAMPLERS),
  steps: positiveInt,
  particles: positiveInt,
  seed: nonNegativeInt,
  stepSize: positiveNumber.optional(),
  leapfrog: positiveInt.optional(),
  schedule: choice(SCHEDULES),
  dim: positiveInt.optional(),
  loc: positiveNumber.optional(),
  sigma2: positiveNumber.optional(),
  components: positiveInt.optional(),
  meansSeed: nonNegativeInt.optional(),
  initScale: positiveNumber,
  initMean: finiteNumber,
  batches: positiveInt,
  backend: choice(BACKENDS).optional(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});
export type LogzOptions = z.infer<typeof LogzOptionsSchema>;

export async function logzCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(LogzOptionsSchema, raw);
  await initEngine({ backend: o.backend });
  const target = createTarget(o.target, {
    dim: o.dim,
    loc: o.loc,
    sigma2: o.sigma2,
    components: o.components,
    meansSeed: o.meansSeed,
  });
  const progress = progressBar(`${o.sampler} on ${target.name}`, { quiet: Boolean(o.quiet) });
  let estimate: LogZEstimate;
  try {
    estimate = estimateLogZ({
      target,
      sampler: o.sampler,
      steps: o.steps,
      particles: o.particles,
      schedule: o.schedule,
      stepSize: o.stepSize,
      leapfrogSteps: o.leapfrog,
      initial: { scale: o.initScale, mean: o.initMean },
      seed: o.seed,
      batches: o.batches,
      onStep: (k, total) => progress.update(k, total),
    });
  } finally {
    progress.stop();
    target.dispose?.();
  }
  if (o.json) {
    const out = {
      target: estimate.target,
      sampler: estimate.sampler,
      steps: estimate.steps,
      particles: estimate.particles,
      logZ: estimate.logZ,
      logZStdErr: estimate.logZStdErr,
      elbo: estimate.elbo,
      ess: estimate.essFraction,
      trueLogZ: estimate.trueLogZ,
      seconds: estimate.seconds,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  process.stdout.write(formatEstimate(estimate, o.seed, currentBackend(), target.dim));
}

function fmt(x: number | null, digits = 4): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

export function formatEstimate(
  e: LogZEstimate,
  seed: number,
  backend: string,
  dim: number,
): string {
  const rows: [string, string][] = [
    ['target', `${e.target} (dim ${dim})`],
    ['sampler', `${e.sampler}, ${e.steps} steps, ${e.particles} particles, seed ${seed}`],
    ['log Z', `${fmt(e.logZ)} ± ${fmt(e.logZStdErr)} (standard error over ${e.batches} batches)`],
    ['ELBO', `${fmt(e.elbo)} ± ${fmt(e.elboStdErr)}`],
    ['ESS', `${fmt(e.essFraction, 3)} of N (${e.essCount.toFixed(1)} particles)`],
  ];
  if (e.trueLogZ !== null)
    rows.push([
      'exact log Z',
      `${fmt(e.trueLogZ)} (error ${e.error! >= 0 ? '+' : ''}${fmt(e.error)})`,
    ]);
  else rows.push(['exact log Z', 'unknown']);
  rows.push(['time', `${e.seconds.toFixed(2)} s on ${backend}`]);
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join('');
}
