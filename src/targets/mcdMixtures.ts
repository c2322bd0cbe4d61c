// The mixture targets of the MCD paper's experiments (Doucet et al. 2022: Gaussian and Student-t
// mixtures at d = 20, 200, 500), normalized (log Z = 0), in any dimension.
//
// The paper does not pin down the component locations in a form we can reproduce, so we follow
// the convention of the public benchmark code of this line of work (the ULA/MCD/CMCD/LDVI
// benchmarks' mixture targets): 8 equal-weight components whose locations are drawn uniformly in
// the box [-loc, loc]^d, loc = 10, from a fixed seed. Differences from that code, on purpose:
// components are isotropic with variance (Gaussian) or squared scale (Student-t) sigma2 = 1
// rather than Wishart-drawn full covariances, and the Student-t components are multivariate t
// distributions (one shared chi-square per draw) rather than products of univariate t's. The
// locations come from Rng.fromSeed(meansSeed), so the two targets with the same seed and
// dimension share their component locations; they are not the original code's numbers.
import { Rng } from '../engine/index.js';
import { TargetError } from './target.js';
import { checkDim, checkPositive } from './common.js';
import { GaussianMixtureTarget } from './gaussianMixture.js';
import { StudentTMixtureTarget } from './studentTMixture.js';

export interface McdMixtureOptions {
  /** Dimension (default 20). */
  dim?: number;
  /** Number of equal-weight components (default 8). */
  components?: number;
  /** Seed of the stream that draws the locations (default 0). */
  meansSeed?: number;
  /** Locations are uniform in [-loc, loc]^dim (default 10). */
  loc?: number;
  /** Component variance (Gaussian) or squared scale (Student-t) (default 1). */
  sigma2?: number;
}

export interface McdStudentTMixtureOptions extends McdMixtureOptions {
  /** Degrees of freedom (default 2: heavy tails, infinite variance). */
  df?: number;
}

export const MCD_MIXTURE_DEFAULTS = {
  dim: 20,
  components: 8,
  meansSeed: 0,
  loc: 10,
  sigma2: 1,
  df: 2,
} as const;

/** K rows of locations uniform in [-loc, loc]^d from Rng.fromSeed(seed). */
export function boxLocations(name: string, d: number, K: number, seed: number, loc: number) {
  checkDim(name, d);
  if (!Number.isInteger(K) || K < 1) {
    throw new TargetError(`target '${name}': components must be an integer >= 1, got ${K}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new TargetError(`target '${name}': meansSeed must be an integer, got ${seed}`);
  }
  checkPositive(name, 'loc', loc);
  const u = Rng.fromSeed(seed).uniformArray(K * d);
  return Array.from({ length: K }, (_, k) =>
    u.subarray(k * d, (k + 1) * d).map((x) => loc * (2 * x - 1)),
  );
}

/** 'gmm8': an equal-weight mixture of 8 isotropic Gaussians with box-uniform means. */
export function mcdGaussianMixtureTarget(options: McdMixtureOptions = {}): GaussianMixtureTarget {
  const name = 'gmm8';
  const o = { ...MCD_MIXTURE_DEFAULTS, ...withoutUndefined(options) };
  checkPositive(name, 'sigma2', o.sigma2);
  const means = boxLocations(name, o.dim, o.components, o.meansSeed, o.loc);
  return new GaussianMixtureTarget({ means, variance: o.sigma2, name });
}

/** 'student-t8': an equal-weight mixture of 8 isotropic multivariate t's with box-uniform locations. */
export function mcdStudentTMixtureTarget(
  options: McdStudentTMixtureOptions = {},
): StudentTMixtureTarget {
  const name = 'student-t8';
  const o = { ...MCD_MIXTURE_DEFAULTS, ...withoutUndefined(options) };
  checkPositive(name, 'df', o.df);
  checkPositive(name, 'sigma2', o.sigma2);
  const means = boxLocations(name, o.dim, o.components, o.meansSeed, o.loc);
  return new StudentTMixtureTarget({ means, df: o.df, scale2: o.sigma2, name });
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
