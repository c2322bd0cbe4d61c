export {
  linearSchedule,
  geometricSchedule,
  checkSchedule,
  makeSchedule,
  SCHEDULES,
  ScheduleError,
  type ScheduleName,
} from './schedule.js';
export { AnnealingPath, targetLogProbAndScore, disposeState, type ParticleState } from './path.js';
export {
  KernelError,
  type TransitionKernel,
  type KernelStepResult,
  type StepContext,
  type PerStep,
  type StepValue,
} from './kernels/kernel.js';
export { malaKernel, type MalaOptions } from './kernels/mala.js';
export { rwmKernel, type RwmOptions } from './kernels/rwm.js';
export { AlphaPath, AlphaPathError } from './alphaPath.js';
export type { KernelFastPaths, StepFastPath, ChainKernelSpec } from './kernels/fastPath.js';
export {
  transition,
  resolveMove,
  type Move,
  fastPathReport,
  describePaths,
  type PathChoice,
  type ChainConditions,
} from './dispatch.js';
export {
  annealStep,
  disposeChainState,
  type ChainState,
  type AnnealStepContext,
  type StepInfo,
} from './step.js';
export { fixedSchedule, learnedSchedule, type SchedulePolicy } from './schedulePolicy.js';
export {
  adaptiveSchedule,
  nextIncrement,
  temperingCriterion,
  ADAPTIVE_DEFAULTS,
  type AdaptiveScheduleOptions,
  type TemperingCriterion,
} from './adaptiveSchedule.js';
export {
  runTunedSmc,
  TimeLimitError,
  NonFiniteTargetError,
  TARGET_ACCEPTANCE,
  TUNED_DEFAULTS,
  type TunedSmcOptions,
  type TunedSmcResult,
  type TunedPlan,
  type TunedMove,
  type TemperatureRecord,
} from './tunedSmc.js';
export {
  fitStart,
  FIT_START_DEFAULTS,
  type FitStartOptions,
  type FittedStart,
} from './fitStart.js';
export { ulaKernel, type UlaOptions, type BackwardCorrection } from './kernels/ula.js';
export { hmcKernel, type HmcOptions } from './kernels/hmc.js';
export { transportKernel, type Transport, type TransportOptions } from './kernels/transport.js';
export {
  runAis,
  NonFiniteWeightsError,
  divergences,
  type AisOptions,
  type AisRunOptions,
  type AnnealedResult,
  type StepDiagnostics,
} from './ais.js';
export { meanAcceptance, PER_STEP_MEANING } from './diagnostics.js';
export {
  SAMPLER_TABLE,
  ALL_SAMPLERS,
  ESTIMATE_SAMPLERS,
  baseSampler,
  estimateKernel,
  samplerTakes,
  samplersTaking,
  type SamplerSpec,
  type SamplerFamily,
  type SamplerOption,
  type AnySamplerName,
  type SamplerNamesWhere,
  type EstimateSamplerName,
  SAMPLERS,
  SAMPLER_DEFAULTS,
  defaultStepSizeOf,
  makeKernel,
  isSamplerName,
  SMC_SAMPLERS,
  isSmcSamplerName,
  type SmcSamplerName,
  type SamplerName,
  type SamplerSettings,
} from './samplers.js';
export { uhaKernel, type UhaOptions, type UhaKernelParams } from './kernels/uha.js';
export {
  LearnedSampler,
  LEARNED_SAMPLERS,
  LEARNED_DEFAULTS,
  isLearnedSamplerName,
  type LearnedSamplerConfig,
  type LearnedSamplerConfigInput,
  type LearnedSummary,
  type LearnedSamplerName,
  type LearnFlags,
  type LearnedSamplerOptions,
  type RunOptions,
  type StepSizeNetConfig,
} from './learned.js';
export {
  LearnedSamplerConfigSchema,
  LearnFlagsSchema,
  StepSizeNetConfigSchema,
  parseLearnedSamplerConfig,
} from './learnedConfig.js';
export {
  objectiveBound,
  validateObjective,
  ObjectiveError,
  type TrainingObjective,
} from './objectives.js';
export {
  RESAMPLING_SCHEMES,
  RESAMPLING_NAMES,
  GST_DEFAULT_TEMPERATURE,
  ancestorIndices,
  flatIndices,
  gstOneHot,
  gstSelection,
  bernoulliDecision,
  validateResampling,
  isResamplingName,
  resamples,
  ResamplingError,
  type ResamplingName,
  type ResamplingScheme,
  type ResamplingOptions,
} from './resampling.js';
export { resampleParticles, type ResampleResult } from './resampleParticles.js';
export { runSmc } from './ais.js';
