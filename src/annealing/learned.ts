// Differentiable annealed samplers with learned parameters (Doucet et al. 2022, MCD; Geffner &
// Domke 2021, UHA): ULA, UHA, ULA-MCD and UHA-MCD. The sampler owns named variables (step sizes,
// schedule logits, initial mean and scale, UHA damping and mass, score network) and runs the same
// kernels and AIS loop as the fixed samplers; inside tf.variableGrads the whole chain, target
// scores included, is differentiated (second order where the score is autodiff).
import {
  tf,
  Rng,
  stopGradient,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
  type Tensor3D,
  type Variable,
} from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import type { Distribution } from '../distributions/distribution.js';
import { ParamStore } from '../nets/params.js';
import { ResidualScoreNet } from '../nets/scoreNet.js';
import { checkTarget, type Target } from '../targets/target.js';
import { checkSecondOrderGradients } from '../targets/score.js';
import { targetModulePath } from '../targets/module.js';
import { runAis, type AnnealedResult, type StepDiagnostics } from './ais.js';
import { NonFiniteWeightsError } from './diagnostics.js';
import { KernelError, type StepValue, type TransitionKernel } from './kernels/kernel.js';
import { uhaKernel } from './kernels/uha.js';
import { ulaKernel, type BackwardCorrection } from './kernels/ula.js';
import { AnnealingPath } from './path.js';
import {
  ObjectiveError,
  UNDERDAMPED_LOGVAR,
  logVariance,
  objectiveBound,
  type TrainingObjective,
} from './objectives.js';
import { disposePaths, drawnPaths, replayLogWeights, type DrawnPaths } from './replay.js';
import { resamples, type ResamplingOptions } from './resampling.js';
import { checkSchedule, geometricSchedule } from './schedule.js';
import {
  LEARNED_DEFAULTS,
  LEARNED_SAMPLERS,
  SAMPLER_TABLE,
  isLearnedSamplerName,
  type LearnedSamplerName,
  type SamplerSpec,
} from './samplerTable.js';
import {
  STEP_SIZE_NET_DEFAULTS,
  parseLearnedSamplerConfig,
  type LearnFlags,
  type LearnedSamplerConfig,
  type LearnedSamplerConfigInput,
  type StepSizeNetConfig,
} from './learnedConfig.js';

export {
  LEARNED_DEFAULTS,
  LEARNED_SAMPLERS,
  STEP_SIZE_NET_DEFAULTS,
  isLearnedSamplerName,
  type LearnFlags,
  type LearnedSamplerConfig,
  type LearnedSamplerConfigInput,
  type LearnedSamplerName,
  type StepSizeNetConfig,
};

export interface RunOptions {
  particles: number;
  rng: Rng;
  diagnostics?: boolean;
  /**
   * Raise NonFiniteWeightsError when a log-weight is NaN or +Infinity (default true): with
   * diagnostics it names the first step, without them the run's log-weights are checked once at
   * the end. Training passes false and counts non-finite iterations as skipped instead.
   */
  checkFinite?: boolean;
  onStep?: (step: number, steps: number) => void;
  /** Each step's readings as the chain runs (see AisOptions.onReading); a small device read per step. */
  onReading?: (reading: StepDiagnostics, steps: number) => void;
  /**
   * Particles per system for this run, in place of the config's group size (SMC); without
   * resampling, per-step diagnostics are then per group of this size.
   */
  groupSize?: number;
  /**
   * Per-run ends of the path, for amortized use (a VAE: the encoder's q(z|x) and the posterior
   * p(z|x) of the current batch, one row per particle). The initial one is required when the
   * sampler was built with `perRunInitial`; both must have the sampler's dim.
   */
  initial?: Distribution;
  target?: Target;
  /** Per-particle inputs [particles, contextDim] of the MCD score network (e.g. the encoder's output). */
  context?: Tensor2D;
  /** Return the particles at every step as `trace` (see AisOptions.trace). */
  trace?: boolean;
}

/** Where a sampler keeps its parameters and what its path starts from. */
export interface LearnedSamplerOptions {
  /** A fixed initial distribution (e.g. a trained flow); no initial mean and scale are learned. */
  initial?: Distribution & { dispose?: () => void };
  /** With `initial`: dispose() frees it. */
  owns?: boolean;
  /** No initial distribution of its own: every run() passes one (amortized samplers). */
  perRunInitial?: boolean;
  /** Keep the parameters in this store (e.g. a VAE's, to train and checkpoint them together). */
  store?: ParamStore;
  /** Prefix of the parameter names in the store (default ''). */
  prefix?: string;
  /** Width of the per-particle context that the MCD score network also sees (default 0). */
  contextDim?: number;
}

