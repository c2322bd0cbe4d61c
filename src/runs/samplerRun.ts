// A learned sampler's training run from a config: build target and sampler, train with periodic
// checkpoints and metrics, then evaluate the trained sampler with fresh particles. Resuming restores
// parameters, optimizer state, iteration and random stream, so a resumed run continues exactly.
// It sits above src/flows/ because a sampler's config may start it from a trained flow.
import { Rng, initEngine } from '../engine/index.js';
import { LearnedSampler } from '../annealing/learned.js';
import { createTarget } from '../targets/registry.js';
import { loadTargetModule } from '../targets/module.js';
import { flowFromRunDir } from '../flows/run.js';
import { flowDistribution } from '../flows/adapters.js';
import type { Target } from '../targets/target.js';
import { evaluateSampler, type SamplerEvaluation } from '../eval/evaluateSampler.js';
import { parseRunConfig, type RunConfig } from '../train/config.js';
import { createRunDir, expectRunKind, readCheckpoint, readRunConfig } from '../train/runDir.js';
import { Trainer } from '../train/trainer.js';
import { trainThenEvaluate, type RunHooks, type TrainedRun } from '../train/loop.js';
import type { LrSchedule } from '../train/schedule.js';

export type { MetricRow, RunHooks } from '../train/loop.js';

export type RunOutcome = TrainedRun<
  RunConfig,
  SamplerEvaluation & { learned: ReturnType<LearnedSampler['summary']> }
>;

/** The target of a run config: a built-in one by name, or the one a module exports. */
export async function buildTarget(spec: RunConfig['target']): Promise<Target> {
  const { name, module, ...targetOptions } = spec;
  if (module !== undefined) return loadTargetModule(module, { dim: spec.dim });
  return createTarget(name as string, targetOptions);
}

/** Builds the target, sampler and trainer of a config (fresh parameters). */
export async function buildRun(config: RunConfig): Promise<{
  target: Target;
  sampler: LearnedSampler;
  trainer: Trainer;
}> {
  const target = await buildTarget(config.target);
  const [initRng, trainRng] = Rng.fromSeed(config.seed).split(2);
  const flowDir = config.sampler.initialFlow;
  const sampler = flowDir
    ? new LearnedSampler(target, config.sampler, initRng, {
        initial: flowDistribution(flowFromRunDir(flowDir)),
        owns: true,
      })
    : new LearnedSampler(target, config.sampler, initRng);
  const t = config.train;
  const lrSchedule: LrSchedule =
    t.lrSchedule.kind === 'cosine'
      ? { kind: 'cosine', minFactor: t.lrSchedule.minFactor, iterations: t.iterations }
      : t.lrSchedule;
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

/** Loads a run directory's trained sampler (for evaluation); the caller disposes it. */
export async function loadTrainedSampler(
  dir: string,
): Promise<{ config: RunConfig; target: Target; sampler: LearnedSampler; iteration: number }> {
  const checkpoint = readCheckpoint(dir);
  const config = parseRunConfig(
    expectRunKind(dir, checkpoint.config, 'sampler'),
    `${dir}/checkpoint.json`,
  );
  await initEngine({ backend: config.backend });
  const { target, sampler, trainer } = await buildRun(config);
  trainer.dispose();
  sampler.params.load(checkpoint.params);
  return { config, target, sampler, iteration: checkpoint.trainer.iteration };
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
      () => {
        const e = evaluateSampler(sampler, {
          particles: config.eval.particles,
          batches: config.eval.batches,
          rng: Rng.fromSeed(config.eval.seed),
          onStep: hooks.onEvalStep,
        });
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
