// The playground's targets as the page shows them (plotted box, default scales and step sizes)
// and the shape of a run's result: plain data, shared by the page and the compute worker, with no
// tensor library behind them.
import type { LogWeightSummary, TargetOptions } from '../../src/browser.js';
import {
  LEARNED_DEFAULTS,
  SAMPLER_DEFAULTS,
  SAMPLER_TABLE,
  isSamplerName,
} from '../../src/annealing/samplerTable.js';
import { librarySampler, type PageSampler, type PageTarget, type Settings } from './settings.js';

export interface TargetView {
  label: string;
  /** Registry name and options. */
  name: string;
  options: TargetOptions;
  /** The plotted box: x (first coordinate) and y ranges. */
  x: [number, number];
  y: [number, number];
  /** Default scale of the initial N(0, s^2 I). */
  initScale: number;
  /** A typical local length scale: default step sizes follow it. */
  length: number;
  /** Default step sizes that do not follow the length scale (the funnel's neck). */
  stepSizes?: Partial<Record<PageSampler, number>>;
}

export const TARGET_VIEWS: Record<PageTarget, TargetView> = {
  gmm8: {
    label: 'Mixture of 8 Gaussians',
    name: 'gmm8',
    options: { dim: 2 },
    x: [-13, 13],
    y: [-13, 13],
    initScale: 6,
    length: 1,
  },
  gmm40: {
    label: "FAB's mixture of 40 Gaussians",
    name: 'gmm40',
    options: {},
    x: [-45, 45],
    y: [-45, 45],
    initScale: 25,
    length: 1.3,
  },
  mgm: {
    label: 'Mixture of 4 Gaussians on a grid',
    name: 'mgm',
    options: { dim: 2, loc: 2, sigma2: 0.2 },
    x: [-4, 4],
    y: [-4, 4],
    initScale: 2.5,
    length: 0.45,
  },
  rings: {
    label: 'Concentric rings',
    name: 'rings',
    options: {},
    x: [-4, 4],
    y: [-4, 4],
    initScale: 2,
    length: 0.14,
  },
  funnel: {
    label: "Neal's funnel (2-d slice)",
    name: 'funnel',
    options: { dim: 2 },
    x: [-9, 9],
    y: [-9, 9],
    initScale: 3,
    length: 0.3,
    // Unadjusted dynamics diverge in the neck (x^2 e^-v / 2 is steep there).
    stepSizes: { uha: 0.03 },
  },
  'double-well': {
    label: 'Double well',
    name: 'many-well',
    options: { dim: 2 },
    x: [-3.5, 3.5],
    y: [-3.5, 3.5],
    initScale: 2,
    // The quartic well's gradient grows like x^3 away from the modes.
    length: 0.35,
  },
  gaussian: {
    label: 'Anisotropic Gaussian',
    name: 'gaussian',
    options: { dim: 2 },
    x: [-4, 6],
    y: [-4, 6],
    initScale: 1,
    length: 0.7,
  },
};

/**
 * The step size a sampler starts from on a target when the settings say 'auto', by the kind of its
 * moves: a leapfrog epsilon follows the target's length scale, a Langevin delta (a variance) its
 * square. MALA starts from the library's default (SAMPLER_DEFAULTS): its Metropolis correction
 * keeps it exact at any step, and on these targets that step does as well as a length-scaled one.
 */
export function defaultStepSize(view: TargetView, sampler: PageSampler): number {
  const l = view.length;
  const fixed = view.stepSizes?.[sampler];
  if (fixed !== undefined) return fixed;
  const name = librarySampler(sampler);
  switch (name === null ? 'ula' : SAMPLER_TABLE[name].kernel) {
    case 'hmc':
      return round(0.5 * l);
    case 'uha':
      return round(0.35 * l);
    case 'mala':
      return SAMPLER_DEFAULTS['ais-mala'].stepSize;
    case 'ula':
      return round(0.25 * l * l);
  }
}

/**
 * Leapfrog steps per transition when the settings say 'auto': the library's defaults, HMC's
 * (SAMPLER_DEFAULTS) for the fixed samplers, UHA's (LEARNED_DEFAULTS) for the learned ones.
 */
export function defaultLeapfrog(sampler: PageSampler): number {
  const name = librarySampler(sampler);
  return name !== null && isSamplerName(name)
    ? SAMPLER_DEFAULTS[name].leapfrogSteps
    : LEARNED_DEFAULTS.leapfrogSteps;
}

function round(x: number): number {
  return Number(x.toPrecision(2));
}

export interface RunResult {
  /** Particle positions, frame-major: [frames, particles, 2]. */
  frames: Float32Array;
  frameCount: number;
  particles: number;
  /** Per annealing step (not for the flow): ESS fraction and running log Z. */
  ess: number[];
  logZPath: number[];
  summary: LogWeightSummary;
  exactLogZ: number | null;
  /** Wall time of the computation in ms (including the one read-back). */
  ms: number;
}

/**
 * FAB on the page: two intermediate distributions with HMC moves from the target's HMC step size
 * (tuned as training goes), and a small replay buffer (4 AIS passes before the first update).
 */
export function fabSettings(s: Settings) {
  const view = TARGET_VIEWS[s.target];
  return {
    intermediate: 2,
    move: 'hmc' as const,
    stepSize: defaultStepSize(view, 'ais-hmc'),
    leapfrogSteps: defaultLeapfrog('ais-hmc'),
    buffer: { maxBatches: 20, minBatches: 4, updatesPerPass: 4 },
  };
}