/**
 * An annealed sampler whose parameters (step sizes, schedule, initial distribution, UHA damping and
 * mass, MCD score network) are trained by gradient descent through the whole chain; with
 * `resampling` in its config it is an SMC sampler (DSMCS). Train it with a Trainer, evaluate it
 * with evaluateSampler, save it with `sampler.params.save()` and dispose it when done.
 *
 * @example
 * ```ts
 * const [initRng, trainRng] = Rng.fromSeed(0).split(2);
 * const sampler = new LearnedSampler(target, { kind: 'uha', steps: 16 }, initRng);
 * const trainer = new Trainer(sampler, { particles: 64, learningRate: 0.01 }, trainRng);
 * for (let i = 0; i < 200; i++) trainer.step();
 * trainer.dispose();
 * ```
 */
export class LearnedSampler {
  readonly params: ParamStore;
  readonly config: LearnedSamplerConfig;
  private readonly prefix: string;
  private readonly ownsStore: boolean;
  private readonly perRunInitial: boolean;
  private readonly net: ResidualScoreNet | null;

  /** A fixed initial distribution (e.g. a trained flow) in place of the learned Gaussian. */
  readonly fixedInitial: (Distribution & { dispose?: () => void }) | null;
  private readonly ownsInitial: boolean;

  /**
   * @param target the target (amortized samplers: a stand-in with the dim; runs pass their own)
   * @param initRng stream for the score network's initial weights
   */
  constructor(
    readonly target: Target,
    config: LearnedSamplerConfigInput,
    initRng: Rng = Rng.fromSeed(0),
    options: LearnedSamplerOptions = {},
  ) {
    this.fixedInitial = options.initial ?? null;
    this.ownsInitial = options.owns ?? false;
    this.perRunInitial = options.perRunInitial ?? false;
    this.params = options.store ?? new ParamStore();
    this.ownsStore = !options.store;
    this.prefix = options.prefix ?? '';
    if (this.fixedInitial && this.fixedInitial.dim !== target.dim) {
      throw new KernelError(
        `the initial distribution has dim ${this.fixedInitial.dim}, target '${target.name}' has ${target.dim}`,
      );
    }
    // The schema checks every field and fills in LEARNED_DEFAULTS (learnedConfig.ts).
    const c = parseLearnedSamplerConfig(config);
    this.config = c;

    const d = target.dim;
    const K = c.steps;
    const add = (name: string, init: () => tf.Tensor, trainable: boolean) => {
      const t = init();
      this.params.add(this.prefix + name, t, trainable);
      t.dispose();
    };
    if (!this.fixedInitial && !this.perRunInitial) {
      add('initial.mean', () => tf.fill([d], c.initialMean), c.learn.initial);
      add('initial.logScale', () => tf.fill([d], Math.log(c.initialScale)), c.learn.initial);
    }
    const net = c.stepSizeNet;
    if (net) {
      const { width, scale } = net;
      // Embeddings N(0, 1) and output weights U(-1/sqrt(width), 1/sqrt(width)) as PyTorch would
      // draw them; the bias puts the average step at the configured step size.
      const bound = 1 / Math.sqrt(width);
      add('stepSizes.embedding', () => initRng.normal([K, width]), c.learn.stepSizes);
      add('stepSizes.weight', () => initRng.uniform([width, 1], -bound, bound), c.learn.stepSizes);
      const p = c.stepSize / scale;
      add('stepSizes.bias', () => tf.fill([1], Math.log(p / (1 - p))), c.learn.stepSizes);
    } else {
      add('stepSizes.log', () => tf.fill([K], Math.log(c.stepSize)), c.learn.stepSizes);
    }
    // softmax(logits) are the increments: equal logits give the linear schedule, the logs of a
    // geometric schedule's increments the geometric one.
    const betas = c.schedule === 'geometric' ? geometricSchedule(K) : null;
    add(
      'schedule.logits',
      () =>
        betas
          ? tf.tensor1d(
              Float32Array.from({ length: K }, (_, k) =>
                Math.log((betas[k + 1] as number) - (betas[k] as number)),
              ),
            )
          : tf.zeros([K]),
      c.learn.schedule,
    );
    const kindSpec: SamplerSpec = SAMPLER_TABLE[c.kind];
    const underdamped = kindSpec.kernel === 'uha';
    if (underdamped) {
      // LDVI's refresh rate h starts at 1 - eta: the same refresh mean as UHA's damping eta.
      const start = kindSpec.refresh === 'euler' ? 1 - c.eta : c.eta;
      add('uha.etaLogit', () => tf.scalar(Math.log(start / (1 - start))), c.learn.eta);
      add('uha.logMass', () => tf.fill([d], Math.log(c.mass)), c.learn.mass);
    }
    const network = kindSpec.network;
    this.net = network
      ? new ResidualScoreNet(
          this.params,
          // CMCD's network is a control, MCD's a correction of the backward score.
          `${this.prefix}${network === 'control' ? 'control' : 'score'}`,
          d,
          underdamped,
          c.scoreNet,
          c.learn.scoreNet,
          initRng,
          options.contextDim ?? 0,
          // Standardize z by the Gaussian start's scale; a fixed or per-run start has its own.
          this.fixedInitial || this.perRunInitial ? 1 : 1 / c.initialScale,
        )
      : null;
  }

