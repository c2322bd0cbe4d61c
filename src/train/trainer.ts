// Gradient descent on a sampler's negative ELBO (or importance-weighted bound): Adam, global-norm clipping, a learning-rate
// schedule, and non-finite steps skipped and counted rather than applied.
import { tf, addMany, Rng, type RngState, type Scalar, type Tensor } from '../engine/index.js';
import type { ParamStore } from '../nets/params.js';
import {
  freshPlateau,
  learningRateAt,
  observePlateau,
  type LrSchedule,
  type PlateauState,
} from './schedule.js';
import { applyAdam } from './adam.js';
import { validateObjective, type TrainingObjective } from '../annealing/objectives.js';
import { checkOptionKeys, keyList } from '../io/entryOptions.js';

export interface TrainerConfig {
  /** Particles per iteration (default 256). */
  particles: number;
  /** Adam's learning rate (default 0.005). */
  learningRate: number;
  /** Clip the global gradient norm to this value; null for no clipping (default 10). */
  clipNorm: number | null;
  /** Default constant. */
  lrSchedule: LrSchedule;
  /** What to maximize; the ELBO when absent. */
  objective?: TrainingObjective;
}

/** The Trainer's settings where a config leaves them out. */
export const TRAINER_DEFAULTS: Readonly<Omit<TrainerConfig, 'objective'>> = {
  particles: 256,
  learningRate: 0.005,
  clipNorm: 10,
  lrSchedule: { kind: 'constant' },
};

const TRAINER_KEYS = keyList<TrainerConfig>()([
  'particles',
  'learningRate',
  'clipNorm',
  'lrSchedule',
  'objective',
]);

export interface IterationMetrics {
  iteration: number;
  /** The loss minimized: minus the objective's bound on this iteration's particles (NaN when non-finite). */
  loss: number;
  /** ELBO (mean log-weight) of the same particles, whatever the objective. */
  elbo: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  learningRate: number;
  /** Whether this iteration's update was skipped (non-finite loss or gradient). */
  skipped: boolean;
  /** Skipped iterations so far. */
  skippedTotal: number;
}

export interface OptimizerSlot {
  name: string;
  shape: number[];
  values: number[];
}

export interface TrainerState {
  iteration: number;
  skippedTotal: number;
  rng: RngState;
  optimizer: OptimizerSlot[];
  /**
   * Adam's running beta1^t and beta2^t as the straight run computed them (by repeated float32
   * products). TF.js recomputes them with pow() when weights are set, which can differ in the last
   * bit and make a resumed run drift from the straight one.
   */
  adamBetaPowers?: [number, number];
  /** A reduce-on-plateau schedule's state (absent for the other schedules). */
  plateau?: PlateauState;
}

/**
 * What the trainer optimizes: a LearnedSampler, a flow, or any model with named parameters and a
 * scalar loss built from a random stream.
 */
export interface TrainableModel {
  readonly params: ParamStore;
  /**
   * The loss to minimize on `particles` fresh draws; sets out.elbo (a kept scalar) when the model
   * has an ELBO to report.
   */
  loss(particles: number, rng: Rng, objective: TrainingObjective, out: { elbo?: Scalar }): Scalar;
  /**
   * Work outside the gradient tape before each loss() (e.g. the fast path-gradient pass, or the
   * paths of the log-variance objective).
   */
  prepare?(particles: number, rng: Rng, objective?: TrainingObjective): void;
  /**
   * prepare() with its host reads awaited (Trainer.stepAsync uses it where present): needed where
   * prepare reads device values and the backend cannot read them synchronously (webgpu).
   */
  prepareAsync?(particles: number, rng: Rng, objective?: TrainingObjective): Promise<void>;
  /** Refuses, before the first iteration, a model that cannot be trained (a target's missing gradients). */
  checkTrainable?(): void;
  /**
   * State besides the parameters that a resumed run needs to continue exactly (plain JSON data),
   * saved in every checkpoint; loadState() takes it back (and refuses what does not fit).
   */
  saveState?(): unknown;
  loadState?(state: unknown): void;
}

/** Consecutive skipped iterations after which a run stops as diverged. */
export const MAX_CONSECUTIVE_SKIPS = 25;

