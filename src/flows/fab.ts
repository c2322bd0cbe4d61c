// Flow annealed importance sampling bootstrap (FAB; Midgley, Stimper, Simm, Scholkopf and
// Hernandez-Lobato 2023): a flow q trained on the alpha = 2 divergence D_2(p || q), whose
// gradient is -E_g[grad log q] under g = p^2 / q. Annealed importance sampling from q towards g
// (HMC moves whose step sizes tune themselves to an acceptance rate) supplies points x with
// weights w for g; the loss is the weighted negative log-likelihood -sum_i w_i log q(x_i).
// With the prioritized replay buffer, each AIS pass adds its points to a buffer, and several
// minibatches drawn from it in proportion to w take a gradient each; a point drawn after the flow
// has moved on is reweighted by (q_old(x) / q(x))^(alpha - 1), clipped, and its stored weight
// and log q are brought up to date.
import {
  tf,
  logMeanExpHost,
  stopGradient,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { AlphaPath } from '../annealing/alphaPath.js';
import { runAis } from '../annealing/ais.js';
import { hmcKernel } from '../annealing/kernels/hmc.js';
import { rwmKernel } from '../annealing/kernels/rwm.js';
import type { TransitionKernel } from '../annealing/kernels/kernel.js';
import type { TrainingObjective } from '../annealing/objectives.js';
import { ObjectiveError } from '../annealing/objectives.js';
import { AnnealingPath, type ParticleState } from '../annealing/path.js';
import { linearSchedule } from '../annealing/schedule.js';
import { summarizeLogWeights, type LogWeightSummary } from '../eval/logWeights.js';
import { checkTarget, type Target } from '../targets/target.js';
import type { TrainableModel } from '../train/trainer.js';
import { flowDistribution } from './adapters.js';
import { FlowError } from './bijection.js';
import type { Flow } from './flow.js';
import { ReplayBuffer, type ReplayBufferState } from './replayBuffer.js';

export interface FabBufferConfig {
  /** Capacity in minibatches (FAB: 400). */
  maxBatches: number;
  /** Minibatches of AIS points gathered before the first update (FAB: 40). */
  minBatches: number;
  /** Gradient updates per AIS pass, each on its own minibatch from the buffer (FAB: 4). */
  updatesPerPass: number;
}

export interface FabConfig {
  /** The divergence D_alpha(p || q) trained on; AIS targets p^alpha q^(1 - alpha) (default 2). */
  alpha: number;
  /**
   * Intermediate distributions of each AIS pass, each with one HMC move (FAB's count): the chain
   * has intermediate + 1 temperature steps, linearly spaced, the last without a move.
   */
  intermediate: number;
  /**
   * The move at each intermediate distribution: 'hmc' (default), or 'metropolis', a Gaussian
   * random walk whose large steps cross between far-apart modes.
   */
  move: FabMove;
  /** Leapfrog steps per HMC move (default 5). */
  leapfrogSteps: number;
  /** Each intermediate distribution's first step size (default 0.01; metropolis: its step's sd). */
  stepSize: number;
  /**
   * After every AIS pass each step size is multiplied by 1.02 where its mean acceptance was above
   * this rate and divided by 1.02 where not (FAB's rule); null keeps the step sizes fixed
   * (default 0.65).
   */
  targetAcceptance: number | null;
  /** The prioritized replay buffer; null trains on each AIS pass's points alone. */
  buffer: FabBufferConfig | null;
  /** Upper clip of the buffer's reweighting factor (default 10); null for none. */
  weightClip: number | null;
}

export const FAB_MOVES = ['hmc', 'metropolis'] as const;
export type FabMove = (typeof FAB_MOVES)[number];

export const FAB_DEFAULTS: FabConfig = {
  alpha: 2,
  intermediate: 4,
  move: 'hmc',
  leapfrogSteps: 5,
  stepSize: 0.01,
  targetAcceptance: 0.65,
  buffer: { maxBatches: 400, minBatches: 40, updatesPerPass: 4 },
  weightClip: 10,
};

/** The largest log reweighting factor of a buffer point (e^60: finite products in float32). */
const LOG_FACTOR_CAP = 60;

/** FAB's step-size rule's factor per AIS pass. */
const STEP_SIZE_FACTOR = 1.02;

/** What the last AIS pass of training saw. */
export interface FabPassReport {
  /** mean(log p - log q) over the flow's draws that started the pass. */
  flowElbo: number;
  /** Reverse ESS fraction of the flow's draws for p. */
  flowEss: number;
  /** Reverse ESS fraction of the AIS weights for g. */
  aisEss: number;
  /** Mean HMC acceptance of each intermediate distribution. */
  acceptance: number[];
}

/** What a FAB model keeps besides the flow's parameters, for an exact resume. */
export interface FabState {
  stepSizes: number[];
  passes: number;
  /** Minibatches drawn and not yet used, as buffer slots. */
  queue: number[][];
  buffer: ReplayBufferState | null;
  /** The last pass's report (the flow ELBO the coming iterations report). */
  lastPass: FabPassReport | null;
}

/** The HMC move at each intermediate distribution, none at the last temperature (g itself). */
function movesBeforeLast(kernel: TransitionKernel): TransitionKernel {
  return {
    name: kernel.name,
    params: kernel.params,
    invariant: true,
    step(state: ParticleState, ctx, rng) {
      if (ctx.step < ctx.steps) return kernel.step(state, ctx, rng);
      const copy = tf.tidy(() => ({
        z: state.z.clone(),
        logTarget: state.logTarget.clone(),
        scoreTarget: state.scoreTarget.clone(),
        logInitial: state.logInitial.clone(),
        scoreInitial: state.scoreInitial.clone(),
      }));
      return { state: copy, logCorrection: null, acceptance: null };
    },
  };
}

/** Checks a FAB config's values (the config schema checks them too; this guards library use). */
function checkFabConfig(c: FabConfig, batch: number): void {
  const positiveInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1)
      throw new FlowError(`FAB: ${what} must be a positive integer, got ${v}`);
  };
  if (!(FAB_MOVES as readonly string[]).includes(c.move))
    throw new FlowError(`FAB: unknown move '${c.move as string}'; valid: ${FAB_MOVES.join(', ')}`);
  if (!(Number.isFinite(c.alpha) && c.alpha > 1))
    throw new FlowError(`FAB: alpha must be a number above 1, got ${c.alpha}`);
  positiveInt(c.intermediate, 'intermediate');
  positiveInt(c.leapfrogSteps, 'leapfrogSteps');
  positiveInt(batch, 'the batch');
  if (!(c.stepSize > 0 && Number.isFinite(c.stepSize)))
    throw new FlowError(`FAB: stepSize must be positive, got ${c.stepSize}`);
  if (c.targetAcceptance !== null && !(c.targetAcceptance > 0 && c.targetAcceptance < 1))
    throw new FlowError(
      `FAB: targetAcceptance must lie strictly between 0 and 1, got ${c.targetAcceptance}`,
    );
  if (c.weightClip !== null && !(c.weightClip > 0))
    throw new FlowError(`FAB: weightClip must be positive, got ${c.weightClip}`);
  const b = c.buffer;
  if (b) {
    positiveInt(b.maxBatches, 'buffer.maxBatches');
    positiveInt(b.minBatches, 'buffer.minBatches');
    positiveInt(b.updatesPerPass, 'buffer.updatesPerPass');
    if (b.minBatches > b.maxBatches)
      throw new FlowError(
        `FAB: buffer.minBatches (${b.minBatches}) exceeds buffer.maxBatches (${b.maxBatches})`,
      );
    if (b.updatesPerPass > b.minBatches)
      throw new FlowError(
        `FAB: buffer.updatesPerPass (${b.updatesPerPass}) exceeds buffer.minBatches (${b.minBatches}): each pass draws that many distinct minibatches from the buffer`,
      );
  }
}

