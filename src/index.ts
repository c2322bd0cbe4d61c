// anneal: differentiable annealed Monte Carlo. The public API, layer by layer (docs/architecture.md).
// Each layer's values are listed by name: its internals (fused native steps, gradient fixes, parsers,
// worker-side pieces) stay out of the root and are reachable, without a stability promise, from
// 'anneal/internals'. Types are exported whole.
// the tensor engine: start-up, random streams, log-space helpers, memory
export {
  BACKENDS,
  currentBackend,
  disposeAll,
  EngineError,
  essCount,
  essCountHost,
  essFraction,
  essFractionHost,
  initEngine,
  keep,
  liveTensorCount,
  logMeanExp,
  logMeanExpHost,
  logSigmoid,
  logSumExp,
  logSumExpHost,
  logSumExpRows,
  nativeStatus,
  normalizeLogWeights,
  requireEngine,
  Rng,
  scope,
  stopGradient,
  tf,
  useNativeKernels,
} from './engine/index.js';
export type * from './engine/index.js';
// targets: built-in densities, the Target interface and its check
export {
  AffineTarget,
  affineTarget,
  checkParticles,
  checkTarget,
  createTarget,
  defaultGaussianTarget,
  dsmcsMixtureTarget,
  FunnelTarget,
  funnelTarget,
  GaussianMixtureTarget,
  gaussianMixtureTarget,
  GaussianTarget,
  gaussianTarget,
  GridMixtureTarget,
  gridMixtureTarget,
  laplaceApproximation,
  listTargets,
  loadTargetModule,
  LogisticRegressionTarget,
  logisticRegressionTarget,
  ManyWellTarget,
  manyWellTarget,
  MCD_MIXTURE_DEFAULTS,
  mcdGaussianMixtureTarget,
  mcdStudentTMixtureTarget,
  PHI4_DEFAULTS,
  Phi4Target,
  RingsTarget,
  StudentTMixtureTarget,
  studentTMixtureTarget,
  TargetError,
  TargetModuleError,
  UCI_DATASETS,
  uciLogisticTarget,
  whitenedTarget,
} from './targets/index.js';
export type * from './targets/index.js';
// annealed samplers: paths, kernels, schedules, AIS and SMC, learned samplers, resampling
export {
  ancestorIndices,
  AnnealingPath,
  checkSchedule,
  geometricSchedule,
  GST_DEFAULT_TEMPERATURE,
  hmcKernel,
  KernelError,
  LEARNED_DEFAULTS,
  LEARNED_SAMPLERS,
  LearnedSampler,
  linearSchedule,
  makeKernel,
  makeSchedule,
  NonFiniteWeightsError,
  ObjectiveError,
  resampleParticles,
  RESAMPLING_NAMES,
  RESAMPLING_SCHEMES,
  ResamplingError,
  runAis,
  runSmc,
  SAMPLER_DEFAULTS,
  SAMPLERS,
  ScheduleError,
  SCHEDULES,
  SMC_SAMPLERS,
  uhaKernel,
  ulaKernel,
  malaKernel,
  LearnFlagsSchema,
  StepSizeNetConfigSchema,
  annealStep,
  transition,
  fastPathReport,
  describePaths,
  fixedSchedule,
  learnedSchedule,
  adaptiveSchedule,
  runTunedSmc,
  fitStart,
  TARGET_ACCEPTANCE,
  TimeLimitError,
  NonFiniteTargetError,
} from './annealing/index.js';
export type * from './annealing/index.js';
// estimates: log Z with standard errors, evaluation of trained samplers, AIS likelihoods
export {
  aisLogLikelihood,
  bdmc,
  ESTIMATE_SAMPLERS,
  estimateLogZ,
  autoLogZ,
  startDistribution,
  AUTO_DEFAULTS,
  AutoLimitError,
  evaluateSampler,
  perStepSvg,
  temperaturesSvg,
  BayesFactorError,
  logBayesFactor,
  arvizDict,
  posteriorSummary,
  resampleEqual,
  resultWarnings,
  summarizeLogWeights,
  systemBound,
} from './eval/index.js';
export type * from './eval/index.js';
// distributions and networks
export { DiagGaussian } from './distributions/diagGaussian.js';
export type { Distribution } from './distributions/distribution.js';
export {
  Prior,
  priorOf,
  posteriorOf,
  normalPrior,
  studentTPrior,
  logHalfNormalPrior,
  logHalfCauchyPrior,
  type PriorBlock,
  type PriorPiece,
  type PriorPieceInput,
  PriorPieceSchema,
} from './distributions/prior.js';
export type { UniformTorus } from './distributions/uniformTorus.js';
export { ParamStore, type SavedParam } from './nets/params.js';
export {
  ResidualScoreNet,
  SCORE_NET_DEFAULTS,
  ScoreNetConfigSchema,
  type ScoreNetConfig,
} from './nets/scoreNet.js';
export type { Mlp, MlpSpec } from './nets/mlp.js';
export type { ImageGrid } from './io/png.js';
// training: the Trainer, run directories, trainAndEvaluate
export {
  ConfigError,
  learningRateAt,
  parseRunConfig,
  RunConfigSchema,
  RunDirError,
  trainAndEvaluate,
  Trainer,
  TRAINER_DEFAULTS,
  TrainingDivergedError,
  MAX_CONSECUTIVE_SKIPS,
  trainSampler,
} from './train/index.js';
export type * from './train/index.js';
// a learned sampler's training run from a config, with its run directory; runs of batches as data
// (requests), in this thread or shared out over worker threads
export {
  estimateRunner,
  loadTrainedSampler,
  openBatchRunner,
  samplerRunner,
  trainRun,
} from './runs/index.js';
export type * from './runs/index.js';
export { runBatches, type RunBatchesOptions } from './parallel/batches.js';
// image data sets
export {
  binarize,
  DataError,
  FASHION_MNIST_DEBIAN_DIR,
  IMAGE_DATASETS,
  loadImageDataset,
  loadImageFolder,
  loadOmniglot,
  mnistDirectory,
  sliceImages,
} from './data/index.js';
export type * from './data/index.js';
// normalizing flows
export {
  AdditiveCoupling,
  AffineCoupling,
  alternatingMask,
  Conditioner,
  CONDITIONER_DEFAULTS,
  evaluateFlow,
  Flow,
  FLOW_DEFAULTS,
  FLOW_KINDS,
  flowDistribution,
  FlowError,
  FlowDimensionError,
  flowFromRunDir,
  FlowModel,
  FlowRunConfigSchema,
  flowTarget,
  FORWARD_KL_ESTIMATORS,
  forwardKlGradient,
  forwardKlSurrogate,
  loadTrainedFlow,
  parseFlowRunConfig,
  REVERSE_KL_ESTIMATORS,
  reverseKlGradient,
  reverseKlSurrogate,
  trainFlowRun,
} from './flows/index.js';
export type * from './flows/index.js';
// latent-variable models and VAEs
export {
  buildVaeRun,
  evaluateVae,
  evaluateVaePerImage,
  LinearGaussianModel,
  loadTrainedVae,
  loadVaeData,
  parseVaeRunConfig,
  reconstructionGrid,
  sampleGrid,
  sampleImplicitPosterior,
  trainVaeRun,
  Vae,
  VAE_DEFAULTS,
  VAE_OBJECTIVES,
  VAE_SAMPLERS,
  VaeError,
  VaeModel,
  VaeRunConfigSchema,
  VaeConfigSchema,
  VaeSampler,
  vaeSamplerDefaults,
  writeVaePictures,
} from './models/index.js';
export type * from './models/index.js';
