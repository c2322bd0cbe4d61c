// Log-likelihood of data under a latent-variable model by AIS (Neal 2001; Wu et al. 2017 for
// decoders): for each data point x, K independent chains anneal from the prior N(0, I) to the
// posterior p(z|x) ~ p(x, z) with Metropolis-corrected HMC, and log p(x) is estimated by the
// log-mean-exp of the K log-weights (a stochastic lower bound). All data points' chains run as
// one batch of rows, data-major (row b * K + k). BDMC (Grosse et al. 2015) adds, for data
// simulated from the model, reverse chains from the exact posterior draw that generated x:
// minus their log-mean-exp is a stochastic upper bound, and the gap bounds the error of both.
import { tf, repeatRows, Rng, type Tensor2D } from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { runAisAsync } from '../annealing/ais.js';
import { hmcKernel } from '../annealing/kernels/hmc.js';
import { AnnealingPath } from '../annealing/path.js';
import { makeSchedule, type ScheduleName } from '../annealing/schedule.js';
import type { LatentVariableModel } from './latentModel.js';

export interface AisLikelihoodOptions {
  /** Annealing steps (temperatures), default 1000. */
  steps?: number;
  /** Independent chains per data point, default 16. */
  chains?: number;
  /** HMC leapfrog step size, default 0.05; leapfrog steps, default 5. */
  stepSize?: number;
  leapfrogSteps?: number;
  schedule?: ScheduleName;
  seed?: number;
  onStep?: (step: number, steps: number) => void;
}

export interface AisLikelihood {
  /** log p(x) estimate per data point. */
  perPoint: number[];
  /**
   * Standard error of each point's estimate from its K chains (delta method: the standard
   * deviation of the self-normalized weights over sqrt(K)); null with one chain.
   */
  perPointStdErr: (number | null)[];
  /** Mean over data points and its standard error over data points. */
  mean: number;
  stdErr: number | null;
  /** Mean HMC acceptance over steps and chains. */
  acceptance: number | null;
}

function summarize(
  r: { perPoint: number[]; perPointStdErr: (number | null)[] },
  acceptance: number | null,
): AisLikelihood {
  const { perPoint } = r;
  const n = perPoint.length;
  const mean = perPoint.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? perPoint.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : NaN;
  return {
    perPoint,
    perPointStdErr: r.perPointStdErr,
    mean,
    stdErr: n > 1 ? Math.sqrt(variance / n) : null,
    acceptance,
  };
}

/**
 * Runs the K chains of every row of x; returns per-point log-mean-exp of the weights. Its reads
 * are awaited, so it runs on backends without synchronous reads (webgpu) as on the others.
 */
async function annealRows(
  model: LatentVariableModel,
  x: Tensor2D,
  options: AisLikelihoodOptions,
  direction: { reverse: boolean; start?: Tensor2D },
  rng: Rng,
): Promise<{ perPoint: number[]; perPointStdErr: (number | null)[]; acceptance: number | null }> {
  const b = x.shape[0];
  const k = options.chains ?? 16;
  const steps = options.steps ?? 1000;
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`chains must be a positive integer, got ${k}`);
  const xs = repeatRows(x, k);
  const start = direction.start ? repeatRows(direction.start, k) : undefined;
  const prior = DiagGaussian.isotropic(model.latentDim, 1);
  const path = new AnnealingPath(
    prior,
    model.posterior?.(xs) ?? {
      name: 'posterior',
      dim: model.latentDim,
      logProb: (z: Tensor2D) => model.logJoint(xs, z),
    },
  );
  try {
    const result = await runAisAsync({
      path,
      kernel: hmcKernel({
        stepSize: options.stepSize ?? 0.05,
        leapfrogSteps: options.leapfrogSteps ?? 5,
      }),
      betas: makeSchedule(options.schedule ?? 'linear', steps),
      particles: b * k,
      rng,
      onStep: options.onStep,
      reverse: direction.reverse,
      start,
    });
    const perPoint = tf.tidy(() => {
      const lme = tf.sub(tf.logSumExp(tf.reshape(result.logW, [b, k]), 1), Math.log(k));
      return direction.reverse ? tf.neg(lme) : lme;
    });
    let values: number[];
    let logW: Float32Array;
    try {
      values = Array.from(await perPoint.data());
      logW = (await result.logW.data()) as Float32Array;
    } finally {
      tf.dispose([perPoint, result.z, result.logW]);
    }
    const perPointStdErr = values.map((_, p) => {
      if (k < 2) return null;
      const w = Array.from(logW.subarray(p * k, (p + 1) * k));
      const top = Math.max(...w);
      const e = w.map((v) => Math.exp(v - top));
      const m = e.reduce((a, c) => a + c, 0) / k;
      const v = e.reduce((a, c) => a + (c / m - 1) ** 2, 0) / (k - 1);
      return Math.sqrt(v / k);
    });
    const acc = result.perStep
      .map((s) => s.acceptance)
      .filter((a): a is number => typeof a === 'number');
    return {
      perPoint: values,
      perPointStdErr,
      acceptance: acc.length ? acc.reduce((p, q) => p + q, 0) / acc.length : null,
    };
  } finally {
    tf.dispose([xs, ...(start ? [start] : [])]);
    prior.dispose();
  }
}

/** AIS estimate of log p(x) for each row of x [B, dataDim]. */
export async function aisLogLikelihood(
  model: LatentVariableModel,
  x: Tensor2D,
  options: AisLikelihoodOptions = {},
): Promise<AisLikelihood> {
  const r = await annealRows(
    model,
    x,
    options,
    { reverse: false },
    Rng.fromSeed(options.seed ?? 0),
  );
  return summarize(r, r.acceptance);
}

export interface BdmcResult {
  /** Forward AIS (stochastic lower bound) and reverse AIS (stochastic upper bound) on log p(x). */
  lower: AisLikelihood;
  upper: AisLikelihood;
  /** Mean of upper - lower over data points: a bound on the error of either estimate. */
  gap: number;
  /** The simulated data (owned by the caller). */
  x: Tensor2D;
}

/** BDMC on n data points simulated from the model. */
export async function bdmc(
  model: LatentVariableModel,
  n: number,
  options: AisLikelihoodOptions = {},
): Promise<BdmcResult> {
  const [dataRng, forwardRng, reverseRng] = Rng.fromSeed(options.seed ?? 0).split(3);
  const { z, x } = model.simulate(n, dataRng);
  try {
    const f = await annealRows(model, x, options, { reverse: false }, forwardRng);
    const r = await annealRows(model, x, options, { reverse: true, start: z }, reverseRng);
    const lower = summarize(f, f.acceptance);
    const upper = summarize(r, r.acceptance);
    return { lower, upper, gap: upper.mean - lower.mean, x };
  } catch (error) {
    x.dispose();
    throw error;
  } finally {
    z.dispose();
  }
}
