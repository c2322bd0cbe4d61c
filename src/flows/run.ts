// A flow training run in a run directory (config.json, checkpoint.json, metrics.jsonl, eval.json),
// with the same loop, checkpoints and exact resume as `anneal train`.
import { Rng, initEngine, type Tensor2D } from '../engine/index.js';
import { createTarget } from '../targets/registry.js';
import type { Target } from '../targets/target.js';
import { trainThenEvaluate, type RunHooks, type TrainedRun } from '../train/loop.js';
import { createRunDir, expectRunKind, readCheckpoint, readRunConfig } from '../train/runDir.js';
import { Trainer } from '../train/trainer.js';
import { parseFlowRunConfig, type FlowRunConfig } from './config.js';
import { Flow } from './flow.js';
import { evaluateFlow, type FlowEvaluation } from './metrics.js';
import { FlowModel } from './model.js';
import { drawTrainingSamples } from './trainingSamples.js';

export type FlowRunOutcome = TrainedRun<FlowRunConfig, FlowEvaluation>;

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
  model: FlowModel;
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
  const model = new FlowModel(flow, target, loss, data);
  const t = config.train;
  const trainer = new Trainer(
    model,
    {
      particles: t.batch,
      learningRate: t.learningRate,
      clipNorm: t.clipNorm,
      lrSchedule:
        t.lrSchedule.kind === 'cosine'
          ? { kind: 'cosine', minFactor: t.lrSchedule.minFactor, iterations: t.iterations }
          : t.lrSchedule,
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
      () => {
        const evaluation = evaluateFlow(model.flow, target, {
          particles: config.eval.particles,
          batches: config.eval.batches,
          rng: Rng.fromSeed(config.eval.seed),
          testSamples: config.eval.testSamples,
        });
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

/** Loads a run directory's trained flow; the caller disposes flow and target. */
export async function loadTrainedFlow(
  dir: string,
): Promise<{ config: FlowRunConfig; target: Target; flow: Flow; iteration: number }> {
  const checkpoint = readCheckpoint(dir);
  const config = parseFlowRunConfig(
    expectRunKind(dir, checkpoint.config, 'flow'),
    `${dir}/checkpoint.json`,
  );
  await initEngine({ backend: config.backend });
  const { target, flow, model, trainer } = buildFlowRun(config);
  trainer.dispose();
  model.dispose();
  flow.params.load(checkpoint.params);
  return { config, target, flow, iteration: checkpoint.trainer.iteration };
}

/**
 * The trained flow of a run directory, built synchronously (the engine must be initialized): for
 * configs that start a learned sampler from a flow. Draws no training data.
 */
export function flowFromRunDir(dir: string): Flow {
  const checkpoint = readCheckpoint(dir);
  const config = parseFlowRunConfig(
    expectRunKind(dir, checkpoint.config, 'flow'),
    `${dir}/checkpoint.json`,
  );
  const { name, ...targetOptions } = config.target;
  const target = createTarget(name, targetOptions);
  const dim = target.dim;
  target.dispose?.();
  const [initRng] = Rng.fromSeed(config.seed).split(3);
  const flow = flowFromSpec(config.flow, dim, initRng);
  flow.params.load(checkpoint.params);
  return flow;
}
