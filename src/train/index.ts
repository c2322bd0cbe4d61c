export {
  Trainer,
  TRAINER_DEFAULTS,
  TrainingDivergedError,
  MAX_CONSECUTIVE_SKIPS,
  type TrainerConfig,
  type IterationMetrics,
  type TrainerState,
  type TrainableModel,
  type OptimizerSlot,
} from './trainer.js';
export {
  learningRateAt,
  type LrSchedule,
  type PlateauSchedule,
  type PlateauState,
} from './schedule.js';
export type { TrainedRun, RunHooks, MetricRow } from './loop.js';
export {
  RunConfigSchema,
  parseRunConfig,
  ConfigError,
  type RunConfig,
  type RunConfigInput,
} from './config.js';
export { RunDirError, readCheckpoint, runFiles, type Checkpoint } from './runDir.js';
export {
  trainAndEvaluate,
  trainSampler,
  type TrainAndEvaluateOptions,
  type TrainAndEvaluateResult,
  type TrainSamplerOptions,
  type TrainedSampler,
} from './trainAndEvaluate.js';
