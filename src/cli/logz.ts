import { Rng, initEngine, currentBackend } from '../engine/index.js';
import {
  baseSampler,
  defaultStepSizeOf,
  isSmcSamplerName,
  samplersTaking,
  SMC_SAMPLERS,
} from '../annealing/samplers.js';
import { GST_DEFAULT_TEMPERATURE, type ResamplingOptions } from '../annealing/resampling.js';
import { LEARNED_SAMPLERS, type LearnedSamplerName } from '../annealing/learned.js';
import { defaultBatches, splitBatches, type EstimateSamplerName } from '../eval/estimateLogZ.js';
import type { SamplerEvaluation } from '../eval/evaluateSampler.js';
import type { LogWeightSummary, SmcBound } from '../eval/logWeights.js';
import { divergences, type StepDiagnostics } from '../annealing/ais.js';
import { meanAcceptance, PER_STEP_MEANING } from '../annealing/diagnostics.js';
import { loadTrainedSampler } from '../runs/samplerRun.js';
import { buildTarget, type EvaluateRequest, type TargetRequest } from '../runs/request.js';
import { openBatchRunner, samplerRunner } from '../runs/batches.js';
import { runBatches } from '../parallel/batches.js';
import { flowDistribution } from '../flows/adapters.js';
import { FlowDimensionError, flowFromRunDir } from '../flows/run.js';
import { trainSampler } from '../train/trainAndEvaluate.js';
import { blameTraining } from '../train/trainer.js';
import { UsageError } from './errors.js';
import { autoCommand, autoRows, refuseAutoMismatch } from './autoLogz.js';
import { checkSamplesPath, writeSamples } from './samplesFile.js';
import { resultWarnings } from '../eval/warnings.js';
import type { AutoReport } from '../eval/autoLogZ.js';
import type { WeightedParticles } from '../eval/logZEstimate.js';
import { logZJson, logZText, stdErrHow } from './logZText.js';
import { parseOptions } from './options.js';
import { LogzOptionsSchema, type LogzOptions } from './logzOptions.js';
import { progressBar } from './progress.js';
import { resolveTargetModule } from '../targets/module.js';
import {
  builtinOnlyOptions,
  targetOptionFlag,
  targetOptionFlagText,
  targetOptionsFromFlags,
} from '../targets/options.js';

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
  /** How the target's score ran, where it has no closed form. */
  score?: string;
  /** The auto sampler's own report. */
  auto?: AutoReport;
  /** The final particles, where --samples asked for them. */
  samples?: WeightedParticles | null;
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
  if (!o.from) refuseAutoMismatch(o, given);
  refuseIgnoredOptions(o, given);
  // Workers and later evaluations (--from) find the module wherever they run.
  if (o.targetModule) o.targetModule = resolveTargetModule(o.targetModule);
  await initEngine({ backend: o.backend });
  const quiet = Boolean(o.quiet);
  if (o.samples !== undefined) checkSamplesPath(o.samples);
  const report = o.from ? await fromRun(o, quiet) : await fresh(o, quiet, given);
  // The auto sampler writes its own; the others drew their batches from the seed's first
  // `batches` children (a learned sampler's training: its first three).
  if (o.samples !== undefined && report.samples && !report.auto)
    writeSamples(o.samples, report.samples, {
      seed: o.seed,
      used: !o.from && isLearned(baseSampler(o.sampler)) ? 3 : o.batches,
    });
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
      batchLogZ: report.batchLogZ,
      ...logZJson(report),
      elbo: report.elbo,
      ess: report.essFraction,
      acceptance: meanAcceptance(report.perStep ?? []),
      diverged: divergedTotal(report.perStep),
      trueLogZ: report.trueLogZ,
      seconds: report.seconds,
      warnings,
      perStep: report.perStep ?? [],
      perStepMeaning: PER_STEP_MEANING,
      ...(report.auto ? autoJson(report.auto) : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  process.stdout.write(formatReport(report, o.seed, currentBackend()));
  if (o.perStep) process.stdout.write(perStepTable(report.perStep ?? []));
}

/** The library's warnings of a result (eval/warnings.ts), which the command line prints. */
export function reportWarnings(report: Report): string[] {
  return resultWarnings(report);
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

/** The target named on the command line (with its options), or a --target-module file's. */
export function targetRequest(o: LogzOptions): TargetRequest {
  if (o.targetModule) {
    const given = builtinOnlyOptions(o, targetOptionFlag);
    if (given.length)
      throw new UsageError(
        `${given.map(targetOptionFlagText).join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to built-in targets, not to --target-module (only --dim is passed on)`,
      );
    return { module: o.targetModule, dim: o.dim };
  }
  return { name: o.target, ...targetOptionsFromFlags(o) };
}

/** Builds what needs --init-flow's flow, refusing a flow of another dimension as the flag's mistake. */
async function withInitFlow<T>(build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (error instanceof FlowDimensionError) throw new UsageError(`--init-flow: ${error.message}`);
    throw error;
  }
}