  /** The MCD score network or CMCD's control network (null for the other kinds). */
  get scoreNet(): ResidualScoreNet | null {
    return this.net;
  }

  /** A parameter of this sampler by its short name ('stepSizes.log', 'uha.etaLogit', ...). */
  param(name: string): Variable {
    return this.params.get(this.prefix + name);
  }

  get steps(): number {
    return this.config.steps;
  }

  /** The resampling options when this is an SMC sampler (a scheme other than 'none'), else null. */
  get smc(): ResamplingOptions | null {
    const r = this.config.resampling;
    return r && resamples(r.scheme) ? r : null;
  }

  /** The schedule as a [K+1] tensor: 0, cumsum(softmax(logits))[0..K-2], 1 (endpoints exact). */
  betas(): Tensor1D {
    return tf.tidy(() => {
      const K = this.config.steps;
      const cs = tf.cumsum(tf.softmax(this.param('schedule.logits')));
      const inner = K > 1 ? [cs.slice(0, K - 1)] : [];
      return tf.concat([tf.zeros([1]), ...inner, tf.ones([1])]) as Tensor1D;
    });
  }

  /**
   * Starts the learned schedule at the given betas (K+1 values, 0 to 1, strictly increasing), e.g.
   * a geometric schedule in place of the linear one the sampler is built with.
   */
  setSchedule(betas: readonly number[]): void {
    const b = checkSchedule(betas);
    if (b.length !== this.config.steps + 1) {
      throw new KernelError(
        `a schedule for ${this.config.steps} steps needs ${this.config.steps + 1} betas, got ${b.length}`,
      );
    }
    for (let k = 1; k < b.length; k++) {
      if (!((b[k] as number) > (b[k - 1] as number))) {
        throw new KernelError(`a learned schedule must increase strictly (index ${k})`);
      }
    }
    // softmax(logits) are the increments beta_k - beta_{k-1}; their logs are one choice of logits.
    const logits = Float32Array.from({ length: this.config.steps }, (_, k) =>
      Math.log((b[k + 1] as number) - (b[k] as number)),
    );
    const t = tf.tensor1d(logits);
    this.param('schedule.logits').assign(t);
    t.dispose();
  }

  /** The step sizes [K] (differentiable in the parameters). */
  stepSizes(): Tensor1D {
    const net = this.config.stepSizeNet;
    if (!net) return tf.tidy(() => tf.exp(this.param('stepSizes.log')) as Tensor1D);
    return tf.tidy(() => {
      const e = this.param('stepSizes.embedding');
      const hidden = tf.mul(e, tf.sigmoid(e)); // SiLU
      const out = tf.add(
        tf.matMul(hidden as tf.Tensor2D, this.param('stepSizes.weight') as tf.Tensor2D),
        this.param('stepSizes.bias'),
      );
      return tf.mul(net.scale, tf.sigmoid(tf.reshape(out, [-1]))) as Tensor1D;
    });
  }

