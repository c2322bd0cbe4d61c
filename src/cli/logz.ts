import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, initEngine, currentBackend, type BackendName } from '../engine/index.js';
import { baseSampler, samplersTaking } from '../annealing/samplers.js';
import type { ResamplingOptions } from '../annealing/resampling.js';
import {
  LEARNED_SAMPLERS,
  type LearnedSampler,
  type LearnedSamplerName,
} from '../annealing/learned.js';
import {
  combineBatchRuns,
  runLogZBatches,
  defaultBatches,
  splitBatches,
  summarizeRun,
  type BatchRun,
  type EstimateLogZOptions,
  type LogZEstimate,
} from '../eval/estimateLogZ.js';
import { runTasks } from '../parallel/pool.js';
import {
  estimateOptions,
  flowInitial,
  resamplingOptions,
  targetFrom,
  type LogzJob,
} from './logzJob.js';
import {
  evaluateSampler,
  evaluationLayout,
  summarizeEvaluation,
  type EvaluateOptions,
  type SamplerEvaluation,
} from '../eval/evaluateSampler.js';
import type { EvalJob, SamplerSource } from './evalJob.js';
import type { LogWeightSummary, SmcBound } from '../eval/logWeights.js';
import { divergences, type StepDiagnostics } from '../annealing/ais.js';
import { loadTrainedSampler } from '../runs/samplerRun.js';
import { flowDistribution } from '../flows/adapters.js';
import { trainSampler } from '../train/trainAndEvaluate.js';
import { UsageError } from './errors.js';
import { logZJson, logZText } from './logZText.js';
import { parseOptions } from './options.js';
import { LogzOptionsSchema, type LogzOptions } from './logzOptions.js';
import { progressBar } from './progress.js';
import { resolveTargetModule } from '../targets/module.js';

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
  /** SMC: the bound and the last step's per-system ESS replace the ELBO and pooled ESS rows. */
  smcBound?: SmcBound | null;
  perStep?: StepDiagnostics[];
  /** How the chain's moves ran (fastest path and why the faster ones did not apply). */
  moves?: string | null;
}

const isLearned = (name: string): name is LearnedSamplerName =>
  (LEARNED_SAMPLERS as readonly string[]).includes(name);

/** Options a --from evaluation takes; the others describe a sampler it does not build. */
const FROM_OPTIONS = new Set([
  'from',
  'particles',
  'batches',
  'seed',
  'workers',
  'backend',
  'json',
  'quiet',
]);
const ETA_SAMPLERS: ReadonlySet<string> = new Set(samplersTaking('eta'));
const LEAPFROG_SAMPLERS: ReadonlySet<string> = new Set(samplersTaking('leapfrogSteps'));
const TRAINING_OPTIONS = ['trainIters', 'trainParticles', 'lr', 'initFlow'] as const;

const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Refuses options the run would ignore: a silently ignored option is a result the user did not ask
 * for. `given` holds the options typed on the command line (defaults are not given).
 */
export function refuseIgnoredOptions(o: LogzOptions, given: ReadonlySet<string>): void {
  if (o.from) {
    const ignored = [...given].filter((name) => !FROM_OPTIONS.has(name));
    if (ignored.length)
      throw new UsageError(
        `--from evaluates the trained run as it is; ${ignored.map(flag).join(', ')} ${ignored.length > 1 ? 'do' : 'does'} not apply`,
      );
    return;
  }
  if (given.has('eta') && !ETA_SAMPLERS.has(o.sampler))
    throw new UsageError(
      `--eta applies to the UHA samplers (${[...ETA_SAMPLERS].join(', ')}), not ${o.sampler}`,
    );
  if (given.has('leapfrog') && !LEAPFROG_SAMPLERS.has(o.sampler))
    throw new UsageError(`--leapfrog applies to HMC and UHA samplers, not ${o.sampler}`);
  const scheme = o.resampling ?? 'systematic';
  if (given.has('temperature') && !['gst', 'bern-gst'].includes(scheme))
    throw new UsageError(
      `--temperature applies to the gst and bern-gst resampling schemes, not ${scheme}`,
    );
  if (given.has('essThreshold') && scheme.startsWith('bern-'))
    throw new UsageError(
      `--ess-threshold does not apply to ${scheme}, which draws its own resampling decision`,
    );
  if (!isLearned(baseSampler(o.sampler))) {
    const training = TRAINING_OPTIONS.filter((name) => given.has(name) && name !== 'initFlow');
    if (training.length)
      throw new UsageError(
        `${training.map(flag).join(', ')} ${training.length > 1 ? 'apply' : 'applies'} to learned samplers (${LEARNED_SAMPLERS.join(', ')}), not ${o.sampler}`,
      );
  }
}

