// The VAE training-run config: one zod schema, strict keys, defaults from the papers' setups
// (latent 50, 2 x 200 tanh, Adam 1e-3, batch 100; docs/references.md).
import { z } from 'zod';
import { positiveFloat32 } from '../io/issues.js';
import { BACKENDS } from '../engine/index.js';
import { LrScheduleSchema, parseWithSchema } from '../train/config.js';
import { IMAGE_DATASETS } from '../data/mnist.js';
import { VAE_OBJECTIVES, VaeModelConfigSchema } from './vae.js';
import { VAE_SAMPLERS } from './vaeSampler.js';

/** Every training objective of a VAE run (train.objective.kind). */
export const VAE_TRAIN_OBJECTIVES = [...VAE_OBJECTIVES, 'ais', 'mh-hmc', ...VAE_SAMPLERS] as const;

const positiveInt = z.number().int().positive();
const positive = positiveFloat32;

export const VaeRunConfigSchema = z.strictObject({
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(BACKENDS).optional(),
  data: z
    .strictObject({
      name: z.enum(IMAGE_DATASETS).default('mnist'),
      /** A folder with the four IDX files, instead of the data set's default place. */
      dir: z.string().optional(),
      /** 'dynamic': a fresh Bernoulli draw per mini-batch; 'static': one seeded draw. */
      binarization: z.enum(['static', 'dynamic']).default('dynamic'),
      /** Omniglot: the path of chardata.mat (its 'data' and 'testdata' matrices). */
      file: z.string().optional(),
      /**
       * Training images kept for validation (the last ones); default 10,000 for MNIST-style sets
       * (50k / 10k / 10k), 0 for Omniglot (24,345 / 8,070).
       */
      validation: z.number().int().nonnegative().optional(),
      /** Use only the first N training images (quick runs); absent: all. */
      trainImages: positiveInt.optional(),
    })
    .prefault({}),
  /** The VAE's architecture (VaeModelConfigSchema, the one the Vae constructor checks). */
  model: VaeModelConfigSchema.prefault({}),
  train: z.strictObject({
    epochs: positiveInt,
    batch: positiveInt.default(100),
    learningRate: positive.default(1e-3),
    clipNorm: positive.nullable().default(null),
    lrSchedule: LrScheduleSchema.default({ kind: 'constant' }),
    objective: z
      .strictObject({
        /**
         * 'ais': AIS-trained decoder with an ELBO-trained encoder (Ding & Freedman 2019); 'mh-hmc':
         * the decoder follows T HMC transitions at the posterior from a q(z|x) draw (Hoffman 2017);
         * 'ula' | 'uha' | 'ula-mcd' | 'uha-mcd': a learned annealed sampler from q(z|x) to the
         * posterior, everything trained on its extended-space bound (the MCD paper's VAE table).
         */
        kind: z.enum(VAE_TRAIN_OBJECTIVES).default('elbo'),
        /** Draws (AIS, samplers: chains) per data point K. */
        samples: positiveInt.default(1),
        /** ais / mh-hmc: HMC transitions per chain T (temperatures for ais). */
        temperatures: positiveInt.default(11),
        /** Leapfrog steps per transition: ais / mh-hmc (default 5), uha kinds (default 1). */
        leapfrogSteps: positiveInt.optional(),
        /** Samplers: annealing steps (default 64 for ula kinds, 32 for uha kinds). */
        steps: positiveInt.optional(),
        /** Samplers: initial step size, ULA delta or UHA epsilon (default 0.002 / 0.05). */
        stepSize: positive.optional(),
      })
      .superRefine((o, ctx) => {
        const sampler = (VAE_SAMPLERS as readonly string[]).includes(o.kind);
        for (const key of ['steps', 'stepSize'] as const) {
          if (o[key] !== undefined && !sampler) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `applies to the sampler objectives (${VAE_SAMPLERS.join(', ')}), not '${o.kind}'`,
            });
          }
        }
      })
      .prefault({}),
    logEvery: positiveInt.default(10),
  }),
  eval: z
    .strictObject({
      /** Test images evaluated (the first ones); absent: all 10,000. */
      testImages: positiveInt.optional(),
      /** The model's own bound (ELBO or the sampler's) averaged over this many draws per image. */
      elboSamples: positiveInt.default(10),
      /** IWAE bound with this many draws per image. */
      iwaeSamples: positiveInt.default(1000),
      /** AIS: annealing steps (0 skips AIS), chains per image, HMC step size and leapfrog steps. */
      aisSteps: z.number().int().nonnegative().default(1000),
      aisChains: positiveInt.default(16),
      aisStepSize: positive.default(0.2),
      aisLeapfrog: positiveInt.default(5),
      /**
       * BDMC on this many images simulated from the trained model (0: none): forward AIS and AIS
       * run backwards from the exact latent that generated each image bracket log p(x).
       */
      bdmcImages: z.number().int().nonnegative().default(0),
      seed: z.number().int().nonnegative().default(1_000_003),
    })
    .prefault({}),
});

export type VaeRunConfig = z.infer<typeof VaeRunConfigSchema>;

export function parseVaeRunConfig(raw: unknown, source = 'config'): VaeRunConfig {
  return parseWithSchema(VaeRunConfigSchema, raw, source);
}