/**
 * The FAB surrogate on buffer points: -mean(c * log q(x)) with c = min(clip, exp((1 - alpha)
 * (log q(x) - log q_old(x)))) held constant, whose gradient is the importance-reweighted
 * -E_g[grad log q]. Returns the loss and log q (for the buffer's update).
 */
export function fabBufferLoss(
  flow: Flow,
  x: Tensor2D,
  logQOld: Tensor1D,
  alpha: number,
  clip: number | null,
): { loss: Scalar; logQ: Tensor1D } {
  return tf.tidy(() => {
    const logQ = flow.logProb(x);
    const logAdjust = tf.mul(1 - alpha, tf.sub(stopGradient(logQ), logQOld));
    // Without a clip, float32 would overflow where float64 (the reference code's) does not: the
    // exponent stops at LOG_FACTOR_CAP, whose factor still outweighs every ordinary point.
    let factor = tf.exp(tf.minimum(logAdjust, LOG_FACTOR_CAP));
    if (clip !== null) factor = tf.minimum(factor, clip);
    const loss = tf.neg(tf.mean(tf.mul(factor, logQ))) as Scalar;
    return { loss, logQ: stopGradient(logQ) as Tensor1D };
  });
}

/** The FAB surrogate on one AIS pass's points: -sum_i softmax(log w)_i log q(x_i). */
export function fabPassLoss(flow: Flow, x: Tensor2D, logW: Tensor1D): Scalar {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.softmax(logW), flow.logProb(x)))) as Scalar);
}

