export { tf } from './tf.js';
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Scalar,
  Variable,
  Rank,
  NamedTensorMap,
} from './tf.js';
export {
  BACKENDS,
  type BackendName,
  type EngineOptions,
  EngineError,
  initEngine,
  requireEngine,
  currentBackend,
  resolveBackendName,
  isBackendName,
  useNativeKernels,
} from './backend.js';
export { webgpuAdapter, webgpuErrors, type WebgpuAdapterInfo } from './webgpu.js';
export { nativeStatus, measureFmaPeak } from './native.js';
export {
  fusedAvailable,
  fusedUnavailableReason,
  fusedEvaluate,
  fusedUlaStep,
  fusedHmcStep,
  fusedPathOp,
  stateShapes,
  fusedUhaStep,
  fusedWeightStats,
  STEP_READINGS,
  STEP_READING_NAMES,
  fusedAisChain,
  type FusedChainKernel,
  type FusedChainResult,
  type FusedPath,
  type FusedState,
  type NativeTargetSpec,
} from './fused.js';
export { fusedUhaMove, type FusedMoveInputs } from './fusedMove.js';
export { fusedTargetEval } from './fusedTarget.js';
export { fusedAdamUpdate, type AdamStepSettings } from './fusedAdam.js';
export { fusedUlaPropose, fusedUlaWeight, type UlaEnds } from './fusedUla.js';
export {
  fusedHmcAccept,
  fusedHmcKickDrift,
  type PathWeights,
  type StateFields,
  type StepLength,
} from './fusedHmc.js';
export { fusedMalaAccept, fusedMalaPropose } from './fusedMala.js';
export {
  fusedUhaStart,
  fusedUhaKick,
  fusedUhaFinish,
  type UhaParams,
  type UhaEnd,
} from './fusedUha.js';
export { fusedMlpBernoulliPosterior, type DenseParams } from './fusedMlp.js';
export { fusedRowGaussian } from './fusedRowGaussian.js';
export { gatherRowsOfEach } from './fusedGather.js';
export { fusedAisUpdate } from './fusedAisUpdate.js';
export {
  fusedAncestors,
  fusedAncestorsAvailable,
  type NativeAncestorScheme,
} from './fusedAncestors.js';
export { nativeOpsAvailable } from './nativeOp.js';
export {
  compileDensity,
  runDensityProgram,
  densityProgramUnavailable,
  setDensityPrograms,
  DENSITY_TOLERANCE,
  type DensityProgram,
  type DensityCompilation,
} from './densityProgram.js';
export { NATIVE_OP } from './nativeIds.js';
export {
  applyGradientFixes,
  setMatMulGradientFix,
  matMulGradientFixEnabled,
} from './gradientFixes.js';
export {
  stopGradient,
  scaleGradient,
  withoutGradient,
  logSigmoid,
  sumSquares,
  gatherRows,
  repeatRows,
  matMulTransposeB,
  addMany,
} from './ops.js';
export { dense, type DenseActivation } from './dense.js';
export {
  logSumExp,
  logSumExpRows,
  logMeanExp,
  essCount,
  essFraction,
  normalizeLogWeights,
  logSumExpHost,
  logMeanExpHost,
  essCountHost,
  essFractionHost,
  scalarValue,
} from './logspace.js';
export { Rng, type RngState, type Streams, type TupleOf } from './rng.js';
export { scope, keep, liveTensorCount, disposeAll, readAndDispose } from './memory.js';
