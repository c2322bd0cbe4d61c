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
} from './kernels/kernel.js';
export { ulaKernel, type UlaOptions, type BackwardCorrection } from './kernels/ula.js';
export { hmcKernel, type HmcOptions } from './kernels/hmc.js';
export {
  runAis,
  NonFiniteWeightsError,
  type AisOptions,
  type AnnealedResult,
  type StepDiagnostics,
} from './ais.js';
export {
  SAMPLERS,
  SAMPLER_DEFAULTS,
  makeKernel,
  isSamplerName,
  type SamplerName,
  type SamplerSettings,
} from './samplers.js';
export { uhaKernel, type UhaOptions } from './kernels/uha.js';
export {
  LearnedSampler,
  LEARNED_SAMPLERS,
  LEARNED_DEFAULTS,
  isLearnedSamplerName,
  type LearnedSamplerConfig,
  type LearnedSamplerName,
  type LearnFlags,
} from './learned.js';
