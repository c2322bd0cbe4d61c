// Named targets for the CLI and configs: one spec per name with its defaults, allowed dimensions
// and options, and createTarget(name, options) that validates at this boundary with one-line
// TargetErrors.
import { describeValue } from '../io/issues.js';
import { TargetError, type Target } from './target.js';
import { GaussianTarget } from './gaussian.js';
import { FunnelTarget } from './funnel.js';
import { GridMixtureTarget } from './gridMixture.js';
import { dsmcsMixtureTarget } from './gaussianMixture.js';
import { gmm40Target } from './gmm40.js';
import { ManyWellTarget } from './manyWell.js';
import {
  MCD_MIXTURE_DEFAULTS,
  mcdGaussianMixtureTarget,
  mcdStudentTMixtureTarget,
} from './mcdMixtures.js';
import { UCI_DATASETS, uciLogisticTarget, type UciDatasetName } from './logisticRegression.js';
import { PHI4_DEFAULTS, Phi4Target } from './phi4.js';
import { U1_DEFAULTS, U1Target } from './u1.js';
import { RingsTarget } from './rings.js';
import { SeedsTarget } from './seedsRegression.js';
import { BrownianTarget } from './brownian.js';
import { LGCP_DEFAULT_WIDTH, LgcpTarget } from './lgcp.js';
import { targetOptionsOf, type TargetOptionName, type TargetOptions } from './options.js';

export type { TargetOptions, TargetOptionName } from './options.js';

/**
 * Allowed dimensions: 'fixed' = only defaultDim, 'any' = >= 1, 'even' = even >= 2, 'atLeast2' =
 * >= 2, 'lattice' = T X for a lattice of width X >= 2 and T >= 2 rows (checked against the width
 * when the target is built), 'gaugeLattice' = 2 L^2 for a lattice width L >= 2, 'square' = W^2 for
 * a grid width W >= 2.
 */
export type DimRule = 'fixed' | 'any' | 'even' | 'atLeast2' | 'lattice' | 'gaugeLattice' | 'square';

export interface TargetSpec {
  readonly name: string;
  readonly description: string;
  readonly defaultDim: number;
  readonly logZKnown: boolean;
  readonly dimRule: DimRule;
  /** Options besides dim that this target takes (from the table of src/targets/options.ts). */
  readonly options: readonly Exclude<TargetOptionName, 'dim'>[];
  create(options?: TargetOptions): Target;
}

export function dimAllowed(rule: DimRule, dim: number, defaultDim: number): boolean {
  if (!Number.isInteger(dim) || dim < 1) return false;
  switch (rule) {
    case 'fixed':
      return dim === defaultDim;
    case 'any':
      return true;
    case 'even':
      return dim % 2 === 0;
    case 'atLeast2':
      return dim >= 2;
    case 'lattice':
      return dim >= 4;
    case 'gaugeLattice': {
      const width = Math.round(Math.sqrt(dim / 2));
      return width >= 2 && 2 * width * width === dim;
    }
    case 'square': {
      const width = Math.round(Math.sqrt(dim));
      return width >= 2 && width * width === dim;
    }
  }
}

export function describeDimRule(rule: DimRule, defaultDim: number): string {
  switch (rule) {
    case 'fixed':
      return `exactly ${defaultDim}`;
    case 'any':
      return 'any integer >= 1';
    case 'even':
      return 'an even integer >= 2';
    case 'atLeast2':
      return 'an integer >= 2';
    case 'lattice':
      return 'width x rows (both >= 2)';
    case 'gaugeLattice':
      return '2 L^2 (L = width >= 2)';
    case 'square':
      return 'W^2 (W = width >= 2)';
  }
}

/**
 * The registry's 'gaussian': mean 1 in every coordinate and diagonal variances cycling through
 * [0.5, 2] (dim 2: N((1, 1), diag(0.5, 2))), unnormalized, so log Z = d/2 log 2 pi + 1/2 log det.
 * Anisotropic on purpose, so a step size tuned for one scale is wrong for the other.
 */
export function defaultGaussianTarget(dim = 2): GaussianTarget {
  return new GaussianTarget({
    mean: new Float64Array(dim).fill(1),
    variance: Float64Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? 0.5 : 2)),
  });
}

