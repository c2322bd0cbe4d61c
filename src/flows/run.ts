// A flow training run in a run directory (config.json, checkpoint.json, metrics.jsonl, eval.json),
// with the same loop, checkpoints and exact resume as `anneal train`.
import { Rng, initEngine, type Tensor2D } from '../engine/index.js';
import { createTarget } from '../targets/registry.js';
import type { Target } from '../targets/target.js';
import { trainThenEvaluate, type RunHooks, type TrainedRun } from '../train/loop.js';
import {
  createRunDir,
  expectRunKind,
  readCheckpoint,
  readRunConfig,
  type Checkpoint,
} from '../train/runDir.js';
import { lrScheduleFor } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { parseFlowRunConfig, type FlowRunConfig } from './config.js';
import { FlowError } from './bijection.js';
import { Flow } from './flow.js';
import { evaluateFlow, type FlowEvaluation } from './metrics.js';
import { FlowModel } from './model.js';
import { FabModel, evaluateFabAis, type FabEvaluation } from './fab.js';
import { drawTrainingSamples } from './trainingSamples.js';

/** A flow run's evaluation; a FAB run adds AIS from the flow towards the target. */
export type FlowRunEvaluation = FlowEvaluation & { fab?: FabEvaluation };

export type FlowRunOutcome = TrainedRun<FlowRunConfig, FlowRunEvaluation>;

/** A fresh flow from a config's flow section (the one place configs become flows). */
function flowFromSpec(f: FlowRunConfig['flow'], dim: number, rng: Rng): Flow {
  return new Flow(
    dim,
    {
      kind: f.kind,
      layers: f.layers,
      checkerboardWidth: f.checkerboardWidth,
      circularComponents: f.circularComponents,
      conditioner: { hidden: f.hidden, outputInitScale: f.outputInitScale },
    },
    rng,
  );
}

/** Target, flow, model and trainer of a config (fresh parameters; training data drawn by seed). */
export function buildFlowRun(config: FlowRunConfig): {
  target: Target;
  flow: Flow;
  model: FlowModel | FabModel;
  trainer: Trainer;
} {
  const { name, ...targetOptions } = config.target;
  const target = createTarget(name, targetOptions);
  const [initRng, trainRng, dataRng] = Rng.fromSeed(config.seed).split(3);
  const flow = flowFromSpec(config.flow, target.dim, initRng);
  const loss = config.train.loss;
  let data: Tensor2D | null = null;
  if (loss.kind === 'forward-kl') {
    data = drawTrainingSamples(target, loss.trainSamples, dataRng, loss.samples ?? null).x;
  }
  const t = config.train;
  const model =
    loss.kind === 'fab'
      ? new FabModel(flow, target, loss, t.batch)
      : new FlowModel(flow, target, loss, data);
  const trainer = new Trainer(
    model,
    {
      particles: t.batch,
      learningRate: t.learningRate,
      clipNorm: t.clipNorm,
      lrSchedule: lrScheduleFor(t.lrSchedule, t.iterations),
    },
    trainRng,
  );
  return { target, flow, model, trainer };
}

export async function trainFlowRun(
  input: { config: FlowRunConfig; outDir: string } | { resumeDir: string },
  hooks: RunHooks = {},
): Promise<FlowRunOutcome> {
  const resuming = 'resumeDir' in input;
  const dir = resuming ? input.resumeDir : input.outDir;
  const config = resuming
    ? parseFlowRunConfig(expectRunKind(dir, readRunConfig(dir), 'flow'), `${dir}/config.json`)
    : input.config;
  await initEngine({ backend: config.backend });
  // Built and checked before the run directory exists: a config that cannot run leaves nothing.
  const { target, model, trainer } = buildFlowRun(config);
  try {
    if (!resuming) createRunDir(dir, config);
    return await trainThenEvaluate(
      {
        dir,
        resuming,
        config,
        train: config.train,
        params: model.params,
        trainer,
        hooks,
        resumeCommand: 'anneal flow train',
      },
      async (pause) => {
        const rng = Rng.fromSeed(config.eval.seed);
        const flowEvaluation = evaluateFlow(model.flow, target, {
          particles: config.eval.particles,
          batches: config.eval.batches,
          rng,
          testSamples: config.eval.testSamples,
        });
        const evaluation: FlowRunEvaluation =
          model instanceof FabModel
            ? {
                ...flowEvaluation,
                fab: evaluateFabAis(model, {
                  particles: config.eval.particles,
                  batchSize: config.eval.particles / config.eval.batches,
                  rng,
                }),
              }
            : flowEvaluation;
        // The evaluation is one synchronous piece: a signal during it is heard here.
        await pause();
        const record = {
          target: target.name,
          flow: config.flow.kind,
          loss: config.train.loss,
          iterations: trainer.iteration,
          skipped: trainer.skippedTotal,
          ...evaluation,
        };
        return { evaluation, record };
      },
    );
  } finally {
    trainer.dispose();
    model.dispose();
    model.flow.dispose();
    target.dispose?.();
  }
}