  /** Runs the chain with the current parameters; differentiable when called under a tape. */
  run(options: RunOptions): AnnealedResult {
    // The sampler's own target is checked once (amortized samplers pass theirs per run).
    if (!options.target) checkTarget(this.target);
    const c = this.config;
    let initial: Distribution;
    if (options.initial) initial = options.initial;
    else if (this.perRunInitial) {
      throw new KernelError('this amortized sampler needs an initial distribution for each run');
    } else {
      initial =
        this.fixedInitial ??
        new DiagGaussian(
          this.param('initial.mean') as Variable as unknown as Tensor1D,
          this.param('initial.logScale') as Variable as unknown as Tensor1D,
        );
    }
    const target = options.target ?? this.target;
    if (target.dim !== this.target.dim || initial.dim !== this.target.dim) {
      throw new KernelError(
        `run-time initial (dim ${initial.dim}) and target (dim ${target.dim}) must have the sampler's dim ${this.target.dim}`,
      );
    }
    const path = new AnnealingPath(initial, target);
    const context = options.context;
    const betas = this.betas();
    const stepTensor = this.stepSizes();
    // One slice per step rather than unstack: unstack's gradient needs every output's, and a step
    // whose size does not reach the objective (the one move of a single-step chain) has none.
    const stepSizes = Array.from({ length: stepTensor.shape[0] }, (_, k) =>
      tf.tidy(() => tf.reshape(tf.slice(stepTensor, [k], [1]), []) as Scalar),
    );
    const owned: tf.Tensor[] = [betas, stepTensor, ...stepSizes];
    const net: BackwardCorrection | undefined = this.net
      ? (z, v, step) => (this.net as ResidualScoreNet).apply(z, v, step, c.steps, context)
      : undefined;
    const spec: SamplerSpec = SAMPLER_TABLE[c.kind];
    const correction = spec.network === 'backward' ? net : undefined;
    let kernel: TransitionKernel;
    if (spec.kernel === 'ula') {
      kernel = ulaKernel({
        stepSize: stepSizes as StepValue[],
        backwardCorrection: correction,
        control: spec.network === 'control' ? net : undefined,
      });
    } else {
      const eta = tf.sigmoid(this.param('uha.etaLogit')) as Scalar;
      const mass = tf.exp(this.param('uha.logMass')) as Tensor1D;
      owned.push(eta, mass);
      kernel = uhaKernel({
        stepSize: stepSizes as StepValue[],
        eta,
        mass,
        leapfrogSteps: c.leapfrogSteps,
        backwardCorrection: correction,
        ...(spec.network === 'control' ? { control: net } : {}),
        ...(spec.refresh ? { refresh: spec.refresh } : {}),
      });
    }
    const checkFinite = options.checkFinite ?? true;
    // Readings as the chain runs need the per-step diagnostics.
    const diagnostics = (options.diagnostics ?? false) || options.onReading !== undefined;
    let result: AnnealedResult;
    try {
      result = runAis({
        path,
        kernel,
        betas,
        particles: options.particles,
        rng: options.rng,
        diagnostics,
        checkFinite,
        onStep: options.onStep,
        ...(options.onReading ? { onReading: options.onReading } : {}),
        trace: options.trace ?? false,
        // Without resampling, a group size only makes the per-step diagnostics per group.
        resampling: this.config.resampling
          ? {
              ...this.config.resampling,
              groupSize: options.groupSize ?? this.config.resampling.groupSize,
            }
          : options.groupSize !== undefined
            ? { scheme: 'none', groupSize: options.groupSize }
            : undefined,
      });
    } finally {
      tf.dispose(owned);
    }
    if (checkFinite && !diagnostics) finalCheck(result, c.steps);
    return result;
  }

  /**
   * The training loss, minus the objective's bound (minus the ELBO by default), as a scalar to
   * minimize; `elbo` receives the batch's ELBO (a kept scalar the caller disposes) when asked.
   */
  loss(
    particles: number,
    rng: Rng,
    objective: TrainingObjective = { kind: 'elbo' },
    out?: { elbo?: Scalar },
  ): Scalar {
    if (objective.kind === 'logvar') return this.logVarianceLoss(out);
    return tf.tidy(() => {
      // The trainer checks the loss and skips a non-finite iteration, counting it.
      const { z, logW } = this.run({ particles, rng, checkFinite: false });
      z.dispose();
      const { bound, elbo } = objectiveBound(logW, objective);
      if (out) out.elbo = tf.keep(stopGradient(elbo) as Scalar);
      return tf.neg(bound) as Scalar;
    });
  }

  /** The paths of the log-variance objective, drawn by prepare() (null until then). */
  private paths: DrawnPaths | null = null;

  /**
   * Before each iteration of the log-variance objective, off the gradient tape: draws `particles`
   * paths from the current sampler and evaluates the target along them (the Trainer calls it).
   */
  prepare(particles: number, rng: Rng, objective?: TrainingObjective): void {
    if (objective?.kind !== 'logvar') return;
    this.checkLogVariance();
    if (this.paths) disposePaths(this.paths);
    this.paths = null;
    const r = this.run({ particles, rng, trace: true, checkFinite: false });
    tf.dispose([r.z, r.logW]);
    this.paths = drawnPaths(r.trace as Tensor3D, this.target);
  }

