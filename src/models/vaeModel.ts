// A VAE as a trainable model: each trainer iteration takes the next mini-batch of an epoch. The
// epoch's order is a pure function of (seed, epoch) and the binarization draws come from the
// trainer's own stream, so a resumed run sees exactly the batches it would have seen. The
// AIS-trained objective runs its chains in prepare(), outside the gradient tape, and keeps its
// adapted HMC step sizes as a frozen parameter, so checkpoints carry them.
import { tf, Rng, type Scalar, type Tensor2D } from '../engine/index.js';
import type { TrainingObjective } from '../annealing/objectives.js';
import type { TrainableModel } from '../train/trainer.js';
import { epochBatches, gatherImages } from '../data/batches.js';
import type { ImageSet } from '../data/mnist.js';
import type { Vae, VaeObjective } from './vae.js';
import {
  STEP_ADAPTATION,
  adaptStepSizes,
  aisPosteriorDraws,
  aisPosteriorDrawsAsync,
  aisTrainingObjective,
  type AisDraws,
} from './aisTraining.js';
import { VaeSampler, type VaeSamplerSpec } from './vaeSampler.js';

export type VaeTrainingObjective =
  | { kind: VaeObjective; samples: number }
  | { kind: 'ais' | 'mh-hmc'; samples: number; temperatures: number; leapfrogSteps: number }
  | (VaeSamplerSpec & { samples: number });

const STEP_SIZES = 'ais.stepSizes';

export class VaeModel implements TrainableModel {
  /** The trainer's iteration count before this step (set by the run). */
  iteration: () => number = () => 0;
  private epochCache: { epoch: number; batches: Int32Array[] } | null = null;
  private pending: { x: Tensor2D; draws: AisDraws } | null = null;
  /** Mean HMC acceptance of the last AIS-trained iteration (null for other objectives). */
  lastAcceptance: number | null = null;
  /** The learned sampler of the ULA / UHA / MCD objectives (null for the others). */
  readonly sampler: VaeSampler | null;

  constructor(
    readonly vae: Vae,
    readonly data: ImageSet,
    readonly objective: VaeTrainingObjective,
    readonly batchSize: number,
    readonly dynamic: boolean,
    private readonly orderSeed: number,
    samplerRng?: Rng,
  ) {
    this.sampler =
      'steps' in objective
        ? new VaeSampler(vae, objective, samplerRng ?? Rng.fromSeed(orderSeed + 1))
        : null;
    if (objective.kind === 'ais' || objective.kind === 'mh-hmc') {
      const init = tf.fill([objective.temperatures], STEP_ADAPTATION.initial);
      vae.params.add(STEP_SIZES, init, false);
      init.dispose();
    }
  }

  get params() {
    return this.vae.params;
  }

  get batchesPerEpoch(): number {
    return Math.floor(this.data.count / this.batchSize);
  }

  /** The current per-temperature HMC step sizes of AIS training. */
  stepSizes(): number[] {
    return Array.from(this.vae.params.get(STEP_SIZES).dataSync());
  }

  private batchRows(iteration: number): Int32Array {
    const epoch = Math.floor(iteration / this.batchesPerEpoch);
    if (this.epochCache?.epoch !== epoch) {
      // One stream per epoch, derived from the seed and the epoch number (no state to checkpoint).
      const epochRng = Rng.fromSeed((this.orderSeed * 7919 + epoch * 104729 + 1) >>> 0);
      this.epochCache = { epoch, batches: epochBatches(this.data.count, this.batchSize, epochRng) };
    }
    return this.epochCache.batches[iteration % this.batchesPerEpoch] as Int32Array;
  }

  private batch(rng: Rng): Tensor2D {
    const rows = this.batchRows(this.iteration());
    const values = gatherImages(this.data, rows, this.dynamic ? rng : undefined);
    return tf.tensor2d(values, [rows.length, this.data.pixels]) as Tensor2D;
  }

  prepare(_particles: number, rng: Rng): void {
    const o = this.objective;
    if (o.kind !== 'ais' && o.kind !== 'mh-hmc') return;
    this.release();
    const x = this.batch(rng);
    const steps = this.stepSizes();
    const draws = aisPosteriorDraws(
      this.vae,
      x,
      o.samples,
      steps,
      o.leapfrogSteps,
      rng,
      chainMode(o),
    );
    this.adopt(x, steps, draws);
  }

  /** prepare() with its two host reads (step sizes, acceptance rates) awaited. */
  async prepareAsync(_particles: number, rng: Rng): Promise<void> {
    const o = this.objective;
    if (o.kind !== 'ais' && o.kind !== 'mh-hmc') return;
    this.release();
    const x = this.batch(rng);
    const steps = Array.from(await this.vae.params.get(STEP_SIZES).data());
    const mode = chainMode(o);
    const draws = await aisPosteriorDrawsAsync(
      this.vae,
      x,
      o.samples,
      steps,
      o.leapfrogSteps,
      rng,
      mode,
    );
    this.adopt(x, steps, draws);
  }

  /** Keeps a batch's chain draws for loss() and adapts the step sizes to their acceptance. */
  private adopt(x: Tensor2D, steps: number[], draws: AisDraws): void {
    this.lastAcceptance = draws.acceptance.reduce((a, b) => a + b, 0) / draws.acceptance.length;
    const adapted = tf.tensor1d(adaptStepSizes(steps, draws.acceptance));
    this.vae.params.get(STEP_SIZES).assign(adapted);
    adapted.dispose();
    this.pending = { x, draws };
  }

  loss(
    _particles: number,
    rng: Rng,
    _objective: TrainingObjective,
    out: { elbo?: Scalar },
  ): Scalar {
    const o = this.objective;
    if (o.kind === 'ais' || o.kind === 'mh-hmc') {
      if (!this.pending) this.prepare(_particles, rng);
      const { x, draws } = this.pending as { x: Tensor2D; draws: AisDraws };
      const weighting = o.kind === 'ais' ? 'ais' : 'uniform';
      const r = aisTrainingObjective(this.vae, x, draws, o.samples, rng, weighting);
      out.elbo = tf.keep(r.bound);
      this.release();
      return tf.neg(r.surrogate) as Scalar;
    }
    const x = this.batch(rng);
    try {
      const r = this.sampler
        ? this.sampler.objective(x, o.samples, rng)
        : this.vae.objective(x, o.kind as VaeObjective, o.samples, rng);
      out.elbo = tf.keep(r.bound);
      return tf.neg(r.surrogate) as Scalar;
    } finally {
      x.dispose();
    }
  }

  private release(): void {
    if (this.pending) {
      const { x, draws } = this.pending;
      tf.dispose([x, draws.x, draws.z, draws.logW]);
      this.pending = null;
    }
  }

  dispose(): void {
    this.release();
  }
}

const chainMode = (o: { kind: string }): 'ais' | 'hmc' => (o.kind === 'ais' ? 'ais' : 'hmc');
