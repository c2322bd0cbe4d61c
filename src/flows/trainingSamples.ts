// Target samples for forward-KL training. A target with an exact sampler uses it; for the others
// (a lattice field theory, say) the samples come from sequential Monte Carlo with HMC moves: the
// particles anneal from a Gaussian to the target, resampling at every step so that they end
// equally weighted, then take further HMC steps at the target itself to spread out the copies
// that resampling made.
import { z } from 'zod';
import { positiveFloat32 } from '../io/issues.js';
import { tf, type Rng, type Tensor2D } from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { runAis } from '../annealing/ais.js';
import { hmcKernel } from '../annealing/kernels/hmc.js';
import { AnnealingPath } from '../annealing/path.js';
import { SAMPLER_DEFAULTS } from '../annealing/samplerTable.js';
import { linearSchedule } from '../annealing/schedule.js';
import type { Target } from '../targets/target.js';
import { FlowError } from './bijection.js';

/** SMC-HMC's settings, where a config leaves them out: HMC's moves as the library's ais-hmc's. */
export const SMC_HMC_SAMPLES_DEFAULTS = {
  kind: 'smc-hmc' as const,
  annealSteps: 200,
  mcmcSteps: 200,
  stepSize: SAMPLER_DEFAULTS['ais-hmc'].stepSize,
  leapfrogSteps: SAMPLER_DEFAULTS['ais-hmc'].leapfrogSteps,
  initialScale: 1,
  signFlip: false,
};

const positive = positiveFloat32;
const positiveInt = z.number().int().positive();

/**
 * How a flow run draws its forward-KL training set from a target without an exact sampler (the
 * run config's train.loss.samples): one zod schema, the type inferred from it.
 */
export const SmcHmcSamplesSchema = z.strictObject({
  kind: z.literal('smc-hmc'),
  /** Annealing steps from N(0, initialScale^2 I) to the target. */
  annealSteps: positiveInt.default(SMC_HMC_SAMPLES_DEFAULTS.annealSteps),
  /** HMC steps at the target after annealing. */
  mcmcSteps: positiveInt.default(SMC_HMC_SAMPLES_DEFAULTS.mcmcSteps),
  stepSize: positive.default(SMC_HMC_SAMPLES_DEFAULTS.stepSize),
  leapfrogSteps: positiveInt.default(SMC_HMC_SAMPLES_DEFAULTS.leapfrogSteps),
  initialScale: positive.default(SMC_HMC_SAMPLES_DEFAULTS.initialScale),
  /**
   * For targets symmetric under x -> -x (phi^4): flip each sample's sign with probability 1/2.
   * Exact for such targets, and it undoes the drift that resampling at every step causes in how
   * the particles split between mirror-image modes.
   */
  signFlip: z.boolean().default(SMC_HMC_SAMPLES_DEFAULTS.signFlip),
});

export type SmcHmcSamples = z.infer<typeof SmcHmcSamplesSchema>;

export interface DrawnSamples {
  x: Tensor2D;
  /** How they were drawn, for the run's record. */
  method: 'exact' | 'smc-hmc';
  /** SMC-HMC: mean acceptance over the steps at the target. */
  acceptance: number | null;
}

/**
 * n samples of the target: exact where it can draw them, else by SMC-HMC when `smc` is given.
 * Particles run as one SMC system each of `n` (one population, resampled systematically).
 */
export function drawTrainingSamples(
  target: Target,
  n: number,
  rng: Rng,
  smc: SmcHmcSamples | null,
): DrawnSamples {
  if (target.sample && !smc) return { x: target.sample(n, rng), method: 'exact', acceptance: null };
  if (!smc) {
    throw new FlowError(
      `forward KL needs samples, and target '${target.name}' cannot draw them: set train.loss.samples: {kind: smc-hmc} to draw them by SMC with HMC moves`,
    );
  }
  const initial = DiagGaussian.isotropic(target.dim, smc.initialScale);
  const path = new AnnealingPath(initial, target);
  try {
    // Linear to beta = 1, then mcmcSteps more steps at beta = 1 (no weight change there).
    const betas = [...linearSchedule(smc.annealSteps), ...new Array<number>(smc.mcmcSteps).fill(1)];
    const r = runAis({
      path,
      kernel: hmcKernel({ stepSize: smc.stepSize, leapfrogSteps: smc.leapfrogSteps }),
      betas,
      particles: n,
      rng,
      resampling: { scheme: 'systematic' },
    });
    r.logW.dispose();
    const atTarget = r.perStep.slice(smc.annealSteps);
    const acc = atTarget.map((s) => s.acceptance ?? 0);
    let x = r.z;
    if (smc.signFlip) {
      const u = rng.uniform([n, 1]);
      x = tf.tidy(
        () => tf.mul(r.z, tf.sub(tf.mul(tf.cast(tf.less(u, 0.5), 'float32'), 2), 1)) as Tensor2D,
      );
      tf.dispose([u, r.z]);
    }
    return {
      x,
      method: 'smc-hmc',
      acceptance: acc.length ? acc.reduce((a, b) => a + b, 0) / acc.length : null,
    };
  } finally {
    initial.dispose();
  }
}
