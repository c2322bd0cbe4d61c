export {
  RELIABLE_BATCHES,
  RELIABLE_ESS,
  RELIABLE_ESS_PER_BATCH,
  stdErrReliable,
  stdErrUnreliableReason,
  summarizeLogWeights,
  systemBound,
  type LogWeightSummary,
  type SmcBound,
  type SummarizeOptions,
} from './logWeights.js';
export { perStepSvg, temperaturesSvg } from './plots.js';
export {
  BayesFactorError,
  logBayesFactor,
  type BayesFactor,
  type EvidenceReading,
} from './bayesFactor.js';
export {
  arvizDict,
  normalizedWeights,
  posteriorSummary,
  resampleEqual,
  type CoordinateSummary,
  type PosteriorOptions,
  type PosteriorSummary,
} from './posterior.js';
export {
  autoWarnings,
  DOMINANT_SHARE,
  HIGH_DIVERGENCE,
  LOW_ACCEPTANCE,
  LOW_ESS_SHARE,
  resultWarnings,
  type WarningReadings,
} from './warnings.js';
export {
  combineBatchRuns,
  ESTIMATE_SAMPLERS,
  estimateLogZ,
  resolveEstimateSampler,
  runLogZBatches,
  summarizeRun,
  type BatchRun,
  type EstimateLogZOptions,
  type EstimateSamplerName,
  type LogZEstimate,
  type WeightedParticles,
} from './estimateLogZ.js';
export {
  autoLogZ,
  AUTO_DEFAULTS,
  AutoLimitError,
  checkAutoOptions,
  startDistribution,
  stdErrOf,
  systemStream,
  type AutoLogZOptions,
  type AutoLogZEstimate,
  type AutoProgress,
  type AutoReport,
  type AutoStop,
} from './autoLogZ.js';
export {
  evaluateSampler,
  evaluateSamplerBatches,
  summarizeEvaluation,
  type EvaluateOptions,
  type SamplerEvaluation,
} from './evaluateSampler.js';
export {
  aisLogLikelihood,
  bdmc,
  type AisLikelihood,
  type AisLikelihoodOptions,
  type BdmcResult,
} from './aisLikelihood.js';