/** A flow run's checkpoint and its config (the run directory must hold a flow run). */
function readFlowCheckpoint(dir: string): { config: FlowRunConfig; checkpoint: Checkpoint } {
  const checkpoint = readCheckpoint(dir);
  const config = parseFlowRunConfig(
    expectRunKind(dir, checkpoint.config, 'flow'),
    `${dir}/checkpoint.json`,
  );
  return { config, checkpoint };
}

/**
 * The trained flow of a checkpoint and the target it was trained on: the target (for its dim) and
 * the flow with the checkpoint's parameters, nothing else (no model, trainer or training data).
 */
function trainedFlow(
  config: FlowRunConfig,
  checkpoint: Checkpoint,
): { target: Target; flow: Flow } {
  const { name, ...targetOptions } = config.target;
  const target = createTarget(name, targetOptions);
  try {
    // The stream buildFlowRun initializes the flow from; the checkpoint's values replace its draws.
    const [initRng] = Rng.fromSeed(config.seed).split(3);
    const flow = flowFromSpec(config.flow, target.dim, initRng);
    try {
      flow.params.load(checkpoint.params);
    } catch (error) {
      flow.dispose();
      throw error;
    }
    return { target, flow };
  } catch (error) {
    target.dispose?.();
    throw error;
  }
}

/** A trained flow whose dimension is not the one its use needs; the message names both. */
export class FlowDimensionError extends FlowError {
  constructor(
    readonly dir: string,
    readonly flowDim: number,
    readonly wanted: number,
  ) {
    super(`the flow in '${dir}' has dim ${flowDim}, the target ${wanted}`);
  }
}

/**
 * Loads a run directory's trained flow with its target (starting the engine on the run's backend):
 * reads the config and parameters from the checkpoint and builds only the target and the flow.
 * The caller disposes flow and target.
 */
export async function loadTrainedFlow(dir: string): Promise<{
  config: FlowRunConfig;
  target: Target;
  flow: Flow;
  iteration: number;
  /** A FAB run's tuned step sizes (for AIS from its flow); null for the other losses. */
  fabStepSizes: number[] | null;
}> {
  const { config, checkpoint } = readFlowCheckpoint(dir);
  await initEngine({ backend: config.backend });
  const { target, flow } = trainedFlow(config, checkpoint);
  const saved = (checkpoint.model as { stepSizes?: unknown } | undefined)?.stepSizes;
  const fabStepSizes =
    config.train.loss.kind === 'fab' &&
    Array.isArray(saved) &&
    saved.every((v) => typeof v === 'number' && v > 0)
      ? (saved as number[])
      : null;
  return { config, target, flow, iteration: checkpoint.trainer.iteration, fabStepSizes };
}

/**
 * The trained flow of a run directory alone, built synchronously on the engine as it is (which must
 * be started): for an annealed sampler's initial distribution. With `dim`, a flow of another
 * dimension is refused (FlowDimensionError). The caller disposes it.
 */
export function flowFromRunDir(dir: string, options: { dim?: number } = {}): Flow {
  const { config, checkpoint } = readFlowCheckpoint(dir);
  const { target, flow } = trainedFlow(config, checkpoint);
  target.dispose?.();
  if (options.dim !== undefined && flow.dim !== options.dim) {
    flow.dispose();
    throw new FlowDimensionError(dir, flow.dim, options.dim);
  }
  return flow;
}
