import { z } from 'zod';
import { BACKENDS, Rng, initEngine, currentBackend } from '../engine/index.js';
import { SAMPLERS } from '../annealing/samplers.js';
import { LEARNED_SAMPLERS, type LearnedSamplerName } from '../annealing/learned.js';
import { SCHEDULES } from '../annealing/schedule.js';
import { estimateLogZ } from '../eval/estimateLogZ.js';
import { evaluateSampler } from '../eval/evaluateSampler.js';
import type { LogWeightSummary } from '../eval/logWeights.js';
import { createTarget } from '../targets/registry.js';
import { loadTrainedSampler } from '../train/run.js';
import { trainAndEvaluate } from '../train/trainAndEvaluate.js';
import { UsageError } from './errors.js';
import {
  choice,
  finiteNumber,
  nonNegativeInt,
  parseOptions,
  positiveInt,
  positiveNumber,
} from './options.js';
import { progressBar } from './progress.js';

const ALL_SAMPLERS = [...SAMPLERS, ...LEARNED_SAMPLERS] as const;

export const LogzOptionsSchema = z.object({
  target: z.string().optional(),
  from: z.string().optional(),
  sampler: choice(ALL_SAMPLERS),
  steps: positiveInt,
  particles: positiveInt,
  seed: nonNegativeInt,
  stepSize: positiveNumber.optional(),
  leapfrog: positiveInt.optional(),
  eta: z
    .preprocess(
      Number,
      z.number().gt(0, 'expected a number in (0, 1)').lt(1, 'expected a number in (0, 1)'),
    )
    .optional(),
  schedule: choice(SCHEDULES),
  dim: positiveInt.optional(),
  loc: positiveNumber.optional(),
  sigma2: positiveNumber.optional(),
  components: positiveInt.optional(),
  meansSeed: nonNegativeInt.optional(),
  df: positiveNumber.optional(),
  data: z.string().optional(),
  initScale: positiveNumber,
  initMean: finiteNumber,
  batches: positiveInt,
  trainIters: nonNegativeInt,
  trainParticles: positiveInt,
  lr: positiveNumber,
  backend: choice(BACKENDS).optional(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});
export type LogzOptions = z.infer<typeof LogzOptionsSchema>;

/** What every logz path reports. */
interface Report extends LogWeightSummary {
  target: string;
  dim: number;
  sampler: string;
  steps: number;
  particles: number;
  trueLogZ: number | null;
  error: number | null;
  seconds: number;
  trained?: { iterations: number; skipped: number; seconds: number; from?: string };
}

const isLearned = (name: string): name is LearnedSamplerName =>
  (LEARNED_SAMPLERS as readonly string[]).includes(name);

export async function logzCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(LogzOptionsSchema, raw);
  if (!o.from && !o.target)
    throw new UsageError("required option '--target <name>' not specified (or --from RUN_DIR)");
  if (o.from && o.target)
    throw new UsageError('--from evaluates a trained run on its own target; drop --target');
  await initEngine({ backend: o.backend });
  const quiet = Boolean(o.quiet);
  const report = o.from ? await fromRun(o, quiet) : await fresh(o, quiet);
  if (o.json) {
    const out = {
      target: report.target,
      sampler: report.sampler,
      steps: report.steps,
      particles: report.particles,
      logZ: report.logZ,
      logZStdErr: report.logZStdErr,
      elbo: report.elbo,
      ess: report.essFraction,
      trueLogZ: report.trueLogZ,
      seconds: report.seconds,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  process.stdout.write(formatReport(report, o.seed, currentBackend()));
}

async function fresh(o: LogzOptions, quiet: boolean): Promise<Report> {
  const target = createTarget(o.target as string, {
    dim: o.dim,
    loc: o.loc,
    sigma2: o.sigma2,
    components: o.components,
    meansSeed: o.meansSeed,
    df: o.df,
    dataPath: o.data,
  });
  const progress = progressBar(`${o.sampler} on ${target.name}`, { quiet });
  const training = progressBar('training', { quiet, unit: 'iterations' });
  try {
    if (!isLearned(o.sampler)) {
      if (o.trainIters > 0)
        throw new UsageError(
          `--train-iters needs a learned sampler (${LEARNED_SAMPLERS.join(', ')})`,
        );
      const e = estimateLogZ({
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
      return { ...e, dim: target.dim };
    }
    if (o.schedule !== 'linear') {
      throw new UsageError(
        'learned samplers start from the linear schedule and learn it; drop --schedule',
      );
    }
    const started = performance.now();
    const e = trainAndEvaluate({
      target,
      sampler: {
        kind: o.sampler,
        steps: o.steps,
        stepSize: o.stepSize ?? (o.sampler.startsWith('uha') ? 0.1 : 0.01),
        ...(o.eta !== undefined ? { eta: o.eta } : {}),
        ...(o.leapfrog !== undefined ? { leapfrogSteps: o.leapfrog } : {}),
        initialMean: o.initMean,
        initialScale: o.initScale,
      },
      trainIterations: o.trainIters,
      trainParticles: o.trainParticles,
      learningRate: o.lr,
      particles: o.particles,
      batches: o.batches,
      seed: o.seed,
      onIteration: (m, total) => training.update(m.iteration, total, `ELBO ${m.elbo.toFixed(3)}`),
      onEvalStep: (k, total) => {
        training.stop();
        progress.update(k, total);
      },
    });
    return {
      ...e,
      target: target.name,
      dim: target.dim,
      sampler: o.sampler,
      steps: o.steps,
      particles: o.particles,
      seconds: (performance.now() - started) / 1000,
      trained: o.trainIters > 0 ? e.trained : undefined,
    };
  } finally {
    progress.stop();
    training.stop();
    target.dispose?.();
  }
}

async function fromRun(o: LogzOptions, quiet: boolean): Promise<Report> {
  const { config, target, sampler, iteration } = await loadTrainedSampler(o.from as string);
  const progress = progressBar(`${config.sampler.kind} on ${target.name}`, { quiet });
  try {
    const e = evaluateSampler(sampler, {
      particles: o.particles,
      batches: o.batches,
      rng: Rng.fromSeed(o.seed),
      onStep: (k, total) => progress.update(k, total),
    });
    return {
      ...e,
      target: target.name,
      dim: target.dim,
      sampler: config.sampler.kind,
      steps: config.sampler.steps,
      particles: o.particles,
      trained: { iterations: iteration, skipped: 0, seconds: 0, from: o.from },
    };
  } finally {
    progress.stop();
    sampler.dispose();
    target.dispose?.();
  }
}

function fmt(x: number | null, digits = 4): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

export function formatReport(e: Report, seed: number, backend: string): string {
  const rows: [string, string][] = [
    ['target', `${e.target} (dim ${e.dim})`],
    ['sampler', `${e.sampler}, ${e.steps} steps, ${e.particles} particles, seed ${seed}`],
  ];
  if (e.trained?.from)
    rows.push(['trained', `run ${e.trained.from} (${e.trained.iterations} iterations)`]);
  else if (e.trained) {
    rows.push([
      'trained',
      `${e.trained.iterations} iterations (${e.trained.skipped} skipped) in ${e.trained.seconds.toFixed(1)} s; evaluated on fresh particles`,
    ]);
  }
  rows.push(
    ['log Z', `${fmt(e.logZ)} ± ${fmt(e.logZStdErr)} (standard error over ${e.batches} batches)`],
    ['ELBO', `${fmt(e.elbo)} ± ${fmt(e.elboStdErr)}`],
    ['ESS', `${fmt(e.essFraction, 3)} of N (${e.essCount.toFixed(1)} particles)`],
  );
  if (e.trueLogZ !== null) {
    const sign = (e.error as number) >= 0 ? '+' : '';
    rows.push(['exact log Z', `${fmt(e.trueLogZ)} (error ${sign}${fmt(e.error)})`]);
  } else rows.push(['exact log Z', 'unknown']);
  rows.push(['time', `${e.seconds.toFixed(2)} s on ${backend}`]);
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join('');
}
