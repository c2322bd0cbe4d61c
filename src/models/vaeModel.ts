// A VAE as a trainable model: each trainer iteration takes the next mini-batch of an epoch. The
// epoch's order is a pure function of (seed, epoch) and the binarization draws come from the
// trainer's own stream, so a resumed run sees exactly the batches it would have seen.
import { tf, Rng, type Scalar, type Tensor2D } from '../engine/index.js';
import type { TrainingObjective } from '../annealing/objectives.js';
import type { TrainableModel } from '../train/trainer.js';
import { epochBatches, gatherImages } from '../data/batches.js';
import type { ImageSet } from '../data/mnist.js';
import type { Vae, VaeObjective } from './vae.js';

export class VaeModel implements TrainableModel {
  /** The trainer's iteration count before this step (set by the run). */
  iteration: () => number = () => 0;
  private epochCache: { epoch: number; batches: Int32Array[] } | null = null;

  constructor(
    readonly vae: Vae,
    readonly data: ImageSet,
    readonly objective: { kind: VaeObjective; samples: number },
    readonly batchSize: number,
    readonly dynamic: boolean,
    private readonly orderSeed: number,
  ) {}

  get params() {
    return this.vae.params;
  }

  get batchesPerEpoch(): number {
    return Math.floor(this.data.count / this.batchSize);
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

  loss(
    _particles: number,
    rng: Rng,
    _objective: TrainingObjective,
    out: { elbo?: Scalar },
  ): Scalar {
    const rows = this.batchRows(this.iteration());
    const values = gatherImages(this.data, rows, this.dynamic ? rng : undefined);
    const x = tf.tensor2d(values, [rows.length, this.data.pixels]) as Tensor2D;
    try {
      const r = this.vae.objective(x, this.objective.kind, this.objective.samples, rng);
      out.elbo = tf.keep(r.bound);
      return tf.neg(r.surrogate) as Scalar;
    } finally {
      x.dispose();
    }
  }
}
