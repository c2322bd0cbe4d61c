// AIS-trained decoders (Ding & Freedman 2019, Algorithm 1): for each data point, K chains anneal
// from the encoder's q(z|x) to the posterior p(z|x) ~ p(x, z) over T linear temperatures with
// Metropolis-corrected HMC (L leapfrog steps); the decoder's gradient is sum_k w~_k grad log p(x, z_k)
// at the final states with their normalized AIS weights, and the encoder is trained on its own
// ELBO. HMC step sizes, one per temperature, adapt between iterations: x0.998 when that
// temperature's acceptance is below 0.6, x1.002 otherwise, clipped to [0.001, 0.3], from 0.1.
// The MH-HMC baseline (Hoffman 2017) is the same machinery without annealing: T HMC transitions at
// the posterior itself from a q(z|x) draw, and the decoder follows grad log p(x, z_T) with equal
// weights over the K chains.
import {
  tf,
  gatherRows,
  repeatRows,
  stopGradient,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { RowGaussian } from '../distributions/rowGaussian.js';
import { runAis, runAisAsync, type AisOptions, type AnnealedResult } from '../annealing/ais.js';
import { hmcKernel } from '../annealing/kernels/hmc.js';
import { AnnealingPath } from '../annealing/path.js';
import { makeSchedule } from '../annealing/schedule.js';
import type { Vae } from './vae.js';

export const STEP_ADAPTATION = {
  initial: 0.1,
  targetAcceptance: 0.6,
  down: 0.998,
  up: 1.002,
  min: 0.001,
  max: 0.3,
} as const;

/** One adaptation of the per-temperature step sizes from their acceptance rates. */
export function adaptStepSizes(
  stepSizes: readonly number[],
  acceptance: readonly number[],
): number[] {
  const a = STEP_ADAPTATION;
  return stepSizes.map((eps, i) => {
    const factor = (acceptance[i] ?? 1) < a.targetAcceptance ? a.down : a.up;
    return Math.min(a.max, Math.max(a.min, eps * factor));
  });
}

export interface AisDraws {
  /** Repeated data rows [B*K, D] (data-major), final states [B*K, latent] and log-weights [B*K]. */
  x: Tensor2D;
  z: Tensor2D;
  logW: Tensor1D;
  /** Mean acceptance at each temperature. */
  acceptance: number[];
}

/**
 * K chains per row of x from q(z|x) towards p(z|x), with the decoder and encoder as constants:
 * annealed over linear temperatures ('ais'), or HMC at the posterior from the first transition on
 * ('hmc': beta jumps to 1, the MH-HMC baseline).
 */
export function aisPosteriorDraws(
  vae: Vae,
  x: Tensor2D,
  k: number,
  stepSizes: readonly number[],
  leapfrogSteps: number,
  rng: Rng,
  mode: 'ais' | 'hmc' = 'ais',
): AisDraws {
  const chain = posteriorChain(vae, x, k, stepSizes, leapfrogSteps, rng, mode);
  try {
    return chain.draws(runAis(chain.options));
  } catch (error) {
    chain.xs.dispose();
    throw error;
  } finally {
    chain.release();
  }
}

/** aisPosteriorDraws with the chain's host read awaited (backends without synchronous reads). */
export async function aisPosteriorDrawsAsync(
  vae: Vae,
  x: Tensor2D,
  k: number,
  stepSizes: readonly number[],
  leapfrogSteps: number,
  rng: Rng,
  mode: 'ais' | 'hmc' = 'ais',
): Promise<AisDraws> {
  const chain = posteriorChain(vae, x, k, stepSizes, leapfrogSteps, rng, mode);
  try {
    return chain.draws(await runAisAsync(chain.options));
  } catch (error) {
    chain.xs.dispose();
    throw error;
  } finally {
    chain.release();
  }
}

/** The chain of aisPosteriorDraws: its options, the repeated rows, and what to free after. */
function posteriorChain(
  vae: Vae,
  x: Tensor2D,
  k: number,
  stepSizes: readonly number[],
  leapfrogSteps: number,
  rng: Rng,
  mode: 'ais' | 'hmc',
) {
  const b = x.shape[0];
  const xs = repeatRows(x, k);
  const q = tf.tidy(() => {
    const e = vae.encode(x);
    return { mean: repeatRows(e.mean, k), logScale: repeatRows(e.logScale, k) };
  });
  const initial = new RowGaussian(q.mean, q.logScale);
  const path = new AnnealingPath(initial, vae.posterior(xs));
  const options: AisOptions = {
    path,
    kernel: hmcKernel({ stepSize: stepSizes, leapfrogSteps }),
    betas:
      mode === 'ais'
        ? makeSchedule('linear', stepSizes.length)
        : [0, ...new Array<number>(stepSizes.length).fill(1)],
    particles: b * k,
    rng,
  };
  return {
    options,
    xs,
    draws: (r: AnnealedResult): AisDraws => ({
      x: xs,
      z: r.z,
      logW: r.logW,
      acceptance: r.perStep.map((st) => st.acceptance ?? 1),
    }),
    release: () => tf.dispose([q.mean, q.logScale]),
  };
}

/**
 * The AIS-training surrogate for draws of aisPosteriorDraws: its gradient is the decoder's AIS
 * gradient (normalized weights per data point, states held fixed; equal weights for MH-HMC) plus
 * the encoder's ELBO gradient (decoder held fixed). `bound` is the log-mean-exp of the chains'
 * log-weights per data point, averaged (for 'ais' draws a stochastic lower bound on log p(x); for
 * 'hmc' draws the importance weight of the initial draw only, an IWAE bound).
 */
export function aisTrainingObjective(
  vae: Vae,
  data: Tensor2D,
  draws: AisDraws,
  k: number,
  rng: Rng,
  weighting: 'ais' | 'uniform' = 'ais',
): { surrogate: Scalar; bound: Scalar } {
  const b = data.shape[0];
  return tf.tidy(() => {
    const grouped = tf.reshape(draws.logW, [b, k]);
    const weights =
      weighting === 'ais'
        ? tf.reshape(stopGradient(tf.softmax(grouped, 1)), [b * k])
        : tf.fill([b * k], 1 / k);
    const decoderTerm = tf.div(
      tf.sum(tf.mul(weights, vae.logJoint(draws.x, stopGradient(draws.z)))),
      b,
    );
    const surrogate = tf.add(decoderTerm, vae.encoderElbo(data, rng)) as Scalar;
    const bound = tf.mean(tf.sub(tf.logSumExp(grouped, 1), Math.log(k))) as Scalar;
    return { surrogate, bound };
  });
}

/**
 * Draws from the implicit posteriors q_IS (mode 'is': K draws from q(z|x), one kept with
 * probability proportional to its importance weight) and q_AIS (mode 'ais': the same over K AIS
 * chains' final states), one per row of x (Ding & Freedman, Algorithm 2). As K grows both approach
 * p(z|x). The choice is made on the device by inverting the weights' cumulative sum.
 */
export function sampleImplicitPosterior(
  vae: Vae,
  x: Tensor2D,
  options: { mode: 'is' | 'ais'; k: number; stepSizes?: readonly number[]; leapfrogSteps?: number },
  rng: Rng,
): Tensor2D {
  const b = x.shape[0];
  const k = options.k;
  // 'is' is AIS with no transition: the weights are p(x, z) / q(z|x) at the initial draws.
  const draws =
    options.mode === 'ais'
      ? aisPosteriorDraws(
          vae,
          x,
          k,
          options.stepSizes ?? [0.1, 0.1, 0.1, 0.1, 0.1],
          options.leapfrogSteps ?? 5,
          rng,
        )
      : initialDraws(vae, x, k, rng);
  try {
    const picks = rng.categorical(tf.reshape(draws.logW, [b, k]) as Tensor2D, 1);
    const rows = tf.tidy(() =>
      tf.add(
        tf.cast(tf.reshape(picks, [b]), 'int32'),
        tf.tensor1d(
          Int32Array.from({ length: b }, (_, i) => i * k),
          'int32',
        ),
      ),
    );
    picks.dispose();
    const z = gatherRows(draws.z, rows);
    rows.dispose();
    return z;
  } finally {
    tf.dispose([draws.x, draws.z, draws.logW]);
  }
}

/** K draws per row from q(z|x) with their log importance weights log p(x, z) - log q(z|x). */
function initialDraws(vae: Vae, x: Tensor2D, k: number, rng: Rng): AisDraws {
  const b = x.shape[0];
  const eps = rng.normal([b * k, vae.latentDim]);
  try {
    return tf.tidy(() => {
      const xs = repeatRows(x, k);
      const e = vae.encode(x);
      const q = new RowGaussian(repeatRows(e.mean, k), repeatRows(e.logScale, k));
      const z = tf.add(q.mean, tf.mul(tf.exp(q.logScale), eps)) as Tensor2D;
      const logW = tf.sub(vae.logJoint(xs, z), q.logProb(z)) as Tensor1D;
      return { x: xs, z, logW, acceptance: [] };
    });
  } finally {
    eps.dispose();
  }
}
