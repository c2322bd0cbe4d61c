// A flow as a trainable model: the loss the trainer minimizes for each KL direction and gradient
// estimator. Reverse KL draws base points from the training stream; forward KL draws minibatches
// from a fixed set of target samples (the paper trains on 10,000). The fast path gradient's extra
// forward pass runs in prepare(), outside the gradient tape.
import {
  tf,
  gatherRows,
  stopGradient,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import type { TrainingObjective } from '../annealing/objectives.js';
import type { TrainableModel } from '../train/trainer.js';
import { checkTarget, type Target } from '../targets/target.js';
import { FlowError } from './bijection.js';
import {
  forwardKlSurrogate,
  forwardPathPrepass,
  reverseKlSurrogate,
  type ForwardKlEstimator,
  type ForwardPathPrepass,
  type ReverseKlEstimator,
} from './estimators.js';
import type { Flow } from './flow.js';

export type FlowLoss =
  | { kind: 'reverse-kl'; estimator: ReverseKlEstimator }
  | { kind: 'forward-kl'; estimator: ForwardKlEstimator };

/**
 * A flow with its training loss, for a Trainer: reverse KL on the flow's own samples, or forward
 * KL on target samples (`trainingSamples`), with the estimator named in `lossConfig`.
 *
 * @example
 * ```ts
 * const model = new FlowModel(flow, target, { kind: 'reverse-kl', estimator: 'path-fast' });
 * const trainer = new Trainer(model, { particles: 256, learningRate: 0.002 }, Rng.fromSeed(2));
 * ```
 */
export class FlowModel implements TrainableModel {
  /**
   * The next loss's draws (base points, or target samples for forward KL); path-fast also keeps
   * its pre-pass: x, log q and the score at x (reverse), or forwardPathPrepass (forward).
   */
  private pending: {
    z: Tensor2D;
    score: Tensor2D | null;
    x?: Tensor2D;
    logQ?: Tensor1D;
    forward?: ForwardPathPrepass;
  } | null = null;
  private readonly data: Tensor2D | null;

  /** @param trainingSamples forward KL: the fixed training set drawn from the target */
  constructor(
    readonly flow: Flow,
    readonly target: Target,
    readonly lossConfig: FlowLoss,
    trainingSamples: Tensor2D | null = null,
  ) {
    checkTarget(target);
    if (lossConfig.kind === 'forward-kl' && !trainingSamples) {
      throw new FlowError('forward KL needs samples from the target');
    }
    this.data = trainingSamples;
  }

  get params() {
    return this.flow.params;
  }

  prepare(particles: number, rng: Rng): void {
    this.release();
    if (this.lossConfig.kind === 'forward-kl') {
      const data = this.data as Tensor2D;
      // A minibatch drawn with replacement from the training set, by the training stream.
      const u = rng.uniformArray(particles);
      const rows = Int32Array.from(u, (v) =>
        Math.min(data.shape[0] - 1, Math.floor(v * data.shape[0])),
      );
      const idx = tf.tensor1d(rows, 'int32');
      const batch = gatherRows(data, idx);
      idx.dispose();
      this.pending = {
        z: batch,
        score: null,
        ...(this.lossConfig.estimator === 'path-fast'
          ? { forward: forwardPathPrepass(this.flow, this.target, batch) }
          : {}),
      };
      return;
    }
    const z = this.flow.base.sample(particles, rng);
    if (this.lossConfig.estimator === 'path-fast') {
      const pre = this.flow.pushForwardWithScore(z);
      this.pending = { z, score: pre.score, x: pre.x, logQ: pre.logQ };
    } else {
      this.pending = { z, score: null };
    }
  }

  loss(particles: number, rng: Rng, _objective: TrainingObjective, out: { elbo?: Scalar }): Scalar {
    if (!this.pending || this.pending.z.shape[0] !== particles) this.prepare(particles, rng);
    const {
      z,
      score,
      x: preX,
      logQ: preLogQ,
      forward,
    } = this.pending as NonNullable<typeof this.pending>;
    const c = this.lossConfig;
    const loss =
      c.kind === 'forward-kl'
        ? forwardKlSurrogate(this.flow, this.target, z, c.estimator, forward)
        : reverseKlSurrogate(this.flow, this.target, z, c.estimator, score ?? undefined);
    if (c.kind === 'reverse-kl') {
      // The ELBO of these draws, mean(log p~ - log q), a constant for the tape: the standard
      // surrogate is its negative, and path-fast's pre-pass already holds x and log q; only
      // path-reference needs one more forward pass.
      out.elbo = tf.keep(
        tf.tidy(() => {
          if (c.estimator === 'standard') return tf.neg(stopGradient(loss)) as Scalar;
          const { x, logQ } =
            preX && preLogQ ? { x: preX, logQ: preLogQ } : this.flow.pushForward(z);
          return tf.mean(tf.sub(this.target.logProb(x), logQ)) as Scalar;
        }),
      );
    }
    this.release();
    return loss;
  }

  private release(): void {
    if (this.pending) {
      this.pending.z.dispose();
      this.pending.score?.dispose();
      this.pending.x?.dispose();
      this.pending.logQ?.dispose();
      const f = this.pending.forward;
      if (f) tf.dispose([f.logQ, f.direction]);
      this.pending = null;
    }
  }

  dispose(): void {
    this.release();
    this.data?.dispose();
  }
}
