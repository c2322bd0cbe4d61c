// The sampler vocabulary, written once: every named sampler with its kernel, its family, its
// defaults and the options that apply to it. The lists the library exports (SAMPLERS,
// SMC_SAMPLERS, LEARNED_SAMPLERS, ESTIMATE_SAMPLERS), the command line's choices, refusals and
// defaults and the playground's menus are all read from SAMPLER_TABLE and the defaults below.
// Plain data with no tensor code behind it (samplers.ts adds the kernels), so that the playground's
// page can import it without the tensor library.
import { SCORE_NET_DEFAULTS } from '../nets/scoreNetDefaults.js';
import type { PerStep } from './stepValue.js';

/**
 * How a sampler runs: fixed-parameter AIS, SMC (resampling inside the chain), learned, or auto
 * (adaptive SMC that chooses and tunes everything itself).
 */
export type SamplerFamily = 'ais' | 'smc' | 'learned' | 'auto';

/** Options of the command line and of estimateLogZ that only some samplers take. */
export type SamplerOption = 'stepSize' | 'leapfrogSteps' | 'eta' | 'training';

export interface SamplerSpec {
  /** The kernel's kind (annealing/kernels). */
  readonly kernel: 'ula' | 'hmc' | 'uha' | 'mala';
  readonly family: SamplerFamily;
  /**
   * SMC samplers: the sampler whose kernel moves the particles between resampling steps (a fixed
   * AIS sampler, or a learned one that is trained first).
   */
  readonly base?: string;
  /** Whether the sampler's parameters are learned (by itself or through its base). */
  readonly learned: boolean;
  /**
   * The fixed AIS sampler estimateLogZ runs this one as (with resampling for SMC), for samplers
   * that need no training there.
   */
  readonly estimate?: string;
  /**
   * Learned samplers with a network of (z, step): 'backward', MCD's score network in the backward
   * kernel; 'control', CMCD's control, added to the forward drift and subtracted from the backward.
   */
  readonly network?: 'backward' | 'control';
  /** UHA kernels: LDVI's Euler momentum refresh in place of the exact one. */
  readonly refresh?: 'euler';
  /** The options that apply to it, besides those every sampler takes. */
  readonly options: readonly SamplerOption[];
  /** One line for help text and menus. */
  readonly summary: string;
}

