// One variant of scripts/dsmcs-static.ts (DAIS, or DSMCS with one resampling scheme): trains it in
// its own resumable run directory, evaluates it after the first epoch and at the end, and keeps the
// result in the directory. A job module, so the script can share its variants out over worker
// threads (--workers); every variant draws from its config's own streams.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Rng } from '../../src/engine/index.js';
import { evaluateSampler, type SamplerEvaluation } from '../../src/eval/evaluateSampler.js';
import { loadTrainedSampler, trainRun } from '../../src/runs/samplerRun.js';
import type { ResamplingName } from '../../src/annealing/resampling.js';
import type { RunConfig } from '../../src/train/config.js';
import type { VariantResult } from '../render/dsmcs.js';

export type { VariantResult };

/** Iterations per epoch in the paper (10); the early snapshot is taken after the first epoch. */
export const EPOCH = 10;

/** The variants of the experiment: DAIS (no resampling) and DSMCS with each resampling scheme. */
export const VARIANTS: { scheme: ResamplingName; label: string }[] = [
  { scheme: 'none', label: 'DAIS' },
  { scheme: 'cat', label: 'DSMCS cat' },
  { scheme: 'gst', label: 'DSMCS gst' },
  { scheme: 'bern-cat', label: 'DSMCS bern-cat' },
  { scheme: 'bern-gst', label: 'DSMCS bern-gst' },
];

/** Seconds per iteration of each variant, relative, as measured at the 64 x 32 scale. */
export const RELATIVE_COST: Record<string, number> = {
  none: 78,
  cat: 144,
  gst: 553,
  'bern-cat': 280,
  'bern-gst': 626,
};

/**
 * `base` with one resampling scheme. Both bounds are the log mean weight of each system: for DAIS
 * the IW bound, for DSMCS the SMC bound.
 */
export function resamplingVariant(
  base: RunConfig,
  scheme: ResamplingName,
  groupSize: number,
): RunConfig {
  const config = structuredClone(base);
  config.sampler.resampling = {
    ...(config.sampler.resampling as NonNullable<RunConfig['sampler']['resampling']>),
    scheme,
  };
  config.train.objective = { kind: 'iw', groupSize };
  return config;
}

/** `config` at another length, its learning-rate step kept in place in proportion. */
export function setIterations(config: RunConfig, iterations: number): void {
  const schedule = config.train.lrSchedule;
  if (schedule?.kind === 'step')
    config.train.lrSchedule = {
      ...schedule,
      every: Math.max(1, Math.round((schedule.every * iterations) / config.train.iterations)),
    };
  config.train.iterations = iterations;
}

export interface DsmcsVariant {
  scheme: ResamplingName;
  label: string;
  config: RunConfig;
  dir: string;
}

async function evaluateRun(dir: string, config: RunConfig): Promise<SamplerEvaluation> {
  const { sampler, target } = await loadTrainedSampler(dir);
  try {
    return evaluateSampler(sampler, {
      particles: config.eval.particles,
      batches: config.eval.batches,
      rng: Rng.fromSeed(config.eval.seed),
    });
  } finally {
    sampler.dispose();
    target.dispose?.();
  }
}

export async function runJob(v: DsmcsVariant): Promise<VariantResult> {
  const { config, dir } = v;
  const log = (m: string) => process.stderr.write(`[${v.label}] ${m}\n`);
  // Results are kept in the run directory, so a re-run reuses finished variants and a stopped one
  // continues from its checkpoint.
  const resultFile = `${dir}/variant-result.json`;
  if (existsSync(resultFile)) {
    log('done before; reusing its result');
    return JSON.parse(readFileSync(resultFile, 'utf8')) as VariantResult;
  }
  const earlyFile = `${dir}/early.json`;
  if (!existsSync(earlyFile)) {
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    log(`training the first epoch (${EPOCH} iterations)`);
    const first = await trainRun({ config, outDir: dir }, { stopAfter: EPOCH });
    const early = await evaluateRun(dir, config);
    const record = { ess: early.perStep.map((s) => s.essFraction), seconds: first.trainSeconds };
    writeFileSync(earlyFile, `${JSON.stringify(record)}\n`);
  }
  const early = JSON.parse(readFileSync(earlyFile, 'utf8')) as { ess: number[]; seconds: number };
  log(`training to ${config.train.iterations} iterations`);
  const outcome = await trainRun({ resumeDir: dir });
  const final = outcome.evaluation ?? (await evaluateRun(dir, config));
  const bound = final.smcBound;
  if (!bound) throw new Error('evaluation has no system bound');
  const result: VariantResult = {
    scheme: v.scheme,
    label: v.label,
    earlyEss: early.ess,
    finalEss: final.perStep.map((s) => s.essFraction),
    bound: bound.value,
    boundStdErr: bound.stdErr,
    logZ: final.logZ,
    logZStdErr: final.logZStdErr,
    essCount: final.essCount,
    logZStdErrReliable: final.logZStdErrReliable,
    trainSeconds: early.seconds + outcome.trainSeconds,
    iterations: outcome.iterations,
    skipped: outcome.skipped,
  };
  writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