/**
 * A flow trained by FAB, for a Trainer: each iteration is one gradient update. With the buffer,
 * an AIS pass runs every `updatesPerPass` iterations (and `minBatches` of them before the first);
 * without it, every iteration runs a pass of `particles` and trains on it.
 *
 * @example
 * ```ts
 * const flow = new Flow(2, { kind: 'realnvp', layers: 8 }, Rng.fromSeed(0));
 * const fab = new FabModel(flow, createTarget('gmm40'), { intermediate: 2 }, 200);
 * const trainer = new Trainer(fab, { particles: 200, learningRate: 1e-4, clipNorm: null }, Rng.fromSeed(1));
 * for (let i = 0; i < 1000; i++) trainer.step();
 * ```
 */
export class FabModel implements TrainableModel {
  readonly config: FabConfig;
  private stepSizes: number[];
  private passes = 0;
  private readonly buffer: ReplayBuffer | null;
  private queue: Int32Array[] = [];
  /** The minibatch of the coming loss and, once the loss ran, its log q for the buffer. */
  private pending: {
    x: Tensor2D;
    logQOld: Tensor1D | null;
    logW: Tensor1D | null;
    slots: Int32Array | null;
    logQNew: Tensor1D | null;
  } | null = null;
  /** What the last training pass saw (null before the first). */
  lastPass: FabPassReport | null = null;

  /** @param batch the trainer's particles: AIS pass size and minibatch size */
  constructor(
    readonly flow: Flow,
    readonly target: Target,
    config: Partial<FabConfig>,
    readonly batch: number,
  ) {
    checkTarget(target);
    const c: FabConfig = {
      ...FAB_DEFAULTS,
      ...config,
      buffer: config.buffer === null ? null : { ...FAB_DEFAULTS.buffer!, ...(config.buffer ?? {}) },
    };
    checkFabConfig(c, batch);
    if (flow.dim !== target.dim)
      throw new FlowError(
        `FAB: the flow has dim ${flow.dim}, target '${target.name}' ${target.dim}`,
      );
    this.config = c;
    this.stepSizes = Array.from({ length: c.intermediate }, () => c.stepSize);
    this.buffer = c.buffer ? new ReplayBuffer(target.dim, c.buffer.maxBatches * batch) : null;
  }

  get params() {
    return this.flow.params;
  }

  /** The HMC step size of each intermediate distribution, as tuned so far. */
  get currentStepSizes(): readonly number[] {
    return this.stepSizes;
  }

  /** Sets every intermediate distribution's step size (a trained run's, for its evaluation). */
  setStepSizes(sizes: readonly number[]): void {
    if (sizes.length !== this.stepSizes.length || !sizes.every((s) => s > 0 && Number.isFinite(s)))
      throw new FlowError(
        `FAB needs ${this.stepSizes.length} positive step sizes (one per intermediate distribution), got ${sizes.length}`,
      );
    this.stepSizes = [...sizes];
  }

  private kernel(): TransitionKernel {
    // The last temperature has no move; its step size is never used.
    const sizes = [...this.stepSizes, this.stepSizes[this.stepSizes.length - 1] as number];
    return movesBeforeLast(
      this.config.move === 'metropolis'
        ? rwmKernel({ stepSize: sizes })
        : hmcKernel({ stepSize: sizes, leapfrogSteps: this.config.leapfrogSteps }),
    );
  }

