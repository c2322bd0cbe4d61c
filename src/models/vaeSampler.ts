// Learned annealed samplers inside a VAE (the MCD paper's VAE experiment; Geffner & Domke 2021 for
// UHA): for each data point the chain starts at a reparameterized draw from the encoder's q(z|x)
// and anneals towards the posterior p(z|x) ~ p(x, z) with ULA, UHA, ULA-MCD or UHA-MCD kernels.
// The chain's log-weight is a lower bound on log p(x) on the extended space (an ELBO with the
// chain as variational family); encoder, decoder and the sampler's own parameters (step sizes,
// schedule, UHA damping and mass, MCD score network) all follow its gradient. The sampler is
// amortized: one set of parameters for every data point; the MCD score network also sees the
// encoder's mean and log scale of the particle's data point. Its parameters live in the VAE's
// store under 'sampler.', so checkpoints carry them.
import {
  tf,
  repeatRows,
  logMeanExp,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { RowGaussian } from '../distributions/rowGaussian.js';
import { LearnedSampler, LEARNED_SAMPLERS, type LearnedSamplerName } from '../annealing/learned.js';
import { SAMPLER_TABLE, type SamplerSpec } from '../annealing/samplerTable.js';
import type { Vae } from './vae.js';
import { VaeError } from './vae.js';

export const VAE_SAMPLERS = LEARNED_SAMPLERS;

export interface VaeSamplerSpec {
  kind: LearnedSamplerName;
  /** Annealing steps (the MCD paper: 64 for ULA kinds, 32 for UHA kinds). */
  steps: number;
  /** Initial step size: ULA delta or UHA leapfrog epsilon, learned per step from there. */
  stepSize: number;
  /** UHA leapfrog steps per transition. */
  leapfrogSteps: number;
}

/** The MCD paper's step counts, and step sizes that start stable on a fresh 50-d VAE posterior. */
export function vaeSamplerDefaults(kind: LearnedSamplerName): Omit<VaeSamplerSpec, 'kind'> {
  const underdamped = SAMPLER_TABLE[kind].kernel === 'uha';
  return underdamped
    ? { steps: 32, stepSize: 0.05, leapfrogSteps: 1 }
    : { steps: 64, stepSize: 0.002, leapfrogSteps: 1 };
}

export const VAE_SAMPLER_PREFIX = 'sampler.';

export class VaeSampler {
  readonly sampler: LearnedSampler;

  constructor(
    readonly vae: Vae,
    readonly spec: VaeSamplerSpec,
    initRng: Rng,
  ) {
    // A sampler with a network (MCD's score, CMCD's control) also sees the encoder's output.
    const mcd = (SAMPLER_TABLE[spec.kind] as SamplerSpec).network !== undefined;
    // The stand-in target only carries the dim: every run passes the batch's posterior.
    const shape = {
      name: 'vae-posterior',
      dim: vae.latentDim,
      logProb: (): Tensor1D => {
        throw new VaeError('the VAE sampler runs on a batch posterior');
      },
    };
    this.sampler = new LearnedSampler(
      shape,
      {
        kind: spec.kind,
        steps: spec.steps,
        stepSize: spec.stepSize,
        leapfrogSteps: spec.leapfrogSteps,
      },
      initRng,
      {
        store: vae.params,
        prefix: VAE_SAMPLER_PREFIX,
        perRunInitial: true,
        contextDim: mcd ? 2 * vae.latentDim : 0,
      },
    );
  }

  /**
   * Runs K chains per row of x [B, D] (data-major particles) and returns their log-weights [B*K];
   * differentiable with respect to encoder, decoder and sampler when called under a tape.
   */
  logWeights(x: Tensor2D, k: number, rng: Rng): Tensor1D {
    if (!Number.isInteger(k) || k < 1) {
      throw new VaeError(`samples per data point must be a positive integer, got ${k}`);
    }
    return tf.tidy(() => {
      const q = this.vae.encode(x);
      const mean = repeatRows(q.mean, k);
      const logScale = repeatRows(q.logScale, k);
      const xs = repeatRows(x, k);
      const r = this.sampler.run({
        particles: x.shape[0] * k,
        rng,
        // The VAE's trainer checks the loss and skips a non-finite iteration, counting it.
        checkFinite: false,
        initial: new RowGaussian(mean, logScale),
        target: this.vae.posterior(xs),
        context: this.sampler.config.kind.endsWith('-mcd')
          ? (tf.concat([mean, logScale], 1) as Tensor2D)
          : undefined,
      });
      r.z.dispose();
      return r.logW;
    });
  }

  /**
   * The training objective on x: per data point the log-mean-exp of its K chains' weights (K = 1:
   * the chain's ELBO), averaged over the batch; surrogate and bound are the same tensor's value.
   */
  objective(x: Tensor2D, k: number, rng: Rng): { surrogate: Scalar; bound: Scalar } {
    return tf.tidy(() => {
      const logW = this.logWeights(x, k, rng);
      const grouped = tf.reshape(logW, [x.shape[0], k]);
      const bound = tf.mean(logMeanExp(grouped, 1) as Tensor1D) as Scalar;
      return { surrogate: bound, bound: tf.keep(bound.clone()) as Scalar };
    });
  }
}
