// Continual Repeated Annealed Flow Transport (CRAFT; Matthews, Arbel, Rezende and Doucet 2022):
// SMC on the geometric path from a fixed Gaussian to the target, each temperature step a learned
// normalizing flow (a small RealNVP of its own) that carries the particles from gamma_{k-1}
// towards gamma_k, their weights corrected by the flow's log-determinant, then resampling when
// the ESS falls and HMC moves that leave gamma_k invariant. Training repeats the whole pass: at
// each step the flow's loss is the weighted transport KL of the particles it receives,
//   sum_i W_i [log gamma_{k-1}(x_i) - log gamma_k(T_k(x_i)) - log |det dT_k/dx_i|],
// with the particles and weights held fixed, and every flow takes its gradient from the same pass.
// Its log Z estimate is the SMC one, unbiased for any flows.
import {
  tf,
  stopGradient,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { runAis, type AnnealedResult } from '../annealing/ais.js';

import type { ChainState } from '../annealing/step.js';
import { hmcKernel } from '../annealing/kernels/hmc.js';
import type { TransitionKernel } from '../annealing/kernels/kernel.js';
import { transportKernel } from '../annealing/kernels/transport.js';
import { ObjectiveError, type TrainingObjective } from '../annealing/objectives.js';
import { AnnealingPath } from '../annealing/path.js';
import type { ResamplingOptions } from '../annealing/resampling.js';
import { linearSchedule } from '../annealing/schedule.js';
import type { StepValue } from '../annealing/stepValue.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { summarizeLogWeights, type LogWeightSummary } from '../eval/logWeights.js';
import { ParamStore } from '../nets/params.js';
import { checkTarget, type Target } from '../targets/target.js';
import type { TrainableModel } from '../train/trainer.js';
import { FlowError, type Bijection } from './bijection.js';
import { CONDITIONER_DEFAULTS, type ConditionerConfig } from './conditioner.js';
import { AffineCoupling, alternatingMask } from './coupling.js';

export interface CraftConfig {
  /** Temperature steps K, each with its own flow (default 4, CRAFT's funnel setting). */
  steps: number;
  /** Affine coupling layers per flow, alternating masks (default 4). */
  layers: number;
  /** The flows' conditioners (default: hidden [64, 64], identity start). */
  conditioner: ConditionerConfig;
  /** The fixed initial distribution N(mean, scale^2 I) (default N(0, I)). */
  initialScale: number;
  /**
   * HMC after each transport: step size (one, or one per step), leapfrog steps and moves per
   * step; null for transport alone (default 0.5, 10 and 1).
   */
  hmc: { stepSize: number | number[]; leapfrogSteps: number; moves: number } | null;
  /** Resampling of each system (default systematic below ESS 0.3, as CRAFT's configs). */
  resampling: Omit<ResamplingOptions, 'groupSize'>;
}

export const CRAFT_DEFAULTS: CraftConfig = {
  steps: 4,
  layers: 4,
  conditioner: CONDITIONER_DEFAULTS,
  initialScale: 1,
  hmc: { stepSize: 0.5, leapfrogSteps: 10, moves: 1 },
  resampling: { scheme: 'systematic', essThreshold: 0.3 },
};

/** What the pass before a training iteration keeps of each step, all off the tape. */
interface StepRecord {
  /** Particles entering the step [N, d]. */
  x: Tensor2D;
  /** Their normalized weights within their system [N] (each system's sum 1, then / systems). */
  weights: Tensor1D;
  /** log gamma_{k-1}(x) [N]. */
  logPrev: Tensor1D;
  beta: number;
}

/** What a step receives, off the tape: particles, their weights and log gamma_{k-1} there. */
function recordOf(
  chain: ChainState,
  beta: number,
  betaPrev: number,
  rows?: { begin: number; size: number },
): StepRecord {
  const { particles: state, logW } = chain;
  const part = <T extends tf.Tensor>(t: T): T =>
    (rows ? tf.slice(t, rows.begin, rows.size) : t) as T;
  const tensors = tf.tidy(() => ({
    x: stopGradient(part(state.z)),
    weights: tf.softmax(stopGradient(part(logW))) as Tensor1D,
    logPrev: stopGradient(
      part(tf.add(tf.mul(1 - betaPrev, state.logInitial), tf.mul(betaPrev, state.logTarget))),
    ) as Tensor1D,
  }));
  return { ...tensors, beta };
}

export interface CraftRunOptions {
  particles: number;
  rng: Rng;
  /** Particles per SMC system (default all: one system). */
  groupSize?: number;
  /** Per-step readings (ESS, acceptance), read back at the end (default true). */
  diagnostics?: boolean;
  onStep?: (step: number, steps: number) => void;
}

/**
 * CRAFT as a trainable model: `run` is the SMC pass with the current flows; a Trainer's
 * iteration runs one pass off the tape (prepare) and takes every flow's transport-KL gradient
 * from it (loss).
 *
 * @example
 * ```ts
 * const craft = new CraftSampler(createTarget('funnel'), { steps: 4 }, Rng.fromSeed(0));
 * const trainer = new Trainer(craft, { particles: 2000, learningRate: 1e-3, clipNorm: null }, Rng.fromSeed(1));
 * for (let i = 0; i < 200; i++) trainer.step();
 * const { logZ, logZStdErr } = craft.evaluate({ particles: 6000, batches: 6, rng: Rng.fromSeed(2) });
 * ```
 */
export class CraftSampler implements TrainableModel {
  readonly params = new ParamStore();
  readonly config: CraftConfig;
  readonly initial: DiagGaussian;
  private readonly flows: Bijection[][];
  private readonly betas: number[];
  private records: StepRecord[] | null = null;
  /** log Z of the last training pass (its systems' mean), for the iteration's report. */
  lastPassLogZ: number | null = null;

  constructor(
    readonly target: Target,
    config: Partial<CraftConfig>,
    rng: Rng,
  ) {
    checkTarget(target);
    const c: CraftConfig = {
      ...CRAFT_DEFAULTS,
      ...config,
      conditioner: { ...CRAFT_DEFAULTS.conditioner, ...config.conditioner },
    };
    const d = target.dim;
    if (!Number.isInteger(c.steps) || c.steps < 1)
      throw new FlowError(`CRAFT needs a positive integer number of steps, got ${c.steps}`);
    if (!Number.isInteger(c.layers) || c.layers < 1)
      throw new FlowError(
        `CRAFT's flows need a positive integer number of layers, got ${c.layers}`,
      );
    if (d < 2) throw new FlowError(`CRAFT's coupling flows need dim >= 2, got ${d}`);
    if (!(c.initialScale > 0 && Number.isFinite(c.initialScale)))
      throw new FlowError(`initialScale must be positive, got ${c.initialScale}`);
    if (c.hmc) {
      const sizes = Array.isArray(c.hmc.stepSize) ? c.hmc.stepSize : [c.hmc.stepSize];
      if (Array.isArray(c.hmc.stepSize) && sizes.length !== c.steps)
        throw new FlowError(
          `hmc.stepSize has ${sizes.length} values; CRAFT with ${c.steps} steps needs one or ${c.steps}`,
        );
      if (sizes.some((s) => !(s > 0 && Number.isFinite(s))))
        throw new FlowError('hmc.stepSize must be positive');
    }
    this.config = c;
    this.initial = DiagGaussian.isotropic(d, c.initialScale);
    this.betas = linearSchedule(c.steps);
    this.flows = Array.from({ length: c.steps }, (_, k) =>
      Array.from(
        { length: c.layers },
        (_, l) =>
          new AffineCoupling(
            this.params,
            `flow${k + 1}.layer${l}`,
            d,
            alternatingMask(d, l),
            c.conditioner,
            rng,
          ),
      ),
    );
  }

  get steps(): number {
    return this.config.steps;
  }

  /** y = T_k(x) and log |det dT_k/dx| (k = 1..K). */
  transport(x: Tensor2D, step: number): { y: Tensor2D; logDet: Tensor1D } {
    const layers = this.flows[step - 1];
    if (!layers) throw new FlowError(`CRAFT has steps 1..${this.steps}, not ${step}`);
    return tf.tidy(() => {
      let y = x;
      let logDet = tf.zeros([x.shape[0]]) as Tensor1D;
      for (const layer of layers) {
        const r = layer.forward(y);
        y = r.y;
        logDet = tf.add(logDet, r.logDet) as Tensor1D;
      }
      return { y, logDet };
    });
  }

  private kernel(): TransitionKernel {
    const h = this.config.hmc;
    return transportKernel({
      transport: (x, step) => this.transport(x, step),
      ...(h
        ? {
            then: hmcKernel({ stepSize: h.stepSize, leapfrogSteps: h.leapfrogSteps }),
            moves: h.moves,
          }
        : {}),
    });
  }

  /** One SMC pass with the current flows. */
  run(
    options: CraftRunOptions & {
      beforeStep?: (step: number, chain: ChainState, beta: StepValue, betaPrev: StepValue) => void;
    },
  ): AnnealedResult {
    return runAis({
      path: new AnnealingPath(this.initial, this.target),
      kernel: this.kernel(),
      betas: this.betas,
      particles: options.particles,
      rng: options.rng,
      diagnostics: options.diagnostics ?? true,
      resampling: { ...this.config.resampling, groupSize: options.groupSize ?? options.particles },
      ...(options.onStep ? { onStep: options.onStep } : {}),
      ...(options.beforeStep ? { beforeStep: options.beforeStep } : {}),
    });
  }

  /**
   * log Z, ELBO and ESS over `batches` independent SMC systems of particles / batches each, with
   * standard errors over the systems.
   */
  evaluate(options: { particles: number; batches: number; rng: Rng }): LogWeightSummary {
    const { particles, batches } = options;
    if (!Number.isInteger(batches) || batches < 1 || particles % batches !== 0)
      throw new FlowError(
        `CRAFT evaluation: ${particles} particles must split into ${batches} systems of equal size`,
      );
    const r = this.run({ particles, rng: options.rng, groupSize: particles / batches });
    const logW = r.logW.dataSync();
    tf.dispose([r.z, r.logW, ...(r.trace ? [r.trace] : [])]);
    return summarizeLogWeights(logW, batches);
  }

  /** The training pass (one system of `particles`, as CRAFT trains), kept for loss(). */
  prepare(particles: number, rng: Rng): void {
    this.release();
    const records: StepRecord[] = [];
    try {
      const r = this.run({
        particles,
        rng,
        diagnostics: false,
        beforeStep: (_step, chain, beta, betaPrev) => {
          records.push(recordOf(chain, beta as number, betaPrev as number));
        },
      });
      const logZ = tf.tidy(() => tf.sub(tf.logSumExp(r.logW), Math.log(particles)));
      this.lastPassLogZ = logZ.dataSync()[0] as number;
      tf.dispose([logZ, r.z, r.logW]);
      this.records = records;
    } catch (error) {
      for (const rec of records) tf.dispose([rec.x, rec.weights, rec.logPrev]);
      throw error;
    }
  }

  /**
   * The sum over steps of each flow's weighted transport KL on the particles the last prepare()
   * recorded; out.elbo is its negative, a stepwise lower bound on log Z.
   */
  loss(
    particles: number,
    rng: Rng,
    objective: TrainingObjective = { kind: 'elbo' },
    out: { elbo?: Scalar } = {},
  ): Scalar {
    if (objective.kind !== 'elbo')
      throw new ObjectiveError(
        `CRAFT trains its flows on the transport KL, not '${objective.kind}'`,
      );
    if (!this.records) this.prepare(particles, rng);
    const records = this.records as StepRecord[];
    const loss = tf.tidy(() => {
      let total = tf.scalar(0);
      records.forEach((rec, i) => {
        total = tf.add(total, this.transportKl(rec, i + 1));
      });
      return total as Scalar;
    });
    out.elbo = tf.keep(tf.neg(loss) as Scalar);
    // The records stay until the next prepare(): the gradient still reads them.
    return loss;
  }

  /**
   * Flow k's weighted transport KL on the particles a step received:
   * sum_i W_i [log gamma_{k-1}(x_i) - log gamma_k(T_k(x_i)) - log |det dT_k/dx_i|].
   */
  private transportKl(rec: StepRecord, step: number): Scalar {
    return tf.tidy(() => {
      const { y, logDet } = this.transport(rec.x, step);
      const logNext = tf.add(
        tf.mul(1 - rec.beta, this.initial.logProb(y)),
        tf.mul(rec.beta, this.target.logProb(y)),
      );
      const delta = tf.sub(tf.sub(rec.logPrev, logNext), logDet);
      return tf.sum(tf.mul(rec.weights, delta)) as Scalar;
    });
  }

  /**
   * Annealed flow transport (AFT; Arbel, Matthews and Doucet 2021): one pass of two SMC systems
   * of `particles` each, a training and a validation system. Before each step's flow moves them,
   * it takes `iterations` Adam steps on the weighted transport KL of the training particles, and
   * keeps the parameters of the iteration whose KL on the validation particles was lowest (a flow
   * fitted to a few thousand points alone can overfit them badly, most of all where the target's
   * density is steep). The flows are then fixed; evaluate() with fresh particles gives AFT's log Z
   * (the training system's own estimate is biased by the fit). Returns that biased training
   * estimate and each flow's best validation KL.
   */
  fitAft(options: {
    particles: number;
    iterations: number;
    learningRate: number;
    rng: Rng;
    onStep?: (step: number, steps: number) => void;
  }): { trainingLogZ: number; losses: number[] } {
    const { particles, iterations, learningRate } = options;
    if (!Number.isInteger(iterations) || iterations < 1)
      throw new FlowError(
        `AFT needs a positive integer number of iterations per step, got ${iterations}`,
      );
    if (!(learningRate > 0 && Number.isFinite(learningRate)))
      throw new FlowError(`AFT's learning rate must be positive, got ${learningRate}`);
    const losses: number[] = [];
    const r = this.run({
      particles: 2 * particles,
      groupSize: particles,
      rng: options.rng,
      diagnostics: false,
      beforeStep: (step, chain, beta, betaPrev) => {
        const b = beta as number;
        const bPrev = betaPrev as number;
        const train = recordOf(chain, b, bPrev, { begin: 0, size: particles });
        const valid = recordOf(chain, b, bPrev, { begin: particles, size: particles });
        const vars = this.params.trainable().filter((v) => v.name.includes(`/flow${step}.`));
        const optimizer = tf.train.adam(learningRate);
        const validLoss = () => {
          const l = this.transportKl(valid, step);
          const v = l.dataSync()[0] as number;
          l.dispose();
          return v;
        };
        let best = validLoss();
        let kept = vars.map((v) => v.clone());
        try {
          for (let i = 0; i < iterations; i++) {
            optimizer.minimize(() => this.transportKl(train, step), false, vars);
            const v = validLoss();
            if (v < best) {
              best = v;
              tf.dispose(kept);
              kept = vars.map((x) => x.clone());
            }
          }
          vars.forEach((v, i) => v.assign(kept[i] as tf.Tensor));
          losses.push(best);
        } finally {
          optimizer.dispose();
          tf.dispose(kept);
          for (const rec of [train, valid]) tf.dispose([rec.x, rec.weights, rec.logPrev]);
        }
        options.onStep?.(step, this.steps);
      },
    });
    // The training system's log Z (its first `particles` rows).
    const logZ = tf.tidy(() =>
      tf.sub(tf.logSumExp(tf.slice(r.logW, 0, particles)), Math.log(particles)),
    );
    const trainingLogZ = logZ.dataSync()[0] as number;
    tf.dispose([logZ, r.z, r.logW]);
    return { trainingLogZ, losses };
  }

  private release(): void {
    for (const rec of this.records ?? []) tf.dispose([rec.x, rec.weights, rec.logPrev]);
    this.records = null;
  }

  dispose(): void {
    this.release();
    for (const layer of this.flows.flat()) (layer as { dispose?: () => void }).dispose?.();
    this.params.dispose();
    this.initial.dispose();
  }
}