  private checkLogVariance(): void {
    const spec: SamplerSpec = SAMPLER_TABLE[this.config.kind];
    if (spec.kernel !== 'ula')
      throw new ObjectiveError(
        `the log-variance objective runs for the ULA samplers (ula, ula-mcd, cmcd), not '${this.config.kind}': ${UNDERDAMPED_LOGVAR}`,
      );
    if (this.smc)
      throw new ObjectiveError('the log-variance objective does not run with resampling');
    if (this.perRunInitial)
      throw new ObjectiveError('the log-variance objective does not run for amortized samplers');
  }

  /**
   * The variance of the log-weights of the paths prepare() drew, recomputed under the current
   * parameters (replay.ts); `out.elbo` receives their mean.
   */
  private logVarianceLoss(out?: { elbo?: Scalar }): Scalar {
    this.checkLogVariance();
    const paths = this.paths;
    if (!paths)
      throw new ObjectiveError(
        'the log-variance objective needs prepare(particles, rng, objective) before each loss (a Trainer calls it)',
      );
    return tf.tidy(() => {
      const c = this.config;
      const spec: SamplerSpec = SAMPLER_TABLE[c.kind];
      const net = this.net;
      const apply: BackwardCorrection | undefined = net
        ? (z, v, step) => net.apply(z, v, step, c.steps)
        : undefined;
      const logW = replayLogWeights(paths, {
        initial:
          this.fixedInitial ??
          new DiagGaussian(
            this.param('initial.mean') as Variable as unknown as Tensor1D,
            this.param('initial.logScale') as Variable as unknown as Tensor1D,
          ),
        betas: this.betas(),
        stepSizes: this.stepSizes(),
        ...(spec.network === 'control' ? { control: apply } : {}),
        ...(spec.network === 'backward' ? { correction: apply } : {}),
      });
      if (out) out.elbo = tf.keep(stopGradient(tf.mean(logW)) as Scalar);
      return logVariance(logW);
    });
  }

  /**
   * Training differentiates the chain, and so the target's score, with respect to the parameters:
   * a target whose second-order gradients TF.js cannot take is refused before the first iteration.
   */
  checkTrainable(): void {
    const path = targetModulePath(this.target);
    checkSecondOrderGradients(
      this.target,
      path === undefined ? undefined : `target module '${path}'`,
    );
  }

  /** Current values of the interpretable parameters, for reports. */
  summary(): LearnedSummary {
    const tensors = this.summaryTensors();
    try {
      return summarize(tensors.map((t) => Array.from(t.dataSync())));
    } finally {
      tf.dispose(tensors);
    }
  }

  /** summary() with its reads awaited (backends without synchronous reads: webgpu). */
  async summaryAsync(): Promise<LearnedSummary> {
    const tensors = this.summaryTensors();
    const values: number[][] = [];
    try {
      for (const t of tensors) values.push(Array.from(await t.data()));
    } finally {
      tf.dispose(tensors);
    }
    return summarize(values);
  }

  /** Betas, step sizes, and for UHA the damping and the mean mass (as the caller's tensors). */
  private summaryTensors(): tf.Tensor[] {
    const underdamped = this.params.has(this.prefix + 'uha.etaLogit');
    return tf.tidy(() => [
      this.betas(),
      this.stepSizes(),
      ...(underdamped
        ? [tf.sigmoid(this.param('uha.etaLogit')), tf.mean(tf.exp(this.param('uha.logMass')))]
        : []),
    ]);
  }

  dispose(): void {
    if (this.paths) disposePaths(this.paths);
    this.paths = null;
    if (this.ownsStore) this.params.dispose();
    if (this.ownsInitial) this.fixedInitial?.dispose?.();
  }
}

/** Current values of a learned sampler's interpretable parameters. */
export interface LearnedSummary {
  betas: number[];
  stepSizes: number[];
  eta: number | null;
  meanMass: number | null;
}

function summarize(values: number[][]): LearnedSummary {
  const [betas = [], stepSizes = [], eta, mass] = values;
  return {
    betas,
    stepSizes,
    eta: eta ? (eta[0] as number) : null,
    meanMass: mass ? (mass[0] as number) : null,
  };
}

/** Without per-step diagnostics, one read of the final log-weights: NaN or +Infinity raises. */
function finalCheck(result: AnnealedResult, steps: number): void {
  const values = result.logW.dataSync();
  let count = 0;
  for (const v of values) if (Number.isNaN(v) || v === Infinity) count++;
  if (count === 0) return;
  tf.dispose([result.z, result.logW, ...(result.trace ? [result.trace] : [])]);
  throw new NonFiniteWeightsError(
    `non-finite log-weights (NaN or +Infinity) for ${count} of ${values.length} particles at the end of the chain ` +
      '(run with diagnostics to find the step); the sampler diverged: try a smaller step size',
    steps,
    1,
    count,
  );
}
