// A learned sampler's training run from a config: build target and sampler, train with periodic
// checkpoints and metrics, then evaluate the trained sampler with fresh particles. Resuming restores
// parameters, optimizer state, iteration and random stream, so a resumed run continues exactly.
// It sits above src/flows/ because a sampler's config may start it from a trained flow.
import { Rng, initEngine } from '../engine/index.js';
import { LearnedSampler } from '../annealing/learned.js';
import { flowFromRunDir } from '../flows/run.js';
import { flowDistribution } from '../flows/adapters.js';
import type { Target } from '../targets/target.js';
import {
  evaluateSamplerBatches,
  evaluationLayout,
  summarizeEvaluation,
  type EvaluateOptions,
  type SamplerEvaluation,
} from '../eval/evaluateSampler.js';
import { combineBatchRuns, type BatchRun } from '../eval/estimateLogZ.js';
import { lrScheduleFor, parseRunConfig, type RunConfig } from '../train/config.js';
import { createRunDir, expectRunKind, readCheckpoint, readRunConfig } from '../train/runDir.js';
import { blameTraining, Trainer } from '../train/trainer.js';
import {
  trainThenEvaluate,
  type EvaluationPause,
  type RunHooks,
  type TrainedRun,
} from '../train/loop.js';
import { buildTarget } from './request.js';

export type { MetricRow, RunHooks } from '../train/loop.js';

export type RunOutcome = TrainedRun<
  RunConfig,
  SamplerEvaluation & { learned: ReturnType<LearnedSampler['summary']> }
>;

export { buildTarget };

/**
 * The target and the learned sampler of a config, with fresh parameters drawn from `initRng` (the
 * run's initialization stream), from a trained flow where the config names one. No trainer.
 */
async function buildSampler(
  config: RunConfig,
  initRng: Rng,
): Promise<{ target: Target; sampler: LearnedSampler }> {
  const target = await buildTarget(config.target);
  try {
    // The run's own field (initialFlow) is no part of the sampler's config.
    const { initialFlow: flowDir, ...samplerConfig } = config.sampler;
    const sampler = flowDir
      ? new LearnedSampler(target, samplerConfig, initRng, {
          initial: flowDistribution(flowFromRunDir(flowDir)),
          owns: true,
        })
      : new LearnedSampler(target, samplerConfig, initRng);
    return { target, sampler };
  } catch (error) {
    target.dispose?.();
    throw error;
  }
}

/** Builds the target, sampler and trainer of a config (fresh parameters). */
export async function buildRun(config: RunConfig): Promise<{
  target: Target;
  sampler: LearnedSampler;
  trainer: Trainer;
}> {
  const [initRng, trainRng] = Rng.fromSeed(config.seed).split(2);
  const { target, sampler } = await buildSampler(config, initRng);
  const t = config.train;
  const lrSchedule = lrScheduleFor(t.lrSchedule, t.iterations);
  const trainer = new Trainer(
    sampler,
    {
      particles: t.particles,
      learningRate: t.learningRate,
      clipNorm: t.clipNorm,
      lrSchedule,
      objective: t.objective,
    },
    trainRng,
  );
  return { target, sampler, trainer };
}

/**
 * Loads a run directory's trained sampler (for evaluation), starting the engine on the run's
 * backend: reads the config and parameters from the checkpoint and builds only the target and the
 * sampler (no trainer). The caller disposes sampler and target.
 */
export async function loadTrainedSampler(
  dir: string,
): Promise<{ config: RunConfig; target: Target; sampler: LearnedSampler; iteration: number }> {
  const checkpoint = readCheckpoint(dir);
  const config = parseRunConfig(
    expectRunKind(dir, checkpoint.config, 'sampler'),
    `${dir}/checkpoint.json`,
  );
  await initEngine({ backend: config.backend });
  const [initRng] = Rng.fromSeed(config.seed).split(2);
  const { target, sampler } = await buildSampler(config, initRng);
  try {
    sampler.params.load(checkpoint.params);
  } catch (error) {
    sampler.dispose();
    target.dispose?.();
    throw error;
  }
  return { config, target, sampler, iteration: checkpoint.trainer.iteration };
}

/**
 * evaluateSampler one batch at a time, pausing between batches (a signal stops the run there):
 * each batch draws from its own stream, so the log-weights are those of one joint evaluation, bit
 * for bit; progress counts the steps of all batches.
 */
async function evaluateInBatches(
  sampler: LearnedSampler,
  options: EvaluateOptions,
  pause: EvaluationPause,
  onStep?: (k: number, steps: number) => void,
): Promise<SamplerEvaluation> {
  const started = performance.now();
  const { batches } = evaluationLayout(sampler, options);
  const runs: BatchRun[] = [];
  for (let b = 0; b < batches; b++) {
    if (b > 0) await pause();
    const batchOnStep = onStep && ((k: number, steps: number) => onStep(b * steps + k, batches * steps));
    runs.push(evaluateSamplerBatches(sampler, { ...options, onStep: batchOnStep }, b, 1));
  }
  const run = combineBatchRuns(
    runs,
    runs.map(() => 1),
  );
  return summarizeEvaluation(sampler, options, run, (performance.now() - started) / 1000);
}

export async function trainRun(
  input: { config: RunConfig; outDir: string } | { resumeDir: string },
  hooks: RunHooks = {},
): Promise<RunOutcome> {
  const resuming = 'resumeDir' in input;
  const dir = resuming ? input.resumeDir : input.outDir;
  const config = resuming
    ? parseRunConfig(expectRunKind(dir, readRunConfig(dir), 'sampler'), `${dir}/config.json`)
    : input.config;
  await initEngine({ backend: config.backend });
  // Everything is built and checked before the run directory exists: a config that cannot run
  // leaves nothing behind.
  const { target, sampler, trainer } = await buildRun(config);
  try {
    if (!resuming) createRunDir(dir, config);
  } catch (error) {
    trainer.dispose();
    sampler.dispose();
    target.dispose?.();
    throw error;
  }
  try {
    return await trainThenEvaluate(
      { dir, resuming, config, train: config.train, params: sampler.params, trainer, hooks },
      async (pause) => {
        let e: SamplerEvaluation;
        try {
          e = await evaluateInBatches(
            sampler,
            {
              particles: config.eval.particles,
              batches: config.eval.batches,
              rng: Rng.fromSeed(config.eval.seed),
            },
            pause,
            hooks.onEvalStep,
          );
        } catch (error) {
          throw blameTraining(error, trainer.iteration, config.train.learningRate);
        }
        const evaluation = { ...e, learned: sampler.summary() };
        const { perStep, ...rest } = evaluation;
        const record = {
          target: target.name,
          sampler: config.sampler.kind,
          steps: config.sampler.steps,
          iterations: trainer.iteration,
          skipped: trainer.skippedTotal,
          particles: config.eval.particles,
          ...rest,
          perStepEss: perStep.map((s) => s.essFraction),
          perStepLogZ: perStep.map((s) => s.logZ),
        };
        return { evaluation, record };
      },
    );
  } finally {
    trainer.dispose();
    sampler.dispose();
    target.dispose?.();
  }
}
