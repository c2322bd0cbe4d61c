// anneal in a browser: the library without its file-system parts (run directories, checkpoints,
// the command line), plus the browser backend choice (WebGL, then wasm, then cpu).
export * from './engine/index.js';
export * from './engine/browser.js';
export { DiagGaussian } from './distributions/diagGaussian.js';
export type { Distribution } from './distributions/distribution.js';
export type { Mlp, MlpSpec } from './nets/mlp.js';
export type { UniformTorus } from './distributions/uniformTorus.js';
export * from './targets/index.js';
export * from './annealing/index.js';
export * from './eval/index.js';
export {
  Trainer,
  type TrainerConfig,
  type IterationMetrics,
  type TrainerState,
  type TrainableModel,
  type OptimizerSlot,
  TRAINER_DEFAULTS,
} from './train/trainer.js';
export {
  learningRateAt,
  type LrSchedule,
  type PlateauSchedule,
  type PlateauState,
} from './train/schedule.js';
export {
  trainAndEvaluate,
  type TrainAndEvaluateOptions,
  type TrainAndEvaluateResult,
} from './train/trainAndEvaluate.js';
export { ParamStore, type SavedParam } from './nets/params.js';
export { ResidualScoreNet, SCORE_NET_DEFAULTS, type ScoreNetConfig } from './nets/scoreNet.js';
export { FlowError, type Bijection } from './flows/bijection.js';
export { Conditioner, CONDITIONER_DEFAULTS, type ConditionerConfig } from './flows/conditioner.js';
export { AffineCoupling, AdditiveCoupling, alternatingMask } from './flows/coupling.js';
export {
  Flow,
  FLOW_KINDS,
  FLOW_DEFAULTS,
  type FlowBase,
  type FlowConfig,
  type FlowKind,
} from './flows/flow.js';
export { FlowModel, type FlowLoss } from './flows/model.js';
export { FabModel, evaluateFabAis, FAB_DEFAULTS, type FabConfig } from './flows/fab.js';
export { evaluateFlow, type FlowEvaluation } from './flows/metrics.js';
export { flowDistribution, flowTarget } from './flows/adapters.js';
