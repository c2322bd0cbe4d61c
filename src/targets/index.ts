export { type Target, TargetError, checkParticles, checkTarget } from './target.js';
export { loadTargetModule, resolveTargetModule, TargetModuleError } from './module.js';
export { targetLogProbAndScore, describeScore } from './score.js';
export { GaussianTarget, gaussianTarget, type GaussianTargetOptions } from './gaussian.js';
export { FunnelTarget, funnelTarget, type FunnelOptions } from './funnel.js';
export { GridMixtureTarget, gridMixtureTarget, type GridMixtureOptions } from './gridMixture.js';
export {
  GaussianMixtureTarget,
  gaussianMixtureTarget,
  dsmcsMixtureTarget,
  type GaussianMixtureOptions,
  type DsmcsMixtureOptions,
} from './gaussianMixture.js';
export {
  ManyWellTarget,
  manyWellTarget,
  doubleWellLogZ1,
  type ManyWellOptions,
} from './manyWell.js';
export {
  StudentTMixtureTarget,
  studentTMixtureTarget,
  studentTLogNormalizer,
  type StudentTMixtureOptions,
} from './studentTMixture.js';
export {
  mcdGaussianMixtureTarget,
  mcdStudentTMixtureTarget,
  boxLocations,
  MCD_MIXTURE_DEFAULTS,
  type McdMixtureOptions,
  type McdStudentTMixtureOptions,
} from './mcdMixtures.js';
export {
  LogisticRegressionTarget,
  logisticRegressionTarget,
  standardizeWithIntercept,
  splitLabelColumn,
  uciLogisticTarget,
  uciDataUrl,
  isUciDatasetName,
  UCI_DATASETS,
  type LogisticRegressionOptions,
  type LaplaceApproximation,
  type UciDatasetName,
  type UciDatasetInfo,
  type UciLogisticOptions,
} from './logisticRegression.js';
export { SeedsTarget, seedsTarget, SEEDS_DATA } from './seedsRegression.js';
export { BrownianTarget, brownianTarget, BROWNIAN_OBSERVATIONS } from './brownian.js';
export {
  LgcpTarget,
  lgcpTarget,
  finpinesCounts,
  LGCP_DEFAULT_WIDTH,
  type LgcpOptions,
} from './lgcp.js';
export { FINPINES_XY, FINPINES_WINDOW } from './finpines.js';
export { AffineTarget, affineTarget, type AffineTargetOptions } from './affine.js';
export { laplaceApproximation, whitenedTarget, type LaplaceOptions } from './laplace.js';
export { logGamma, gammaArray, chiSquareArray } from './special.js';
export {
  createTarget,
  listTargets,
  getTargetSpec,
  defaultGaussianTarget,
  dimAllowed,
  describeDimRule,
  type TargetSpec,
  type TargetOptions,
  type TargetOptionName,
  type DimRule,
} from './registry.js';
export {
  TARGET_OPTIONS,
  builtinOnlyOptions,
  targetFlagShape,
  targetOptionFlag,
  targetOptionFlagText,
  targetOptionHelp,
  targetOptionShape,
  targetOptionsFromFlags,
  targetOptionsOf,
  type TargetFlagValues,
  type TargetOptionEntry,
  type TargetOptionFlagOf,
  type TargetOptionKind,
  type TargetOptionRow,
  type TargetOptionSchemas,
  type TargetOptionValue,
} from './options.js';
export { RingsTarget, normalCdf, type RingsOptions } from './rings.js';
export { Phi4Target, PHI4_DEFAULTS, forwardShiftMatrix, type Phi4Options } from './phi4.js';