  /**
   * One AIS pass from the flow towards p^alpha q^(1 - alpha) (alpha = 1: towards p) with the
   * current step sizes; returns the points, their log weights, log q at them and the flow's own
   * log weights log p - log q at the pass's start. The caller disposes all four.
   */
  aisPass(
    particles: number,
    rng: Rng,
    alpha = this.config.alpha,
  ): {
    x: Tensor2D;
    logW: Tensor1D;
    logQ: Tensor1D;
    flowLogW: Tensor1D;
    acceptance: number[];
  } {
    const start = this.flow.sample(particles, rng);
    const flowLogW = tf.tidy(() => tf.sub(this.target.logProb(start.x), start.logQ) as Tensor1D);
    start.logQ.dispose();
    const q = flowDistribution(this.flow);
    const path =
      alpha === 1 ? new AnnealingPath(q, this.target) : new AlphaPath(q, this.target, alpha);
    let r;
    try {
      r = runAis({
        path,
        kernel: this.kernel(),
        betas: linearSchedule(this.config.intermediate + 1),
        particles,
        rng,
        start: start.x,
        // Points that went non-finite are dropped by the buffer, not fatal.
        checkFinite: false,
      });
    } catch (error) {
      flowLogW.dispose();
      throw error;
    } finally {
      start.x.dispose();
    }
    const logQ = this.flow.logProb(r.z);
    const acceptance = r.perStep
      .slice(0, this.config.intermediate)
      .map((s) => s.acceptance ?? Number.NaN);
    return { x: r.z, logW: r.logW, logQ, flowLogW, acceptance };
  }

  /** A training pass: AIS towards g, step sizes tuned, the pass's report kept. */
  private trainingPass(
    particles: number,
    rng: Rng,
  ): { x: Tensor2D; logW: Tensor1D; logQ: Tensor1D } {
    const p = this.aisPass(particles, rng);
    const flowLogW = Float64Array.from(p.flowLogW.dataSync());
    p.flowLogW.dispose();
    const aisLogW = Float64Array.from(p.logW.dataSync());
    const target = this.config.targetAcceptance;
    if (target !== null)
      this.stepSizes = this.stepSizes.map((s, k) =>
        (p.acceptance[k] as number) > target ? s * STEP_SIZE_FACTOR : s / STEP_SIZE_FACTOR,
      );
    this.passes += 1;
    this.lastPass = {
      flowElbo: flowLogW.reduce((a, b) => a + b, 0) / flowLogW.length,
      flowEss: essFraction(flowLogW),
      aisEss: essFraction(aisLogW),
      acceptance: p.acceptance,
    };
    return { x: p.x, logW: p.logW, logQ: p.logQ };
  }

  /** A pass's points into the buffer (read back once). */
  private fill(particles: number, rng: Rng): void {
    const p = this.trainingPass(particles, rng);
    try {
      (this.buffer as ReplayBuffer).add(p.x.dataSync(), p.logW.dataSync(), p.logQ.dataSync());
    } finally {
      tf.dispose([p.x, p.logW, p.logQ]);
    }
  }

  /** Applies the last minibatch's update to the buffer and frees it. */
  private settle(): void {
    const p = this.pending;
    if (!p) return;
    if (p.slots && p.logQNew && p.logQOld && this.buffer) {
      const logQNew = p.logQNew.dataSync();
      const logQOld = p.logQOld.dataSync();
      const a = 1 - this.config.alpha;
      const adjust = Float64Array.from(logQNew, (v, i) => a * (v - (logQOld[i] as number)));
      this.buffer.adjust(p.slots, adjust, logQNew);
    }
    tf.dispose([p.x, ...[p.logQOld, p.logW, p.logQNew].filter((t): t is Tensor1D => t !== null)]);
    this.pending = null;
  }

  prepare(particles: number, rng: Rng): void {
    if (particles !== this.batch)
      throw new FlowError(`FAB was built for batches of ${this.batch}, not ${particles}`);
    this.settle();
    const buffer = this.buffer;
    const b = this.config.buffer;
    if (!buffer || !b) {
      const p = this.trainingPass(particles, rng);
      p.logQ.dispose();
      this.pending = { x: p.x, logW: p.logW, logQOld: null, slots: null, logQNew: null };
      return;
    }
    if (this.queue.length === 0) {
      // Before the first update the buffer takes minBatches passes; after, one per cycle.
      const passes = this.passes === 0 ? b.minBatches : 1;
      for (let i = 0; i < passes; i++) this.fill(particles, rng);
      const slots = buffer.sample(b.updatesPerPass * particles, rng);
      this.queue = Array.from({ length: b.updatesPerPass }, (_, i) =>
        slots.slice(i * particles, (i + 1) * particles),
      );
    }
    const slots = this.queue.shift() as Int32Array;
    const x = tf.tensor2d(buffer.rows(slots), [particles, buffer.dim]);
    const logQOld = tf.tensor1d(Float32Array.from(slots, (s) => buffer.logQ[s] as number));
    this.pending = { x, logQOld, logW: null, slots, logQNew: null };
  }

