// Train a learned sampler for a few iterations (or none) and evaluate it with fresh particles, in
// memory, without a run directory: the library side of `anneal logz --sampler uha --train-iters N`.
import { Rng } from '../engine/index.js';
import {
  LearnedSampler,
  type LearnedSamplerConfig,
  type LearnedSamplerName,
} from '../annealing/learned.js';
import type { Target } from '../targets/target.js';
import type { Distribution } from '../distributions/distribution.js';
import { evaluateSampler, type SamplerEvaluation } from '../eval/evaluateSampler.js';
import { Trainer, type IterationMetrics } from './trainer.js';
import type { TrainingObjective } from '../annealing/objectives.js';

export interface TrainAndEvaluateOptions {
  target: Target;
  sampler: Partial<LearnedSamplerConfig> & { kind: LearnedSamplerName };
  /** Training iterations before evaluation (0: evaluate the initial sampler). */
  trainIterations: number;
  trainParticles?: number;
  learningRate?: number;
  clipNorm?: number | null;
  /** Default: the ELBO for AIS samplers, the SMC bound over each iteration's particles for SMC. */
  objective?: TrainingObjective;
  particles: number;
  batches?: number;
  seed: number;
  onIteration?: (m: IterationMetrics, total: number) => void;
  onEvalStep?: (k: number, steps: number) => void;
  /** A fixed initial distribution (a trained flow) in place of the learned Gaussian; owned. */
  initial?: Distribution & { dispose?: () => void };
}

export interface TrainAndEvaluateResult extends SamplerEvaluation {
  trained: { iterations: number; skipped: number; seconds: number };
}

export function trainAndEvaluate(options: TrainAndEvaluateOptions): TrainAndEvaluateResult {
  // Separate streams for initialization, training and evaluation: evaluation particles are fresh.
  const [initRng, trainRng, evalRng] = Rng.fromSeed(options.seed).split(3) as [Rng, Rng, Rng];
  const sampler = new LearnedSampler(options.target, options.sampler, initRng, {
    initial: options.initial,
    owns: true,
  });
  const trainParticles = options.trainParticles ?? 256;
  const smc = sampler.smc;
  const objective: TrainingObjective =
    options.objective ??
    (smc ? { kind: 'iw', groupSize: smc.groupSize ?? trainParticles } : { kind: 'elbo' });
  const trainer = new Trainer(
    sampler,
    {
      objective,
      particles: trainParticles,
      learningRate: options.learningRate ?? 0.005,
      clipNorm: options.clipNorm === undefined ? 10 : options.clipNorm,
      lrSchedule: { kind: 'constant' },
    },
    trainRng,
  );
  try {
    const started = performance.now();
    for (let i = 0; i < options.trainIterations; i++) {
      // Step first: an optional call `f?.(g())` would skip g() when f is absent.
      const metrics = trainer.step();
      options.onIteration?.(metrics, options.trainIterations);
    }
    const seconds = (performance.now() - started) / 1000;
    const evaluation = evaluateSampler(sampler, {
      particles: options.particles,
      batches: options.batches,
      rng: evalRng,
      onStep: options.onEvalStep,
    });
    return {
      ...evaluation,
      trained: { iterations: trainer.iteration, skipped: trainer.skippedTotal, seconds },
    };
  } finally {
    trainer.dispose();
    sampler.dispose();
  }
}