export async function logzCommand(
  raw: Record<string, unknown>,
  given: ReadonlySet<string> = new Set(),
): Promise<void> {
  // A valid particle count never fails for want of a batch count (SMC: each batch is a system).
  const o = parseOptions(LogzOptionsSchema, {
    ...raw,
    batches: raw.batches ?? String(defaultBatches(Number(raw.particles))),
  });
  if (!o.from && !o.target && !o.targetModule)
    throw new UsageError(
      "required option '--target <name>' not specified (or --target-module FILE, or --from RUN_DIR)",
    );
  if (o.from && (o.target || o.targetModule))
    throw new UsageError(
      `--from evaluates a trained run on its own target; drop ${o.target ? '--target' : '--target-module'}`,
    );
  if (o.target && o.targetModule)
    throw new UsageError('give --target or --target-module, not both');
  refuseIgnoredOptions(o, given);
  // Workers and later evaluations (--from) find the module wherever they run.
  if (o.targetModule) o.targetModule = resolveTargetModule(o.targetModule);
  await initEngine({ backend: o.backend });
  const quiet = Boolean(o.quiet);
  const report = o.from ? await fromRun(o, quiet) : await fresh(o, quiet);
  const warnings = reportWarnings(report);
  for (const w of warnings) process.stderr.write(`anneal: warning: ${w}\n`);
  if (o.json) {
    const out = {
      target: report.target,
      sampler: report.sampler,
      steps: report.steps,
      particles: report.particles,
      logZ: report.logZ,
      logZStdErr: report.logZStdErr,
      ...logZJson(report),
      elbo: report.elbo,
      ess: report.essFraction,
      diverged: divergedTotal(report.perStep),
      trueLogZ: report.trueLogZ,
      seconds: report.seconds,
      warnings,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  process.stdout.write(formatReport(report, o.seed, currentBackend()));
}

/** Below these, an estimate is printed with a warning: it says little about the target. */
export const LOW_ACCEPTANCE = 0.05;
export const LOW_ESS_SHARE = 0.01;

/**
 * Warnings about a result that ran without error but should not be trusted: MH moves that were
 * almost never accepted (the chain stayed where it started, so the estimate is the initial
 * distribution's), or weights so degenerate that a handful of particles carry the estimate.
 */
export function reportWarnings(report: Report): string[] {
  const warnings: string[] = [];
  const rates = (report.perStep ?? [])
    .map((s) => s.acceptance)
    .filter((a): a is number => a !== null && Number.isFinite(a));
  if (rates.length) {
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    if (mean < LOW_ACCEPTANCE)
      warnings.push(
        `mean acceptance ${mean.toFixed(3)} (below ${LOW_ACCEPTANCE}): the moves were almost all rejected, so the estimate mostly reflects the initial distribution; lower --step-size`,
      );
  }
  if (report.essCount < LOW_ESS_SHARE * report.particles)
    warnings.push(
      `ESS ${report.essCount.toFixed(1)} of ${report.particles} particles (below ${100 * LOW_ESS_SHARE}%): a few particles carry log Z, which is unreliable; use more steps or particles, or a closer initial distribution`,
    );
  return warnings;
}

/** Diverged MH proposals over the chain; null for kernels without accept/reject. */
function divergedTotal(perStep: readonly StepDiagnostics[] | undefined): number | null {
  if (!perStep || perStep.length === 0 || perStep[0]?.diverged === null) return null;
  return divergences(perStep)?.count ?? 0;
}

/** How a sampler is named in reports: its name plus the resampling rule for SMC. */
function samplerLabel(name: string, r: ResamplingOptions | null): string {
  if (!r) return name;
  const when = r.essThreshold ? `when ESS < ${r.essThreshold} N` : 'every step';
  return `${name} (${r.scheme}, ${when})`;
}

async function fresh(o: LogzOptions, quiet: boolean): Promise<Report> {
  const resampling = resamplingOptions(o);
  const base = baseSampler(o.sampler);
  const target = await targetFrom(o);
  const progress = progressBar(`${o.sampler} on ${target.name}`, { quiet });
  const training = progressBar('training', { quiet, unit: 'iterations' });
  try {
    if (!isLearned(base)) {
      if (o.trainIters > 0)
        throw new UsageError(
          `--train-iters needs a learned sampler (${LEARNED_SAMPLERS.join(', ')})`,
        );
      const { options, dispose } = await estimateOptions(o, target, (k, total) =>
        progress.update(k, total),
      );
      try {
        const e = await estimateBatches(o, options, progress);
        return { ...e, sampler: samplerLabel(o.sampler, resampling), dim: target.dim };
      } finally {
        dispose();
      }
    }
    if (o.schedule !== 'linear') {
      throw new UsageError(
        'learned samplers start from the linear schedule and learn it; drop --schedule',
      );
    }
    // Refuse an evaluation layout that cannot work before spending the training on it.
    splitBatches(o.particles, o.batches);
    const flowInit = o.initFlow ? await flowInitial(o.initFlow, target.dim) : null;
    const started = performance.now();
    const { sampler, trained, evalRng } = trainSampler({
      target,
      sampler: {
        kind: base,
        steps: o.steps,
        stepSize: o.stepSize ?? (base.startsWith('uha') ? 0.1 : 0.01),
        ...(resampling ? { resampling } : {}),
        ...(o.eta !== undefined ? { eta: o.eta } : {}),
        ...(o.leapfrog !== undefined ? { leapfrogSteps: o.leapfrog } : {}),
        initialMean: o.initMean,
        initialScale: o.initScale,
      },
      ...(flowInit ? { initial: flowDistribution(flowInit) } : {}),
      trainIterations: o.trainIters,
      trainParticles: o.trainParticles,
      learningRate: o.lr,
      seed: o.seed,
      onIteration: (m, total) => training.update(m.iteration, total, `ELBO ${m.elbo.toFixed(3)}`),
    });
    let e: SamplerEvaluation;
    try {
      training.stop();
      e = await evaluateLearned(
        o,
        sampler,
        () => ({
          kind: 'trained',
          options: o,
          config: sampler.config,
          params: sampler.params.save(),
        }),
        evalRng,
        progress,
      );
    } finally {
      sampler.dispose();
    }
    return {
      ...e,
      target: target.name,
      dim: target.dim,
      sampler: samplerLabel(o.sampler, resampling),
      steps: o.steps,
      particles: o.particles,
      seconds: (performance.now() - started) / 1000,
      trained: o.trainIters > 0 ? trained : undefined,
    };
  } finally {
    progress.stop();
    training.stop();
    target.dispose?.();
  }
}

async function fromRun(o: LogzOptions, quiet: boolean): Promise<Report> {
  if (o.resampling !== undefined || o.essThreshold !== undefined || o.temperature !== undefined)
    throw new UsageError(
      '--from evaluates the run as it was trained; drop --resampling/--ess-threshold/--temperature',
    );
  const dir = o.from as string;
  const { config, target, sampler, iteration } = await loadTrainedSampler(dir);
  const progress = progressBar(`${config.sampler.kind} on ${target.name}`, { quiet });
  try {
    const e = await evaluateLearned(
      o,
      sampler,
      () => ({ kind: 'run', dir }),
      Rng.fromSeed(o.seed),
      progress,
    );
    return {
      ...e,
      target: target.name,
      dim: target.dim,
      sampler: samplerLabel(
        config.sampler.kind,
        sampler.smc ? { ...sampler.smc, essThreshold: sampler.smc.essThreshold ?? null } : null,
      ),
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
  if (e.moves) rows.push(['moves', e.moves]);
  if (e.trained?.from)
    rows.push(['trained', `run ${e.trained.from} (${e.trained.iterations} iterations)`]);
  else if (e.trained) {
    rows.push([
      'trained',
      `${e.trained.iterations} iterations (${e.trained.skipped} skipped) in ${e.trained.seconds.toFixed(1)} s; evaluated on fresh particles`,
    ]);
  }
  rows.push([
    'log Z',
    logZText(
      e,
      e.batches > 1
        ? `standard error over ${e.batches} batches`
        : 'one batch, so no standard error: use a particle count with a divisor up to 10, or --batches',
    ),
  ]);
  const last = e.perStep?.[e.perStep.length - 1];
  if (e.smcBound && last) {
    const b = e.smcBound;
    rows.push(
      [
        'SMC bound',
        `${fmt(b.value)} ± ${fmt(b.stdErr)} (mean log Z-hat of ${b.systems} systems of ${b.particlesPerSystem})`,
      ],
      [
        'ESS',
        `${fmt(last.essFraction, 3)} of N per system at the last step (${last.essCount.toFixed(1)} particles)`,
      ],
    );
  } else {
    rows.push(
      ['ELBO', `${fmt(e.elbo)} ± ${fmt(e.elboStdErr)}`],
      ['ESS', `${fmt(e.essFraction, 3)} of N (${e.essCount.toFixed(1)} particles)`],
    );
  }
  const diverged = e.perStep ? divergences(e.perStep) : null;
  if (diverged) {
    rows.push([
      'diverged',
      `${diverged.count} proposals diverged (energy error > 1000 or NaN) and were rejected, first at step ${diverged.firstStep} of ${diverged.steps}; a smaller step size may mix better`,
    ]);
  }
  if (e.trueLogZ !== null) {
    const sign = (e.error as number) >= 0 ? '+' : '';
    rows.push(['exact log Z', `${fmt(e.trueLogZ)} (error ${sign}${fmt(e.error)})`]);
  } else rows.push(['exact log Z', 'unknown']);
  rows.push(['time', `${e.seconds.toFixed(2)} s on ${backend}`]);
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join('');
}

/** Batches [0, batches) as consecutive groups, one per worker (at most one worker per batch). */
function batchGroups(batches: number, workers: number): { first: number; count: number }[] {
  const share = (w: number) => Math.floor((batches * w) / workers);
  return Array.from({ length: workers }, (_, w) => ({
    first: share(w),
    count: share(w + 1) - share(w),
  }));
}

/** Runs one job per group of batches on worker threads; progress is the slowest worker's step. */
async function runGroups<J>(
  jobFile: string,
  jobs: J[],
  progress: { update: (k: number, total: number) => void },
): Promise<BatchRun[]> {
  const at = new Array<number>(jobs.length).fill(0);
  const ext = extname(fileURLToPath(import.meta.url));
  return runTasks<J, BatchRun>(
    new URL(`./${jobFile}${ext}`, import.meta.url).href,
    jobs,
    { workers: jobs.length, backend: currentBackend() as BackendName },
    {
      onProgress: (w, message) => {
        const [k, total] = message as [number, number];
        at[w] = k;
        progress.update(Math.min(...at), total);
      },
    },
  );
}

/**
 * Evaluates a learned sampler with fresh particles, in this thread or shared out over `--workers`
 * worker threads (each rebuilds the sampler from `source`) in consecutive groups of batches. Every
 * batch has its own random stream, so the numbers are the same either way.
 */
async function evaluateLearned(
  o: LogzOptions,
  sampler: LearnedSampler,
  source: () => SamplerSource,
  rng: Rng,
  progress: { update: (k: number, total: number) => void },
): Promise<SamplerEvaluation> {
  const options: EvaluateOptions = {
    particles: o.particles,
    batches: o.batches,
    rng,
    onStep: (k, total) => progress.update(k, total),
  };
  const workers = Math.min(o.workers ?? 1, o.batches);
  if (workers <= 1) return evaluateSampler(sampler, options);
  evaluationLayout(sampler, options);
  const started = performance.now();
  const from = source();
  const groups = batchGroups(o.batches, workers);
  const runs = await runGroups<EvalJob>(
    'evalJob',
    groups.map((g) => ({
      source: from,
      particles: o.particles,
      batches: o.batches,
      rng: rng.state(),
      ...g,
    })),
    progress,
  );
  return summarizeEvaluation(
    sampler,
    options,
    combineBatchRuns(
      runs,
      groups.map((g) => g.count),
    ),
    (performance.now() - started) / 1000,
  );
}

/**
 * The run's batches, in this thread or shared out over `--workers` worker threads in consecutive
 * groups (at most one worker per batch). Every batch has its own random stream, so the numbers are
 * the same either way. Without --workers the run stays in this thread: a worker takes about a
 * second to start, and a single process already uses every core for large matrix products.
 */
async function estimateBatches(
  o: LogzOptions,
  options: EstimateLogZOptions,
  progress: { update: (k: number, total: number) => void },
): Promise<LogZEstimate> {
  const started = performance.now();
  const runs: BatchRun[] = [];
  const counts: number[] = [];
  const workers = Math.min(o.workers ?? 1, o.batches);
  if (workers <= 1) {
    runs.push(runLogZBatches(options, 0, o.batches));
    counts.push(o.batches);
  } else {
    const groups = batchGroups(o.batches, workers);
    runs.push(
      ...(await runGroups<LogzJob>(
        'logzJob',
        groups.map((g) => ({ options: o, ...g })),
        progress,
      )),
    );
    counts.push(...groups.map((g) => g.count));
  }
  return summarizeRun(
    options,
    combineBatchRuns(runs, counts),
    (performance.now() - started) / 1000,
  );
}
