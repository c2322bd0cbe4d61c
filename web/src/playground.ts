// What the page computes, apart from drawing: the target, a sampler built from the settings, a
// traced run (particles at every step, read back once), and training steps. Runs in Node too, so
// the tests check it on the cpu backend.
import {
  AnnealingPath,
  DiagGaussian,
  FabModel,
  Flow,
  FlowModel,
  LearnedSampler,
  Rng,
  Trainer,
  createTarget,
  geometricSchedule,
  isSmcSamplerName,
  linearSchedule,
  makeKernel,
  runAis,
  summarizeLogWeights,
  tf,
  type AnnealedResult,
  type SamplerName,
  type IterationMetrics,
  type StepDiagnostics,
  type Target,
  type Tensor2D,
} from '../../src/browser.js';
import { isFlowSampler, learnedKind, librarySampler, type Settings } from './settings.js';
import {
  TARGET_VIEWS,
  defaultLeapfrog,
  defaultStepSize,
  fabSettings,
  type RunResult,
  type TargetView,
} from './targets.js';

export { TARGET_VIEWS, defaultStepSize, type RunResult, type TargetView };

/** One target and one sampler, with trainable state kept between runs. */
export class Playground {
  readonly target: Target;
  readonly view: TargetView;
  private readonly learned: LearnedSampler | null = null;
  private readonly flow: Flow | null = null;
  private trainer: Trainer | null = null;
  private flowModel: FlowModel | FabModel | null = null;
  private trainRng: Rng;
  private runs = 0;

  constructor(readonly settings: Settings) {
    this.view = TARGET_VIEWS[settings.target];
    this.target = createTarget(this.view.name, this.view.options);
    this.trainRng = Rng.fromSeed(settings.seed + 7919);
    const s = settings;
    const initRng = Rng.fromSeed(s.seed);
    // A learned sampler for the page's trainable choices; a fixed kernel (HMC, MALA) otherwise.
    const kind = learnedKind(s.sampler);
    if (isFlowSampler(s.sampler)) {
      this.flow = new Flow(
        2,
        { kind: 'realnvp', layers: s.layers, conditioner: { hidden: [32, 32] } },
        initRng,
      );
    } else if (kind !== null) {
      this.learned = new LearnedSampler(
        this.target,
        {
          kind,
          steps: s.steps,
          stepSize: this.stepSize,
          leapfrogSteps: this.leapfrog,
          initialScale: this.initScale,
          scoreNet: { hidden: 32, blocks: 2, timeFeatures: 8 },
          resampling: isSmcSamplerName(librarySampler(s.sampler) ?? '')
            ? { scheme: s.resampling, essThreshold: s.ess }
            : undefined,
        },
        initRng,
      );
      if (s.schedule === 'geometric') this.learned.setSchedule(geometricSchedule(s.steps));
    }
  }

  get stepSize(): number {
    return this.settings.stepSize ?? defaultStepSize(this.view, this.settings.sampler);
  }

  get leapfrog(): number {
    return this.settings.leapfrog ?? defaultLeapfrog(this.settings.sampler);
  }

  get initScale(): number {
    return this.settings.initScale ?? this.view.initScale;
  }

  get trainable(): boolean {
    return this.learned !== null || this.flow !== null;
  }