/** The targets, without their options (the table of src/targets/options.ts says which they take). */
const BASE_SPECS: readonly Omit<TargetSpec, 'options'>[] = [
  {
    name: 'gaussian',
    description: 'Unnormalized N(1, diag(0.5, 2, 0.5, ...)); closed-form log Z',
    defaultDim: 2,
    logZKnown: true,
    dimRule: 'any',
    create: (o = {}) => defaultGaussianTarget(o.dim ?? 2),
  },
  {
    name: 'funnel',
    description: "Neal's funnel: v ~ N(0, 9), x_i | v ~ N(0, e^v); normalized",
    defaultDim: 10,
    logZKnown: true,
    dimRule: 'atLeast2',
    create: (o = {}) => new FunnelTarget({ dim: o.dim ?? 10 }),
  },
  {
    name: 'rings',
    description:
      'Concentric rings in 2-d: radii loc, 2 loc, ... (components rings), radial variance sigma2; closed-form log Z',
    defaultDim: 2,
    logZKnown: true,
    dimRule: 'fixed',
    create: (o = {}) =>
      new RingsTarget({ rings: o.components ?? 3, spacing: o.loc ?? 1, sigma2: o.sigma2 ?? 0.02 }),
  },
  {
    name: 'mgm',
    description:
      '2^d-component grid mixture at {+-loc}^d, variance sigma2 (path gradients); normalized',
    defaultDim: 6,
    logZKnown: true,
    dimRule: 'any',
    create: (o = {}) =>
      new GridMixtureTarget({ dim: o.dim ?? 6, loc: o.loc ?? 1, sigma2: o.sigma2 ?? 0.5 }),
  },
  {
    name: 'dsmcs-mixture',
    description:
      'DSMCS static target: 8 unit-variance Gaussians, means ~ N(3, I) from meansSeed; normalized',
    defaultDim: 50,
    logZKnown: true,
    dimRule: 'any',
    create: (o = {}) =>
      dsmcsMixtureTarget({
        dim: o.dim ?? 50,
        components: o.components ?? 8,
        meansSeed: o.meansSeed ?? 0,
        loc: o.loc ?? 3,
        sigma2: o.sigma2 ?? 1,
      }),
  },
  {
    name: 'many-well',
    description: 'd/2 independent 2-d double wells (2^(d/2) modes); known log Z (164.6957 at d=32)',
    defaultDim: 32,
    logZKnown: true,
    dimRule: 'even',
    create: (o = {}) => new ManyWellTarget({ dim: o.dim ?? 32 }),
  },
  {
    name: 'gmm8',
    description:
      'MCD mixture: 8 equal-weight N(mu_k, sigma2 I), mu_k uniform in [-loc, loc]^d (loc 10) from meansSeed; normalized',
    defaultDim: MCD_MIXTURE_DEFAULTS.dim,
    logZKnown: true,
    dimRule: 'any',
    create: (o = {}) =>
      mcdGaussianMixtureTarget({
        dim: o.dim,
        meansSeed: o.meansSeed,
        loc: o.loc,
        sigma2: o.sigma2,
      }),
  },
  {
    name: 'gmm40',
    description:
      'FAB mixture: 40 equal-weight N(mu_k, softplus(1)^2 I) in the plane, mu_k uniform in [-40, 40]^2 (as FAB draws them); normalized',
    defaultDim: 2,
    logZKnown: true,
    dimRule: 'fixed',
    create: () => gmm40Target(),
  },
  {
    name: 'student-t8',
    description:
      'MCD mixture: 8 equal-weight multivariate t (df 2, scale^2 sigma2), locations as gmm8; normalized',
    defaultDim: MCD_MIXTURE_DEFAULTS.dim,
    logZKnown: true,
    dimRule: 'any',
    create: (o = {}) =>
      mcdStudentTMixtureTarget({
        dim: o.dim,
        meansSeed: o.meansSeed,
        loc: o.loc,
        sigma2: o.sigma2,
        df: o.df,
      }),
  },
  {
    name: 'phi4',
    description:
      'phi^4 lattice field theory, periodic T x X lattice (dim = T X, default 16 x 8), hopping form; kappa 0.3, lambda 0.022',
    defaultDim: PHI4_DEFAULTS.length * PHI4_DEFAULTS.width,
    logZKnown: false,
    dimRule: 'lattice',
    create: (o = {}) => {
      const width = o.width ?? PHI4_DEFAULTS.width;
      const dim = o.dim ?? PHI4_DEFAULTS.length * PHI4_DEFAULTS.width;
      if (!Number.isInteger(width) || width < 2 || dim % width !== 0 || dim / width < 2) {
        throw new TargetError(
          `target 'phi4': dim ${dim} must be a multiple of width ${width} with at least 2 rows`,
        );
      }
      return new Phi4Target({ length: dim / width, width, kappa: o.kappa, lambda: o.lambda });
    },
  },
  {
    name: 'u1',
    description:
      'U(1) gauge theory, Wilson action, periodic L x L lattice (width L, dim = 2 L^2, default 16); beta 3; exact log Z',
    defaultDim: 2 * U1_DEFAULTS.width * U1_DEFAULTS.width,
    logZKnown: true,
    dimRule: 'gaugeLattice',
    create: (o = {}) => {
      const width = o.width ?? (o.dim !== undefined ? Math.sqrt(o.dim / 2) : U1_DEFAULTS.width);
      if (o.dim !== undefined && o.dim !== 2 * width * width) {
        throw new TargetError(
          `target 'u1': dim ${o.dim} must be 2 L^2 for a lattice width L${o.width !== undefined ? ` (width ${o.width} gives ${2 * o.width * o.width})` : ''}`,
        );
      }
      return new U1Target({ width, beta: o.beta });
    },
  },
  {
    name: 'seeds',
    description:
      'Random-effects logistic regression on the seeds germination data (21 plates); log tau coordinate',
    defaultDim: 26,
    logZKnown: false,
    dimRule: 'fixed',
    create: () => new SeedsTarget(),
  },
  {
    name: 'brownian',
    description:
      'Brownian motion, 30 steps with the middle 10 unobserved, unknown noise scales (softplus coordinates)',
    defaultDim: 32,
    logZKnown: false,
    dimRule: 'fixed',
    create: () => new BrownianTarget(),
  },
  {
    name: 'lgcp',
    description: `Log-Gaussian Cox process on the Finnish pines, W x W cells (width W, dim = W^2, default ${LGCP_DEFAULT_WIDTH})`,
    defaultDim: LGCP_DEFAULT_WIDTH * LGCP_DEFAULT_WIDTH,
    logZKnown: false,
    dimRule: 'square',
    create: (o = {}) => {
      const width = o.width ?? (o.dim !== undefined ? Math.sqrt(o.dim) : LGCP_DEFAULT_WIDTH);
      if (o.dim !== undefined && o.dim !== width * width) {
        throw new TargetError(
          `target 'lgcp': dim ${o.dim} must be W^2 for a grid width W (width ${width} gives ${width * width})`,
        );
      }
      return new LgcpTarget({ width });
    },
  },
  ...(Object.keys(UCI_DATASETS) as UciDatasetName[]).map((name): Omit<TargetSpec, 'options'> => ({
    name,
    description: `Bayesian logistic regression, N(0, I) prior, UCI ${UCI_DATASETS[name].description}; ${UCI_DATASETS[name].numRows} rows, standardized + intercept`,
    defaultDim: UCI_DATASETS[name].numFeatures + 1,
    logZKnown: false,
    dimRule: 'fixed',
    create: (o = {}) => {
      if (o.dataPath !== undefined && typeof o.dataPath !== 'string') {
        throw new TargetError(`target '${name}': dataPath must be a string`);
      }
      return uciLogisticTarget(name, { dataPath: o.dataPath });
    },
  })),
];

