// A variational autoencoder with a Bernoulli decoder: encoder MLP x -> (mean, log scale) of a
// diagonal Gaussian q(z|x), decoder MLP z -> Bernoulli logits, prior N(0, I). K draws per data point
// are rows b * K + k of one [B*K, latent] tensor (data-major, docs/architecture.md), so encoder, decoder and
// densities each run once per batch. Objectives (all to be maximized):
//  - 'elbo': mean over draws of log w = log p(x, z) - log q(z|x);
//  - 'iwae': log of the mean of w over the K draws (Burda et al.);
//  - 'iwae-dreg': the same bound with the doubly reparameterized encoder gradient (Tucker et al.
//    2018): sum_k w~_k^2 d log w_k / dz_k dz_k/dphi, with q's parameters held fixed in log q. The
//    decoder gradient is IWAE's. One forward pass: the reparameterization path is scaled by w~_k
//    in the backward pass, and the whole sum by w~_k, which gives w~^2 for the encoder and w~ for
//    the decoder.
import { z } from 'zod';
import {
  tf,
  repeatRows,
  logMeanExp,
  scaleGradient,
  stopGradient,
  nativeOpsAvailable,
  fusedMlpBernoulliPosterior,
  type DenseParams,
  type Rng,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { describeValue, firstIssue, issueWithField } from '../io/issues.js';
import { Mlp } from '../nets/mlp.js';
import { ParamStore } from '../nets/params.js';
import type { Target } from '../targets/target.js';
import type { LatentVariableModel } from '../eval/latentModel.js';

export const VAE_DEFAULTS = { latentDim: 50, hidden: [200, 200] } as const;

const mustBePositiveInt = (issue: { input?: unknown }) =>
  `must be a positive integer, got ${describeValue(issue.input)}`;
const positiveInt = z
  .number()
  .int({ error: mustBePositiveInt })
  .positive({ error: mustBePositiveInt });

/**
 * A VAE's architecture: one zod schema for its fields, checks and defaults, which the Vae
 * constructor validates with and a VAE run's config (`model`, vaeConfig.ts) reuses.
 */
export const VaeModelConfigSchema = z.strictObject({
  /** Latent dimension (default 50). */
  latentDim: positiveInt.default(VAE_DEFAULTS.latentDim),
  /** Hidden widths of encoder and decoder (default [200, 200], tanh). */
  hidden: z
    .array(positiveInt)
    .min(1)
    .default(() => [...VAE_DEFAULTS.hidden]),
});

/** A VAE's config: the data's size and its architecture. */
export const VaeConfigSchema = z.strictObject({
  /** Pixels per data point. */
  dataDim: positiveInt,
  ...VaeModelConfigSchema.shape,
});

export type VaeConfig = z.infer<typeof VaeConfigSchema>;

export const VAE_OBJECTIVES = ['elbo', 'iwae', 'iwae-dreg'] as const;
export type VaeObjective = (typeof VAE_OBJECTIVES)[number];

export class VaeError extends Error {
  override name = 'VaeError';
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; mean, diag(exp(logScale))^2) per row. */
function diagNormalLogProb(z: Tensor2D, mean: Tensor2D, logScale: Tensor2D): Tensor1D {
  return tf.tidy(() => {
    const eps = tf.mul(tf.sub(z, mean), tf.exp(tf.neg(logScale)));
    const perDim = tf.add(tf.add(tf.mul(0.5, tf.square(eps)), logScale), 0.5 * LOG_2PI);
    return tf.neg(tf.sum(perDim, -1)) as Tensor1D;
  });
}

export class Vae implements LatentVariableModel {
  readonly params = new ParamStore();
  readonly config: VaeConfig;
  readonly encoder: Mlp;
  readonly decoder: Mlp;

  /** @param config `dataDim`, and any fields to change from VAE_DEFAULTS */
  constructor(config: z.input<typeof VaeConfigSchema>, rng: Rng) {
    const parsed = VaeConfigSchema.safeParse(config, { reportInput: true });
    if (!parsed.success) {
      const issue = firstIssue(parsed.error.issues);
      throw new VaeError(
        `VAE config: ${issue ? issueWithField(issue, VaeConfigSchema) : 'is not valid'}`,
      );
    }
    this.config = parsed.data;
    const { dataDim, latentDim, hidden } = this.config;
    const [encRng, decRng] = rng.split(2);
    this.encoder = new Mlp(
      this.params,
      'encoder',
      { input: dataDim, hidden, heads: { mean: latentDim, logScale: latentDim } },
      encRng,
    );
    this.decoder = new Mlp(
      this.params,
      'decoder',
      { input: latentDim, hidden: [...hidden].reverse(), heads: { logits: dataDim } },
      decRng,
    );
  }

  get dataDim(): number {
    return this.config.dataDim;
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /** n draws from the model: z ~ N(0, I), x ~ Bernoulli(sigmoid(decoder(z))). */
  simulate(n: number, rng: Rng): { z: Tensor2D; x: Tensor2D } {
    const z = rng.normal([n, this.config.latentDim]) as Tensor2D;
    const u = rng.uniform([n, this.config.dataDim]);
    const x = tf.tidy(() => {
      const p = tf.sigmoid(this.decoder.apply(z)['logits'] as Tensor2D);
      return tf.cast(tf.less(u, p), 'float32') as Tensor2D;
    });
    u.dispose();
    return { z, x };
  }

  /** q(z|x): mean and log scale per row. */
  encode(x: Tensor2D, frozen = false): { mean: Tensor2D; logScale: Tensor2D } {
    const out = this.encoder.apply(x, frozen);
    return { mean: out['mean'] as Tensor2D, logScale: out['logScale'] as Tensor2D };
  }

  /**
   * log p(x|z) per row, Bernoulli with logits l: sum x l - softplus(l). With `frozenDecoder`, the
   * decoder's weights are constants (gradients reach z only).
   */
  logLikelihood(x: Tensor2D, z: Tensor2D, frozenDecoder = false): Tensor1D {
    return tf.tidy(() => {
      const logits = this.decoder.apply(z, frozenDecoder)['logits'] as Tensor2D;
      return tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), -1) as Tensor1D;
    });
  }

  /** log p(x, z) = log p(x|z) + log N(z; 0, I) per row. */
  logJoint(x: Tensor2D, z: Tensor2D, frozenDecoder = false): Tensor1D {
    return tf.tidy(() => {
      const prior = tf.mul(-0.5, tf.add(tf.sum(tf.square(z), -1), this.config.latentDim * LOG_2PI));
      return tf.add(this.logLikelihood(x, z, frozenDecoder), prior) as Tensor1D;
    });
  }

  /**
   * The posterior p(z | x_i) up to its normalizer, as a target over latent rows: row i of z is
   * scored against row i of xs (data-major repeats of a batch). log p(x, z) and its z-gradient come
   * from one decoder pass with a hand-written backward sweep: d/dlogits of the Bernoulli term is
   * x - sigmoid(logits), the prior adds -z. Samplers differentiate through it once (not twice).
   */
  posterior(xs: Tensor2D, frozenDecoder = false): Target {
    if (xs.shape[1] !== this.config.dataDim) {
      throw new VaeError(
        `data rows have ${xs.shape[1]} values, the VAE expects ${this.config.dataDim}`,
      );
    }
    const checkRows = (z: Tensor2D) => {
      if (z.shape[0] !== xs.shape[0] || z.shape[1] !== this.config.latentDim) {
        throw new VaeError(
          `posterior of ${xs.shape[0]} data rows needs latents [${xs.shape[0]}, ${this.config.latentDim}], got [${z.shape.join(', ')}]`,
        );
      }
    };
    return {
      name: 'vae-posterior',
      dim: this.config.latentDim,
      logProb: (z: Tensor2D) => {
        checkRows(z);
        return this.logJoint(xs, z, frozenDecoder);
      },
      logProbAndScore: (z: Tensor2D) => {
        checkRows(z);
        if (nativeOpsAvailable()) {
          return tf.tidy(() => {
            const { hidden, heads } = this.decoder.layerParams(frozenDecoder);
            return fusedMlpBernoulliPosterior(z, hidden, heads['logits'] as DenseParams, xs);
          });
        }
        return tf.tidy(() => {
          const { out, inputGrad } = this.decoder.applyWithInputGrad(
            z,
            (o) => ({ logits: tf.sub(xs, tf.sigmoid(o['logits'] as Tensor2D)) as Tensor2D }),
            frozenDecoder,
          );
          const logits = out['logits'] as Tensor2D;
          const logLik = tf.sum(tf.sub(tf.mul(xs, logits), tf.softplus(logits)), -1);
          const prior = tf.mul(
            -0.5,
            tf.add(tf.sum(tf.square(z), -1), this.config.latentDim * LOG_2PI),
          );
          return {
            logProb: tf.add(logLik, prior) as Tensor1D,
            score: tf.sub(inputGrad, z) as Tensor2D,
          };
        });
      },
    };
  }

  /**
   * The objective's surrogate (its gradient is the estimator's) and the bound's value, both
   * averaged over the B data points of x [B, dataDim], with K draws per point from `rng`.
   */
  objective(
    x: Tensor2D,
    kind: VaeObjective,
    k: number,
    rng: Rng,
  ): { surrogate: Scalar; bound: Scalar } {
    if (!(VAE_OBJECTIVES as readonly string[]).includes(kind)) {
      throw new VaeError(`unknown objective '${kind}'; valid: ${VAE_OBJECTIVES.join(', ')}`);
    }
    if (!Number.isInteger(k) || k < 1) {
      throw new VaeError(`samples per data point must be a positive integer, got ${k}`);
    }
    if (x.shape[1] !== this.config.dataDim) {
      throw new VaeError(
        `data rows have ${x.shape[1]} values, the VAE expects ${this.config.dataDim}`,
      );
    }
    const b = x.shape[0];
    const eps = rng.normal([b * k, this.config.latentDim]) as Tensor2D;
    try {
      return tf.tidy(() => {
        const xs = repeatRows(x, k);
        const q = this.encode(x);
        const mean = repeatRows(q.mean, k);
        const logScale = repeatRows(q.logScale, k);
        const z = tf.add(mean, tf.mul(tf.exp(logScale), eps)) as Tensor2D;
        if (kind !== 'iwae-dreg') {
          const logW = tf.sub(this.logJoint(xs, z), diagNormalLogProb(z, mean, logScale));
          const grouped = tf.reshape(logW, [b, k]);
          const bound =
            kind === 'elbo' ? tf.mean(grouped) : tf.mean(logMeanExp(grouped, 1) as Tensor1D);
          return { surrogate: bound as Scalar, bound: tf.keep(bound.clone()) as Scalar };
        }
        // DReG: normalized weights w~ (constants), then one pass whose z-path carries w~ twice.
        const logW = tf.sub(this.logJoint(xs, z), diagNormalLogProb(z, mean, logScale));
        const grouped = tf.reshape(logW, [b, k]);
        const bound = stopGradient(tf.mean(logMeanExp(grouped, 1) as Tensor1D)) as Scalar;
        const weights = stopGradient(tf.softmax(grouped, 1));
        const w = tf.reshape(weights, [b * k, 1]);
        const zScaled = scaleGradient(z, w);
        const logWPath = tf.sub(
          this.logJoint(xs, zScaled),
          diagNormalLogProb(zScaled, stopGradient(mean), stopGradient(logScale)),
        );
        const surrogate = tf.div(
          tf.sum(tf.mul(tf.reshape(weights, [b * k]), logWPath)),
          b,
        ) as Scalar;
        return { surrogate, bound };
      });
    } finally {
      eps.dispose();
    }
  }

  /** log w = log p(x, z) - log q(z|x) of K draws per row of x [B, D]: [B*K], data-major. */
  logWeights(x: Tensor2D, k: number, rng: Rng): Tensor1D {
    const eps = rng.normal([x.shape[0] * k, this.config.latentDim]);
    try {
      return tf.tidy(() => {
        const q = this.encode(x);
        const mean = repeatRows(q.mean, k);
        const logScale = repeatRows(q.logScale, k);
        const z = tf.add(mean, tf.mul(tf.exp(logScale), eps)) as Tensor2D;
        return tf.sub(
          this.logJoint(repeatRows(x, k), z),
          diagNormalLogProb(z, mean, logScale),
        ) as Tensor1D;
      });
    } finally {
      eps.dispose();
    }
  }

  /** The ELBO of x with one draw per row and the decoder held fixed: the encoder's objective. */
  encoderElbo(x: Tensor2D, rng: Rng): Scalar {
    const eps = rng.normal([x.shape[0], this.config.latentDim]);
    try {
      return tf.tidy(() => {
        const q = this.encode(x);
        const z = tf.add(q.mean, tf.mul(tf.exp(q.logScale), eps)) as Tensor2D;
        const logW = tf.sub(this.logJoint(x, z, true), diagNormalLogProb(z, q.mean, q.logScale));
        return tf.mean(logW) as Scalar;
      });
    } finally {
      eps.dispose();
    }
  }

  dispose(): void {
    this.params.dispose();
  }
}