/** The auto sampler's fields of the JSON report. */
function autoJson(a: AutoReport): Record<string, unknown> {
  return {
    systems: a.systemLogZ.length,
    systemLogZ: a.systemLogZ,
    stoppedBy: a.stoppedBy,
    targetStdErr: a.targetStdErr,
    start: a.start,
    move: a.move,
    wasteFreeChainLength: a.chainLength,
    pilotSeconds: a.pilotSeconds,
    temperatures: a.temperatures,
  };
}

async function fresh(o: LogzOptions, quiet: boolean, given: ReadonlySet<string>): Promise<Report> {
  if (o.sampler === 'auto') return autoCommand(o, given, targetRequest(o), quiet);
  const resampling = resamplingOptions(o);
  const base = baseSampler(o.sampler);
  if (!isLearned(base)) {
    if (o.trainIters > 0)
      throw new UsageError(
        `--train-iters needs a learned sampler (${LEARNED_SAMPLERS.join(', ')})`,
      );
    return fixedKernel(o, base as EstimateSamplerName, resampling, quiet);
  }
  const target = await buildTarget(targetRequest(o));
  const progress = progressBar(`${o.sampler} on ${target.name}`, { quiet });
  const training = progressBar('training', { quiet, unit: 'iterations' });
  try {
    // Refuse an evaluation layout that cannot work before spending the training on it.
    splitBatches(o.particles, o.batches);
    const flowInit = o.initFlow
      ? await withInitFlow(() => flowFromRunDir(o.initFlow as string, { dim: target.dim }))
      : null;
    const started = performance.now();
    const { sampler, trained, evalRng } = trainSampler({
      target,
      sampler: {
        kind: base,
        steps: o.steps,
        stepSize: o.stepSize ?? defaultStepSizeOf(base),
        ...(resampling ? { resampling } : {}),
        ...(o.eta !== undefined ? { eta: o.eta } : {}),
        ...(o.leapfrog !== undefined ? { leapfrogSteps: o.leapfrog } : {}),
        initialMean: o.initMean,
        initialScale: o.initScale,
        schedule: o.schedule,
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
      // Workers rebuild the sampler from its config and the parameters just trained.
      const request: EvaluateRequest = {
        kind: 'evaluate',
        sampler: {
          target: targetRequest(o),
          config: sampler.config,
          params: sampler.params.save(),
          ...(o.initFlow ? { initialFlow: o.initFlow } : {}),
        },
        particles: o.particles,
        batches: o.batches,
        rng: evalRng.state(),
        returnSamples: o.samples !== undefined,
      };
      const runner = samplerRunner(sampler, {
        particles: o.particles,
        batches: o.batches,
        rng: evalRng,
        returnSamples: o.samples !== undefined,
      });
      e = await runBatches(request, o.workers ?? 1, {
        runner,
        onStep: (k, total) => progress.update(k, total),
      });
    } catch (error) {
      throw blameTraining(error, trained.iterations, o.lr);
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

/**
 * AIS or SMC with fixed kernels: the run as a library request, its batches in this thread or shared
 * out over `--workers` worker threads in consecutive groups (each batch has its own random stream,
 * so the numbers are the same either way). Without --workers the run stays in this thread: a worker
 * takes about a second to start, and one process already uses every core for large matrix products.
 */
async function fixedKernel(
  o: LogzOptions,
  sampler: EstimateSamplerName,
  resampling: ResamplingOptions | null,
  quiet: boolean,
): Promise<Report> {
  const request = {
    kind: 'estimate',
    target: targetRequest(o),
    sampler,
    resampling: resampling ?? undefined,
    steps: o.steps,
    particles: o.particles,
    schedule: o.schedule,
    stepSize: o.stepSize,
    leapfrogSteps: o.leapfrog,
    initial: o.initFlow ? { flow: o.initFlow } : { scale: o.initScale, mean: o.initMean },
    seed: o.seed,
    batches: o.batches,
    returnSamples: o.samples !== undefined,
  } as const;
  const runner = await withInitFlow(() => openBatchRunner(request));
  const progress = progressBar(`${o.sampler} on ${runner.target.name}`, { quiet });
  try {
    const e = await runBatches(request, o.workers ?? 1, {
      runner,
      onStep: (k, total) => progress.update(k, total),
    });
    return { ...e, sampler: samplerLabel(o.sampler, resampling), dim: runner.target.dim };
  } finally {
    progress.stop();
    runner.dispose();
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
    // Workers load the sampler from the run directory themselves.
    const request: EvaluateRequest = {
      kind: 'evaluate',
      sampler: { run: dir },
      particles: o.particles,
      batches: o.batches,
      seed: o.seed,
      returnSamples: o.samples !== undefined,
    };
    const runner = samplerRunner(sampler, {
      particles: o.particles,
      batches: o.batches,
      rng: Rng.fromSeed(o.seed),
      returnSamples: o.samples !== undefined,
    });
    const e = await runBatches(request, o.workers ?? 1, {
      runner,
      onStep: (k, total) => progress.update(k, total),
    });
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
  const rows: [string, string][] = [['target', `${e.target} (dim ${e.dim})`]];
  if (e.auto) {
    const systems = e.auto.systemLogZ.length;
    rows.push(
      ['sampler', `auto, ${systems} systems of ${e.particles / systems} particles, seed ${seed}`],
      ...autoRows(e.auto),
      ...(e.score ? [['score', e.score] as [string, string]] : []),
      ['log Z', logZText(e, `standard error over ${systems} independent systems`)],
    );
    return finishReport(rows, e, backend);
  }
  rows.push(['sampler', `${e.sampler}, ${e.steps} steps, ${e.particles} particles, seed ${seed}`]);
  if (e.moves) rows.push(['moves', e.moves]);
  if (e.score) rows.push(['score', e.score]);
  if (e.trained?.from)
    rows.push(['trained', `run ${e.trained.from} (${e.trained.iterations} iterations)`]);
  else if (e.trained) {
    rows.push([
      'trained',
      `${e.trained.iterations} iterations (${e.trained.skipped} skipped) in ${e.trained.seconds.toFixed(1)} s; evaluated on fresh particles`,
    ]);
  }
  rows.push(['log Z', logZText(e, stdErrHow(e))]);
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
      [
        'ESS',
        `${fmt(e.essFraction, 3)} of N (${e.essCount.toFixed(1)} particles, over all ${e.particles})`,
      ],
    );
  }
  const acceptance = meanAcceptance(e.perStep ?? []);
  if (acceptance !== null)
    rows.push([
      'acceptance',
      `${fmt(acceptance, 3)} (the mean over the steps of each step's mean over the particles)`,
    ]);
  const diverged = e.perStep ? divergences(e.perStep) : null;
  if (diverged) {
    rows.push([
      'diverged',
      `${diverged.count} proposals diverged (energy error > 1000 or NaN) and were rejected, first at step ${diverged.firstStep} of ${diverged.steps}; a smaller step size may mix better`,
    ]);
  }
  return finishReport(rows, e, backend);
}

/** The per-step readings as a table (`--per-step`), with what each column averages over below. */
export function perStepTable(perStep: readonly StepDiagnostics[]): string {
  if (perStep.length === 0) return '';
  const columns: [keyof StepDiagnostics, (v: number | null) => string][] = [
    ['step', (v) => String(v)],
    ['beta', (v) => fmt(v)],
    ['essFraction', (v) => fmt(v, 3)],
    ['essCount', (v) => fmt(v, 1)],
    ['logZ', (v) => fmt(v)],
    ['logZIncrement', (v) => fmt(v)],
    ['resampled', (v) => fmt(v, 2)],
    ['acceptance', (v) => fmt(v, 3)],
    ['diverged', (v) => (v === null ? 'n/a' : String(v))],
  ];
  const cells = [columns.map(([k]) => k), ...perStep.map((s) => columns.map(([k, f]) => f(s[k])))];
  const widths = columns.map((_, j) => Math.max(...cells.map((row) => (row[j] as string).length)));
  const lines = cells.map((row) => row.map((c, j) => c.padStart(widths[j] as number)).join('  '));
  const legend = columns.map(([k]) => `  ${k}: ${PER_STEP_MEANING[k]}`);
  return `\nper step\n${lines.join('\n')}\n${legend.join('\n')}\n`;
}

/** The rows every report ends with: the exact log Z where known, and the time. */
function finishReport(rows: [string, string][], e: Report, backend: string): string {
  if (e.trueLogZ !== null) {
    const sign = (e.error as number) >= 0 ? '+' : '';
    rows.push(['exact log Z', `${fmt(e.trueLogZ)} (error ${sign}${fmt(e.error)})`]);
  } else rows.push(['exact log Z', 'unknown']);
  rows.push(['time', `${e.seconds.toFixed(2)} s on ${backend}`]);
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join('');
}