  loss(particles: number, rng: Rng, objective: TrainingObjective, out: { elbo?: Scalar }): Scalar {
    if (objective.kind !== 'elbo')
      throw new ObjectiveError(
        `FAB trains its flow on the alpha-divergence, not '${objective.kind}'`,
      );
    if (!this.pending) this.prepare(particles, rng);
    const p = this.pending as NonNullable<typeof this.pending>;
    let loss: Scalar;
    if (p.logW) {
      loss = fabPassLoss(this.flow, p.x, p.logW);
    } else {
      const r = fabBufferLoss(
        this.flow,
        p.x,
        p.logQOld as Tensor1D,
        this.config.alpha,
        this.config.weightClip,
      );
      loss = r.loss;
      p.logQNew?.dispose();
      p.logQNew = tf.keep(r.logQ);
    }
    if (this.lastPass) out.elbo = tf.keep(tf.scalar(this.lastPass.flowElbo));
    return loss;
  }

  saveState(): FabState {
    this.settle();
    return {
      stepSizes: [...this.stepSizes],
      passes: this.passes,
      queue: this.queue.map((q) => Array.from(q)),
      buffer: this.buffer ? this.buffer.save() : null,
      lastPass: this.lastPass,
    };
  }

  loadState(state: unknown): void {
    const s = state as Partial<FabState> | undefined;
    const fits =
      s &&
      Array.isArray(s.stepSizes) &&
      s.stepSizes.length === this.stepSizes.length &&
      s.stepSizes.every((v) => typeof v === 'number' && v > 0) &&
      typeof s.passes === 'number' &&
      Array.isArray(s.queue) &&
      (s.buffer === null) === (this.buffer === null);
    if (!fits)
      throw new FlowError(
        'the checkpoint has no FAB state that fits this config (step sizes, replay buffer)',
      );
    this.settle();
    this.stepSizes = [...(s.stepSizes as number[])];
    this.passes = s.passes as number;
    this.queue = (s.queue as number[][]).map((q) => Int32Array.from(q));
    if (this.buffer) this.buffer.load(s.buffer as ReplayBufferState);
    this.lastPass = s.lastPass ?? null;
  }

  dispose(): void {
    if (this.pending) {
      const p = this.pending;
      tf.dispose([p.x, ...[p.logQOld, p.logW, p.logQNew].filter((t): t is Tensor1D => t !== null)]);
      this.pending = null;
    }
  }
}

function essFraction(logW: Float64Array): number {
  const twice = Array.from(logW, (v) => 2 * v);
  return Math.exp(2 * logMeanExpHost(Array.from(logW)) - logMeanExpHost(twice));
}

/** FAB's evaluation of log Z: the flow's importance sampling, and AIS from the flow towards p. */
export interface FabEvaluation {
  /** AIS (alpha = 1) from the flow to p with the tuned HMC moves, in batches of `batchSize`. */
  ais: LogWeightSummary;
  /** Mean |log Z_batch - log Z| over the AIS batches, where the target knows log Z. */
  aisMae: number | null;
  stepSizes: number[];
}

/**
 * AIS from the trained flow towards p, as FAB evaluates it: `particles` chains in independent
 * batches of `batchSize`, each batch one log Z estimate.
 */
export function evaluateFabAis(
  model: FabModel,
  options: { particles: number; batchSize: number; rng: Rng },
): FabEvaluation {
  const { particles, batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || particles % batchSize !== 0)
    throw new FlowError(
      `FAB evaluation: ${particles} particles must split into batches of ${batchSize}`,
    );
  const logW = new Float64Array(particles);
  for (let start = 0; start < particles; start += batchSize) {
    const p = model.aisPass(batchSize, options.rng, 1);
    logW.set(p.logW.dataSync(), start);
    tf.dispose([p.x, p.logW, p.logQ, p.flowLogW]);
  }
  const ais = summarizeLogWeights(logW, particles / batchSize, { independent: true });
  const truth = model.target.logZ;
  const aisMae =
    truth === undefined || ais.batchLogZ.length === 0
      ? null
      : ais.batchLogZ.reduce((a, z) => a + Math.abs(z - truth), 0) / ais.batchLogZ.length;
  return { ais, aisMae, stepSizes: [...model.currentStepSizes] };
}
