export { FlowError, type Bijection } from './bijection.js';
export { Conditioner, CONDITIONER_DEFAULTS, type ConditionerConfig } from './conditioner.js';
export { AffineCoupling, AdditiveCoupling, alternatingMask } from './coupling.js';
export {
  Flow,
  FLOW_KINDS,
  FLOW_DEFAULTS,
  type FlowBase,
  type FlowConfig,
  type FlowKind,
} from './flow.js';
export {
  REVERSE_KL_ESTIMATORS,
  reverseKlSurrogate,
  reverseKlGradient,
  FORWARD_KL_ESTIMATORS,
  forwardKlSurrogate,
  forwardKlGradient,
  type ForwardKlEstimator,
  type ReverseKlEstimator,
  type ReverseKlStep,
  type ForwardPathPrepass,
} from './estimators.js';
export { evaluateFlow, type EvaluateFlowOptions, type FlowEvaluation } from './metrics.js';
export { FlowModel, type FlowLoss } from './model.js';
export { FlowRunConfigSchema, parseFlowRunConfig, type FlowRunConfig } from './config.js';
export {
  buildFlowRun,
  trainFlowRun,
  loadTrainedFlow,
  flowFromRunDir,
  FlowDimensionError,
  type FlowRunOutcome,
  type FlowRunEvaluation,
} from './run.js';
export { flowDistribution, flowTarget } from './adapters.js';
export { CraftSampler, CRAFT_DEFAULTS, type CraftConfig, type CraftRunOptions } from './craft.js';
export {
  FabModel,
  FAB_DEFAULTS,
  FAB_MOVES,
  evaluateFabAis,
  fabBufferLoss,
  fabPassLoss,
  type FabConfig,
  type FabBufferConfig,
  type FabMove,
  type FabPassReport,
  type FabEvaluation,
  type FabState,
} from './fab.js';
export { ReplayBuffer, type ReplayBufferState } from './replayBuffer.js';