export const SAMPLER_TABLE = {
  auto: {
    kernel: 'hmc',
    family: 'auto',
    learned: false,
    options: [],
    summary:
      'no settings: adaptive SMC from a fitted start, moves tuned between temperatures, independent systems until the standard error asked for',
  },
  'ais-ula': {
    kernel: 'ula',
    family: 'ais',
    learned: false,
    estimate: 'ais-ula',
    options: ['stepSize'],
    summary: 'AIS with unadjusted Langevin moves and their time reversal',
  },
  'ais-hmc': {
    kernel: 'hmc',
    family: 'ais',
    learned: false,
    estimate: 'ais-hmc',
    options: ['stepSize', 'leapfrogSteps'],
    summary: 'AIS with Metropolis-corrected HMC moves',
  },
  'ais-mala': {
    kernel: 'mala',
    family: 'ais',
    learned: false,
    estimate: 'ais-mala',
    options: ['stepSize'],
    summary: 'AIS with Metropolis-adjusted Langevin moves',
  },
  ula: {
    kernel: 'ula',
    family: 'learned',
    learned: true,
    options: ['stepSize', 'training'],
    summary: 'learned ULA: step sizes, schedule and initial distribution trained on the bound',
  },
  uha: {
    kernel: 'uha',
    family: 'learned',
    learned: true,
    options: ['stepSize', 'leapfrogSteps', 'eta', 'training'],
    summary: 'learned UHA: adds damping and a diagonal mass',
  },
  'ula-mcd': {
    kernel: 'ula',
    family: 'learned',
    learned: true,
    network: 'backward',
    options: ['stepSize', 'training'],
    summary: 'Monte Carlo Diffusion: learned ULA with a score network in the backward kernel',
  },
  'uha-mcd': {
    kernel: 'uha',
    family: 'learned',
    learned: true,
    network: 'backward',
    options: ['stepSize', 'leapfrogSteps', 'eta', 'training'],
    summary: 'Monte Carlo Diffusion: learned UHA with a score network in the momentum refresh',
  },
  ldvi: {
    kernel: 'uha',
    family: 'learned',
    learned: true,
    network: 'backward',
    refresh: 'euler',
    options: ['stepSize', 'leapfrogSteps', 'eta', 'training'],
    summary:
      'Langevin Diffusion VI: learned UHA with an Euler momentum refresh and a score network in its backward kernel',
  },
  cmcd: {
    kernel: 'ula',
    family: 'learned',
    learned: true,
    network: 'control',
    options: ['stepSize', 'training'],
    summary:
      'Controlled Monte Carlo Diffusion: learned ULA with a control network added to the forward drift and subtracted from the backward',
  },
  'cmcd-ud': {
    kernel: 'uha',
    family: 'learned',
    learned: true,
    network: 'control',
    refresh: 'euler',
    options: ['stepSize', 'leapfrogSteps', 'eta', 'training'],
    summary:
      'underdamped CMCD: LDVI with a control network in the momentum refresh, subtracted forward and added backward',
  },
  'smc-ula': {
    kernel: 'ula',
    family: 'smc',
    base: 'ula',
    learned: true,
    estimate: 'ais-ula',
    options: ['stepSize', 'training'],
    summary: 'SMC: resampling between unadjusted Langevin moves (trainable)',
  },
  'smc-uha': {
    kernel: 'uha',
    family: 'smc',
    base: 'uha',
    learned: true,
    options: ['stepSize', 'leapfrogSteps', 'eta', 'training'],
    summary: 'SMC: resampling between uncorrected Hamiltonian moves (trainable)',
  },
  'smc-hmc': {
    kernel: 'hmc',
    family: 'smc',
    base: 'ais-hmc',
    learned: false,
    estimate: 'ais-hmc',
    options: ['stepSize', 'leapfrogSteps'],
    summary: 'SMC: resampling between Metropolis-corrected HMC moves',
  },
  'smc-mala': {
    kernel: 'mala',
    family: 'smc',
    base: 'ais-mala',
    learned: false,
    estimate: 'ais-mala',
    options: ['stepSize'],
    summary: 'SMC: resampling between Metropolis-adjusted Langevin moves',
  },
} as const satisfies Record<string, SamplerSpec>;

export type AnySamplerName = keyof typeof SAMPLER_TABLE;

/** The names of the samplers whose table rows match P (e.g. `{ family: 'smc' }`). */
export type SamplerNamesWhere<P> = {
  [K in AnySamplerName]: (typeof SAMPLER_TABLE)[K] extends P ? K : never;
}[AnySamplerName];

function namesWhere<N extends AnySamplerName>(
  keep: (spec: SamplerSpec) => boolean,
): readonly [N, ...N[]] {
  return (Object.keys(SAMPLER_TABLE) as AnySamplerName[]).filter((n) =>
    keep(SAMPLER_TABLE[n]),
  ) as unknown as readonly [N, ...N[]];
}

/** Every sampler name, in table order. */
export const ALL_SAMPLERS = namesWhere<AnySamplerName>(() => true);

/** Fixed-parameter AIS samplers. */
export const SAMPLERS = namesWhere<SamplerNamesWhere<{ family: 'ais' }>>((s) => s.family === 'ais');
export type SamplerName = (typeof SAMPLERS)[number];

/** SMC samplers of the command line: a kernel family plus resampling inside the chain. */
export const SMC_SAMPLERS = namesWhere<SamplerNamesWhere<{ family: 'smc' }>>(
  (s) => s.family === 'smc',
);
export type SmcSamplerName = (typeof SMC_SAMPLERS)[number];

/** Samplers whose parameters are trained (LearnedSampler kinds). */
export const LEARNED_SAMPLERS = namesWhere<SamplerNamesWhere<{ family: 'learned' }>>(
  (s) => s.family === 'learned',
);
export type LearnedSamplerName = (typeof LEARNED_SAMPLERS)[number];

/** Samplers that run without training: estimateLogZ's choices. */
export const ESTIMATE_SAMPLERS = namesWhere<SamplerNamesWhere<{ estimate: string }>>(
  (s) => s.estimate !== undefined,
);
export type EstimateSamplerName = (typeof ESTIMATE_SAMPLERS)[number];