/** Training that can no longer make progress: every recent iteration was non-finite. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/**
 * A trained sampler whose evaluation diverges owes it to its training, not to the step size it
 * started from: the error's advice is rewritten to say so (the error itself is rethrown).
 */
export function blameTraining(error: unknown, iterations: number, learningRate: number): unknown {
  if (iterations > 0 && error instanceof Error && error.name === 'NonFiniteWeightsError')
    error.message = error.message.replace(
      /the sampler diverged: try a smaller step size$/,
      `the trained sampler diverged (after ${iterations} iterations at learning rate ${learningRate}): try a smaller learning rate or step size`,
    );
  return error;
}

/** The one line a diverged run ends with: where it stopped and what to change. */
export function divergenceMessage(
  iteration: number,
  skipped: number,
  learningRate: number,
): string {
  // A rate far above Adam's usual range explains it better than anything in the sampler.
  const cause =
    learningRate > 0.1
      ? `the learning rate ${learningRate} is very large: lower the learning rate`
      : `lower the sampler's step size or the learning rate (${learningRate})`;
  return `training diverged at iteration ${iteration}: the last ${skipped} iterations were all skipped for a non-finite loss or gradient; ${cause}. Nothing was evaluated`;
}

/**
 * Adam on a model's loss (a LearnedSampler's negative ELBO or SMC bound, a FlowModel's KL), one
 * iteration per step(): fresh particles from the training stream, gradient clipping, the learning-
 * rate schedule, and non-finite iterations skipped and counted instead of applied.
 *
 * @example
 * ```ts
 * const trainer = new Trainer(sampler, { particles: 128 }, Rng.fromSeed(1));
 * for (let i = 0; i < 500; i++) {
 *   const m = trainer.step();
 *   if (m.iteration % 100 === 0) console.log(m.iteration, m.elbo);
 * }
 * trainer.dispose();
 * ```
 */
/** An iteration between its gradient and its update (see Trainer.step). */
interface PendingStep {
  lr: number;
  value: Scalar;
  grads: Record<string, Tensor>;
  /** [loss, squared gradient norm, ELBO]. */
  readings: Tensor;
}

export class Trainer {
  private optimizer: tf.AdamOptimizer;
  iteration = 0;
  skippedTotal = 0;
  private plateau: PlateauState = freshPlateau();

  get objective(): TrainingObjective {
    return this.config.objective ?? { kind: 'elbo' };
  }

  readonly config: TrainerConfig;

  /**
   * @param sampler what to train: a LearnedSampler, a FlowModel, or any TrainableModel
   * @param settings every field left out takes TRAINER_DEFAULTS
   * @param rng the training stream: each iteration's particles are drawn from it
   */
  constructor(
    readonly sampler: TrainableModel,
    settings: Partial<TrainerConfig>,
    public rng: Rng,
  ) {
    checkOptionKeys('Trainer', settings, TRAINER_KEYS, (m) => new RangeError(m));
    const config: TrainerConfig = { ...TRAINER_DEFAULTS };
    for (const [key, value] of Object.entries(settings))
      if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
    this.config = config;
    if (!Number.isInteger(config.particles) || config.particles < 1)
      throw new RangeError(`particles must be a positive integer, got ${config.particles}`);
    if (!(config.learningRate > 0)) throw new RangeError('learning rate must be > 0');
    if (config.clipNorm !== null && !(config.clipNorm > 0))
      throw new RangeError('clipNorm must be > 0');
    validateObjective(this.objective, config.particles);
    sampler.checkTrainable?.();
    this.optimizer = tf.train.adam(config.learningRate);
  }

  /** One iteration: fresh particles, gradient of -ELBO, clipped Adam update (or a counted skip). */
  step(): IterationMetrics {
    this.sampler.prepare?.(this.config.particles, this.rng, this.objective);
    const pending = this.compute();
    const values = pending.readings.dataSync(); // one sync per iteration
    return this.finish(pending, values);
  }

  /**
   * step() with its one read of the loss and gradient norm awaited instead of synchronous: the
   * same numbers, and the only way on backends that cannot read a GPU buffer synchronously
   * (webgpu).
   */
  async stepAsync(): Promise<IterationMetrics> {
    if (this.sampler.prepareAsync)
      await this.sampler.prepareAsync(this.config.particles, this.rng, this.objective);
    else this.sampler.prepare?.(this.config.particles, this.rng, this.objective);
    const pending = this.compute();
    const values = await pending.readings.data();
    return this.finish(pending, values);
  }

