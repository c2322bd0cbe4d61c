// A CRAFT training run in a run directory (config.json, checkpoint.json, metrics.jsonl, eval.json),
// with the same loop, checkpoints and exact resume as `anneal train` and `anneal flow train`.
import { Rng, initEngine } from '../engine/index.js';
import type { LogWeightSummary } from '../eval/logWeights.js';
import { createTarget } from '../targets/registry.js';
import type { Target } from '../targets/target.js';
import { trainThenEvaluate, type RunHooks, type TrainedRun } from '../train/loop.js';
import { createRunDir, expectRunKind, readCheckpoint, readRunConfig } from '../train/runDir.js';
import { lrScheduleFor } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { parseCraftRunConfig, type CraftRunConfig } from './craftConfig.js';
import { CraftSampler } from './craft.js';

/** CRAFT's evaluation: log Z over independent SMC systems, and the target's exact value if known. */
export type CraftEvaluation = LogWeightSummary & { systems: number; trueLogZ: number | null };

export type CraftRunOutcome = TrainedRun<CraftRunConfig, CraftEvaluation>;

/** The sampler of a config (the one place configs become CRAFT samplers); fresh flows from rng. */
function craftFromConfig(config: CraftRunConfig, target: Target, rng: Rng): CraftSampler {
  const c = config.craft;
  return new CraftSampler(
    target,
    {
      steps: c.steps,
      layers: c.layers,
      conditioner: { hidden: c.hidden, outputInitScale: 0, bias: true },
      initialScale: c.initialScale,
      hmc: c.hmc,
      resampling: c.resampling,
    },
    rng,
  );
}

/** log Z of a CRAFT sampler over `systems` independent SMC systems. */
export function evaluateCraft(
  craft: CraftSampler,
  options: { particles: number; systems: number; seed: number },
): CraftEvaluation {
  const summary = craft.evaluate({
    particles: options.particles,
    batches: options.systems,
    rng: Rng.fromSeed(options.seed),
  });
  return { ...summary, systems: options.systems, trueLogZ: craft.target.logZ ?? null };
}

export async function trainCraftRun(
  input: { config: CraftRunConfig; outDir: string } | { resumeDir: string },
  hooks: RunHooks = {},
): Promise<CraftRunOutcome> {
  const resuming = 'resumeDir' in input;
  const dir = resuming ? input.resumeDir : input.outDir;
  const config = resuming
    ? parseCraftRunConfig(expectRunKind(dir, readRunConfig(dir), 'craft'), `${dir}/config.json`)
    : input.config;
  await initEngine({ backend: config.backend });
  const { name, ...targetOptions } = config.target;
  // Built and checked before the run directory exists: a config that cannot run leaves nothing.
  const target = createTarget(name, targetOptions);
  const [initRng, trainRng] = Rng.fromSeed(config.seed).split(2);
  let craft: CraftSampler | undefined;
  let trainer: Trainer | undefined;
  try {
    craft = craftFromConfig(config, target, initRng);
    const t = config.train;
    trainer = new Trainer(
      craft,
      {
        particles: t.particles,
        learningRate: t.learningRate,
        clipNorm: t.clipNorm,
        lrSchedule: lrScheduleFor(t.lrSchedule, t.iterations),
      },
      trainRng,
    );
    const model = craft;
    const steps = trainer;
    if (!resuming) createRunDir(dir, config);
    return await trainThenEvaluate(
      {
        dir,
        resuming,
        config,
        train: config.train,
        params: model.params,
        trainer: steps,
        hooks,
        resumeCommand: 'anneal craft train',
      },
      async (pause) => {
        const evaluation = evaluateCraft(model, config.eval);
        await pause();
        const record = {
          target: target.name,
          steps: config.craft.steps,
          iterations: steps.iteration,
          skipped: steps.skippedTotal,
          ...evaluation,
        };
        return { evaluation, record };
      },
    );
  } finally {
    trainer?.dispose();
    craft?.dispose();
    target.dispose?.();
  }
}

/**
 * A run directory's trained CRAFT sampler with its target (starting the engine on the run's
 * backend). The caller disposes both.
 */
export async function loadTrainedCraft(dir: string): Promise<{
  config: CraftRunConfig;
  target: Target;
  craft: CraftSampler;
  iteration: number;
}> {
  const checkpoint = readCheckpoint(dir);
  const config = parseCraftRunConfig(
    expectRunKind(dir, checkpoint.config, 'craft'),
    `${dir}/checkpoint.json`,
  );
  await initEngine({ backend: config.backend });
  const { name, ...targetOptions } = config.target;
  const target = createTarget(name, targetOptions);
  try {
    // The stream the run initialized its flows from; the checkpoint's values replace its draws.
    const [initRng] = Rng.fromSeed(config.seed).split(2);
    const craft = craftFromConfig(config, target, initRng);
    try {
      craft.params.load(checkpoint.params);
    } catch (error) {
      craft.dispose();
      throw error;
    }
    return { config, target, craft, iteration: checkpoint.trainer.iteration };
  } catch (error) {
    target.dispose?.();
    throw error;
  }
}