  /** log gamma on an n x n grid over the view box, row-major from the top-left (y descending). */
  logDensityGrid(n: number): Float32Array {
    const [x0, x1] = this.view.x;
    const [y0, y1] = this.view.y;
    const pts = new Float32Array(2 * n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        pts[2 * (r * n + c)] = x0 + ((c + 0.5) / n) * (x1 - x0);
        pts[2 * (r * n + c) + 1] = y1 - ((r + 0.5) / n) * (y1 - y0);
      }
    }
    const z = tf.tensor2d(pts, [n * n, 2]) as Tensor2D;
    const lp = this.target.logProb(z);
    const values = lp.dataSync() as Float32Array;
    tf.dispose([z, lp]);
    return Float32Array.from(values);
  }

  /** One traced run with fresh randomness (seed, then seed + 1, ... on later presses). */
  run(): RunResult {
    const start = performance.now();
    const s = this.settings;
    const rng = Rng.fromSeed(s.seed * 1000 + this.runs++);
    let perStep: StepDiagnostics[] = [];
    const { traceT, logWT } = tf.tidy(() => {
      let result: AnnealedResult;
      if (this.flow) return this.flowRun(rng);
      if (this.learned) {
        result = this.learned.run({
          particles: s.particles,
          rng,
          trace: true,
          diagnostics: true,
          checkFinite: true,
        });
      } else {
        const initial = DiagGaussian.isotropic(2, this.initScale);
        const path = new AnnealingPath(initial, this.target);
        // The fixed samplers: the table's AIS samplers the page does not train (HMC, MALA).
        const kernel = makeKernel(librarySampler(s.sampler) as SamplerName, s.steps, {
          stepSize: this.stepSize,
          leapfrogSteps: this.leapfrog,
        });
        const betas =
          s.schedule === 'geometric' ? geometricSchedule(s.steps) : linearSchedule(s.steps);
        result = runAis({ path, kernel, betas, particles: s.particles, rng, trace: true });
        initial.dispose();
      }
      perStep = result.perStep;
      return { traceT: result.trace as tf.Tensor, logWT: result.logW };
    });
    const frames = Float32Array.from(traceT.dataSync());
    const logW = Float32Array.from(logWT.dataSync());
    tf.dispose([traceT, logWT]);
    return {
      frames,
      frameCount: frames.length / (2 * s.particles),
      particles: s.particles,
      ess: perStep.map((p) => p.essFraction),
      logZPath: perStep.map((p) => p.logZ),
      summary: summarizeLogWeights(logW, 10),
      exactLogZ: this.target.logZ ?? null,
      ms: performance.now() - start,
    };
  }

  /** The flow's samples layer by layer, and importance weights log gamma(x) - log q(x). */
  private flowRun(rng: Rng): { traceT: tf.Tensor; logWT: tf.Tensor1D } {
    const flow = this.flow as Flow;
    const n = this.settings.particles;
    let x = flow.base.sample(n, rng);
    let logQ = flow.base.logProb(x);
    const frames: tf.Tensor[] = [x];
    for (const layer of flow.layers) {
      const { y, logDet } = layer.forward(x);
      x = y;
      logQ = tf.sub(logQ, logDet);
      frames.push(x);
    }
    const logW = tf.sub(this.target.logProb(x), logQ) as tf.Tensor1D;
    return { traceT: tf.stack(frames), logWT: logW };
  }

  /** One Adam step on the ELBO (reverse KL for the flow); null when nothing is trainable. */
  trainStep(): IterationMetrics | null {
    if (!this.trainable) return null;
    if (!this.trainer) {
      if (this.flow && !this.flowModel) {
        this.flowModel =
          this.settings.sampler === 'fab'
            ? new FabModel(this.flow, this.target, fabSettings(this.settings), this.settings.batch)
            : new FlowModel(this.flow, this.target, {
                kind: 'reverse-kl',
                estimator: 'path-fast',
              });
      }
      const model = this.flowModel ?? (this.learned as LearnedSampler);
      this.trainer = new Trainer(
        model,
        {
          particles: this.settings.batch,
          learningRate: this.settings.lr,
          clipNorm: 10,
          lrSchedule: { kind: 'constant' },
        },
        this.trainRng,
      );
    }
    return this.trainer.step();
  }

  /**
   * Drops Adam's state so the next training step uses the current batch size and rate (and FAB's
   * buffer, which holds batches of the old size); the parameters stay.
   */
  resetOptimizer(): void {
    this.trainer?.dispose();
    this.trainer = null;
    if (this.flowModel instanceof FabModel) {
      this.flowModel.dispose();
      this.flowModel = null;
    }
  }

  /** Interpretable learned values, for the readout. */
  learnedSummary(): string {
    if (!this.learned) return '';
    const { stepSizes, eta } = this.learned.summary();
    const mean = stepSizes.reduce((a, b) => a + b, 0) / stepSizes.length;
    return `mean step size ${mean.toPrecision(3)}${eta === null ? '' : `, eta ${eta.toFixed(3)}`}`;
  }

  dispose(): void {
    this.trainer?.dispose();
    this.flowModel?.dispose();
    this.learned?.dispose();
    this.flow?.dispose();
    this.target.dispose?.();
  }
}