  /**
   * The loss and gradients of one iteration (after the model's prepare), and a tensor of what the
   * update must read.
   */
  private compute(): PendingStep {
    const schedule = this.config.lrSchedule;
    const lr = learningRateAt(this.config.learningRate, schedule, this.iteration, this.plateau);
    // TF.js's Adam reads its rate at every update; the field is not part of its typed surface.
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    const vars = this.sampler.params.trainable();
    const out: { elbo?: Scalar } = {};
    const { value, grads } = tf.variableGrads(
      () => this.sampler.loss(this.config.particles, this.rng, this.objective, out),
      vars,
    );
    const elboT = out.elbo ?? tf.scalar(NaN);
    const readings = tf.tidy(() => {
      const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
      const total = sq.length ? addMany(sq) : tf.scalar(0);
      return tf.stack([value, total, elboT]);
    });
    elboT.dispose();
    return { lr, value, grads, readings };
  }

  /** The update (or a counted skip) from the read values; frees the iteration's tensors. */
  private finish(pending: PendingStep, values: ArrayLike<number>): IterationMetrics {
    const { lr, value, grads, readings } = pending;
    const schedule = this.config.lrSchedule;
    const [loss, normSq, elbo] = Array.from(values) as [number, number, number];
    readings.dispose();
    const gradNorm = Math.sqrt(normSq);
    const skipped = !Number.isFinite(loss) || !Number.isFinite(gradNorm);
    if (skipped) {
      this.skippedTotal += 1;
    } else {
      const scale =
        this.config.clipNorm !== null && gradNorm > this.config.clipNorm
          ? this.config.clipNorm / gradNorm
          : 1;
      applyAdam(
        this.optimizer,
        Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
        scale,
      );
      if (schedule.kind === 'plateau') this.plateau = observePlateau(schedule, this.plateau, loss);
    }
    tf.dispose([value, ...Object.values(grads)]);
    this.iteration += 1;
    return {
      iteration: this.iteration,
      loss,
      elbo,
      gradNorm,
      learningRate: lr,
      skipped,
      skippedTotal: this.skippedTotal,
    };
  }

  async saveState(): Promise<TrainerState> {
    const weights = await this.optimizer.getWeights();
    const optimizer = await Promise.all(
      weights.map(async (w) => ({
        name: w.name,
        shape: w.tensor.shape,
        values: Array.from(await w.tensor.data()),
      })),
    );
    const powers = this.betaPowers();
    const powerValues = powers
      ? await Promise.all(powers.map(async (v) => (await v.data())[0] as number))
      : null;
    return {
      iteration: this.iteration,
      skippedTotal: this.skippedTotal,
      rng: this.rng.state(),
      optimizer,
      ...(powerValues ? { adamBetaPowers: powerValues as [number, number] } : {}),
      ...(this.config.lrSchedule.kind === 'plateau' ? { plateau: { ...this.plateau } } : {}),
    };
  }

  async loadState(state: TrainerState): Promise<void> {
    this.iteration = state.iteration;
    this.skippedTotal = state.skippedTotal;
    this.rng = Rng.fromState(state.rng);
    // JSON writes an infinite best (no loss seen yet) as null.
    const p = state.plateau;
    this.plateau = p
      ? { ...p, best: typeof p.best === 'number' ? p.best : Infinity }
      : freshPlateau();
    if (state.optimizer.length > 0) {
      const tensors = state.optimizer.map((w) => ({
        name: w.name,
        tensor: tf.tensor(w.values, w.shape, 'float32'),
      }));
      await this.optimizer.setWeights(tensors);
      tf.dispose(tensors.map((t) => t.tensor));
    }
    const powers = this.betaPowers();
    if (powers && state.adamBetaPowers) {
      const [b1, b2] = state.adamBetaPowers;
      tf.tidy(() => {
        powers[0].assign(tf.scalar(b1));
        powers[1].assign(tf.scalar(b2));
      });
    }
  }

  /** Adam's accumulated beta powers (private fields of TF.js's AdamOptimizer), when present. */
  private betaPowers(): [tf.Variable, tf.Variable] | null {
    const o = this.optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
    return o.accBeta1 && o.accBeta2 ? [o.accBeta1, o.accBeta2] : null;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