export function isSmcSamplerName(name: string): name is SmcSamplerName {
  return (SMC_SAMPLERS as readonly string[]).includes(name);
}

export function isSamplerName(name: string): name is SamplerName {
  return (SAMPLERS as readonly string[]).includes(name);
}

export function isLearnedSamplerName(name: string): name is LearnedSamplerName {
  return (LEARNED_SAMPLERS as readonly string[]).includes(name);
}

/** The sampler an SMC sampler moves with (itself for the others). */
export function baseSampler(name: AnySamplerName): AnySamplerName {
  const spec: SamplerSpec = SAMPLER_TABLE[name];
  return (spec.base ?? name) as AnySamplerName;
}

/** The fixed AIS sampler estimateLogZ runs `name` as. */
export function estimateKernel(name: EstimateSamplerName): SamplerName {
  return SAMPLER_TABLE[name].estimate;
}

/** Whether `option` applies to sampler `name`. */
export function samplerTakes(name: AnySamplerName, option: SamplerOption): boolean {
  return (SAMPLER_TABLE[name].options as readonly SamplerOption[]).includes(option);
}

/** The samplers `option` applies to, for refusals that list them. */
export function samplersTaking(option: SamplerOption): AnySamplerName[] {
  return ALL_SAMPLERS.filter((n) => samplerTakes(n, option));
}

export interface SamplerSettings {
  /** Step size (ULA and MALA delta or HMC leapfrog epsilon), constant or one per step. */
  stepSize?: PerStep;
  /** HMC leapfrog steps per transition. */
  leapfrogSteps?: number;
}

/**
 * The fixed samplers' settings when none are given (makeKernel, estimateLogZ, the command line):
 * chosen to be stable on the built-in targets at unit scale.
 */
export const SAMPLER_DEFAULTS: Record<SamplerName, { stepSize: number; leapfrogSteps: number }> = {
  'ais-ula': { stepSize: 0.01, leapfrogSteps: 1 },
  'ais-hmc': { stepSize: 0.1, leapfrogSteps: 5 },
  'ais-mala': { stepSize: 0.05, leapfrogSteps: 1 },
};

/** The fixed sampler whose step size means the same as each kernel's (a delta or an epsilon). */
const SAME_STEP: Record<SamplerSpec['kernel'], SamplerName> = {
  ula: 'ais-ula',
  hmc: 'ais-hmc',
  uha: 'ais-hmc',
  mala: 'ais-mala',
};

/**
 * The step size the command line starts sampler `name` from when none is given: SAMPLER_DEFAULTS
 * of the fixed sampler whose step means the same (ULA's delta for ula, ula-mcd and smc-ula; the
 * leapfrog epsilon of HMC for the UHA samplers). A LearnedSampler built in code without a step
 * size starts from LEARNED_DEFAULTS.stepSize instead.
 */
export function defaultStepSizeOf(name: AnySamplerName): number {
  return SAMPLER_DEFAULTS[SAME_STEP[SAMPLER_TABLE[name].kernel]].stepSize;
}

/**
 * A LearnedSampler's config where the caller leaves a field out (its zod schema,
 * LearnedSamplerConfigSchema in learnedConfig.ts, reads its defaults from here).
 */
export const LEARNED_DEFAULTS = {
  /** Annealing steps K. */
  steps: 32,
  /** Initial step size (ULA delta or leapfrog epsilon), the same at every step. */
  stepSize: 0.05,
  /** Initial UHA damping eta in (0, 1). */
  eta: 0.9,
  /** Initial UHA diagonal mass (every coordinate). */
  mass: 1,
  /** UHA leapfrog steps per transition. */
  leapfrogSteps: 1,
  /** Initial distribution N(initialMean, initialScale^2 I) before learning. */
  initialMean: 0,
  initialScale: 1,
  /** The schedule the learned one starts from: 'linear' (beta_k = k / K) or 'geometric'. */
  schedule: 'linear' as 'linear' | 'geometric',
  scoreNet: SCORE_NET_DEFAULTS,
  /** Every parameter group is learned. */
  learn: { stepSizes: true, schedule: true, initial: true, eta: true, mass: true, scoreNet: true },
};
