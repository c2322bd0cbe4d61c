// Train a learned sampler for a few iterations (or none) and evaluate it with fresh particles, in
// memory, without a run directory: the library side of `anneal logz --sampler uha --train-iters N`.
import { Rng } from '../engine/index.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';
import { ConfigError } from './config.js';
import { LearnedSampler, type LearnedSamplerConfigInput } from '../annealing/learned.js';
import type { Target } from '../targets/target.js';
import type { Distribution } from '../distributions/distribution.js';
import { evaluateSampler, type SamplerEvaluation } from '../eval/evaluateSampler.js';
import {
  blameTraining,
  divergenceMessage,
  MAX_CONSECUTIVE_SKIPS,
  Trainer,
  TrainingDivergedError,
  type IterationMetrics,
} from './trainer.js';
import type { TrainingObjective } from '../annealing/objectives.js';

export interface TrainSamplerOptions {
  target: Target;
  /** `kind` and any fields to change from LEARNED_DEFAULTS. */
  sampler: LearnedSamplerConfigInput;
  /** Training iterations before evaluation (0: evaluate the initial sampler). */
  trainIterations: number;
  trainParticles?: number;
  learningRate?: number;
  clipNorm?: number | null;
  /** Default: the ELBO for AIS samplers, the SMC bound over each iteration's particles for SMC. */
  objective?: TrainingObjective;
  seed: number;
  onIteration?: (m: IterationMetrics, total: number) => void;
  /** A fixed initial distribution (a trained flow) in place of the learned Gaussian; owned. */
  initial?: Distribution & { dispose?: () => void };
}

export interface TrainAndEvaluateOptions extends TrainSamplerOptions {
  /** Evaluation particles, in `batches` independent batches (default: as evaluateSampler). */
  particles: number;
  batches?: number;
  onEvalStep?: (k: number, steps: number) => void;
  /** Return the evaluation's final particles and log-weights (result.samples); default false. */
  returnSamples?: boolean;
}

export interface TrainedSampler {
  /** The trained sampler; the caller disposes it. */
  sampler: LearnedSampler;
  trained: { iterations: number; skipped: number; seconds: number };
  /** The seed's evaluation stream, unused by training: evaluation particles are fresh. */
  evalRng: Rng;
}

export interface TrainAndEvaluateResult extends SamplerEvaluation {
  trained: { iterations: number; skipped: number; seconds: number };
  /**
   * The trained sampler, to sample from or evaluate again (evaluateSampler) or save
   * (sampler.params.save()); the caller disposes it.
   */
  sampler: LearnedSampler;
}

/** Builds a learned sampler and trains it for `trainIterations` Adam iterations (0: none). */
const TRAIN_KEYS = keyList<TrainSamplerOptions>()([
  'target',
  'sampler',
  'trainIterations',
  'trainParticles',
  'learningRate',
  'clipNorm',
  'objective',
  'seed',
  'onIteration',
  'initial',
]);
const TRAIN_AND_EVALUATE_KEYS = keyList<TrainAndEvaluateOptions>()([
  ...(TRAIN_KEYS as readonly (keyof TrainSamplerOptions)[]),
  'particles',
  'batches',
  'onEvalStep',
  'returnSamples',
]);

/** Adam's learning rate where none is given. */
const DEFAULT_LEARNING_RATE = 0.005;

export function trainSampler(options: TrainSamplerOptions): TrainedSampler {
  checkOptionKeys('trainSampler', options, TRAIN_KEYS, (m) => new ConfigError(m));
  return train(options);
}

function train(options: TrainSamplerOptions): TrainedSampler {
  // Separate streams for initialization, training and evaluation.
  const [initRng, trainRng, evalRng] = Rng.fromSeed(options.seed).split(3);
  const sampler = new LearnedSampler(options.target, options.sampler, initRng, {
    initial: options.initial,
    owns: true,
  });
  const trainParticles = options.trainParticles ?? 256;
  const smc = sampler.smc;
  const objective: TrainingObjective =
    options.objective ??
    (smc ? { kind: 'iw', groupSize: smc.groupSize ?? trainParticles } : { kind: 'elbo' });
  let trainer: Trainer | undefined;
  try {
    trainer = new Trainer(
      sampler,
      {
        objective,
        particles: trainParticles,
        learningRate: options.learningRate ?? DEFAULT_LEARNING_RATE,
        clipNorm: options.clipNorm === undefined ? 10 : options.clipNorm,
        lrSchedule: { kind: 'constant' },
      },
      trainRng,
    );
    const started = performance.now();
    const patience = Math.min(MAX_CONSECUTIVE_SKIPS, options.trainIterations);
    let consecutive = 0;
    for (let i = 0; i < options.trainIterations; i++) {
      // Step first: an optional call `f?.(g())` would skip g() when f is absent.
      const metrics = trainer.step();
      options.onIteration?.(metrics, options.trainIterations);
      consecutive = metrics.skipped ? consecutive + 1 : 0;
      if (consecutive >= patience)
        throw new TrainingDivergedError(
          divergenceMessage(metrics.iteration, consecutive, metrics.learningRate),
        );
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      sampler,
      trained: { iterations: trainer.iteration, skipped: trainer.skippedTotal, seconds },
      evalRng,
    };
  } catch (error) {
    sampler.dispose();
    throw error;
  } finally {
    trainer?.dispose();
  }
}

/**
 * Trains a learned sampler (trainSampler), then evaluates it with fresh particles. The result
 * holds the trained sampler: dispose it (result.sampler.dispose()) when done.
 *
 * @param options required: `target`, `sampler` (a config with its `kind`), `trainIterations`,
 *   `particles` (evaluation) and `seed`
 * @example
 * ```ts
 * const r = trainAndEvaluate({
 *   target: createTarget('funnel'),
 *   sampler: { kind: 'uha', steps: 32 },
 *   trainIterations: 300,
 *   particles: 2000,
 *   seed: 0,
 * });
 * console.log(r.logZ, r.logZStdErr, r.trained.seconds);
 * r.sampler.dispose();
 * ```
 */
export function trainAndEvaluate(options: TrainAndEvaluateOptions): TrainAndEvaluateResult {
  checkOptionKeys('trainAndEvaluate', options, TRAIN_AND_EVALUATE_KEYS, (m) => new ConfigError(m));
  const { sampler, trained, evalRng } = train(options);
  try {
    const evaluation = evaluateSampler(sampler, {
      particles: options.particles,
      batches: options.batches,
      rng: evalRng,
      onStep: options.onEvalStep,
      returnSamples: options.returnSamples,
    });
    return { ...evaluation, trained, sampler };
  } catch (error) {
    sampler.dispose();
    throw blameTraining(error, trained.iterations, options.learningRate ?? DEFAULT_LEARNING_RATE);
  }
}