const SPECS: readonly TargetSpec[] = BASE_SPECS.map((spec) => ({
  ...spec,
  options: targetOptionsOf(spec.name),
}));

/** All registered targets, in display order. */
export function listTargets(): readonly TargetSpec[] {
  return SPECS;
}

export function getTargetSpec(name: string): TargetSpec {
  const spec = SPECS.find((s) => s.name === name);
  if (!spec) {
    throw new TargetError(
      `unknown target ${describeValue(name)}; valid: ${SPECS.map((s) => s.name).join(', ')}`,
    );
  }
  return spec;
}

/**
 * Builds a registered target, validating the dimension and which options apply.
 *
 * @param name one of the built-in targets (`anneal targets` lists them)
 * @param options `dim` and the options the target takes; others are refused
 * @example
 * ```ts
 * const target = createTarget('many-well', { dim: 8 });
 * console.log(target.logZ); // exact where known
 * target.dispose?.();
 * ```
 */
export function createTarget(name: string, options: TargetOptions = {}): Target {
  const spec = getTargetSpec(name);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === 'dim') continue;
    if (!(spec.options as readonly string[]).includes(key)) {
      const takes = ['dim', ...spec.options].join(', ');
      throw new TargetError(
        `option '${key}' does not apply to target '${name}' (it takes: ${takes})`,
      );
    }
  }
  if (options.dim !== undefined && !dimAllowed(spec.dimRule, options.dim, spec.defaultDim)) {
    throw new TargetError(
      `target '${name}': dim must be ${describeDimRule(spec.dimRule, spec.defaultDim)}, got ${options.dim}`,
    );
  }
  return spec.create(options);
}
