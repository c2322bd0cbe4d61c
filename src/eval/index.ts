export {
  summarizeLogWeights,
  systemBound,
  type LogWeightSummary,
  type SmcBound,
} from './logWeights.js';
export { estimateLogZ, type EstimateLogZOptions, type LogZEstimate } from './estimateLogZ.js';
export { evaluateSampler, type SamplerEvaluation } from './evaluateSampler.js';
export {
  aisLogLikelihood,
  bdmc,
  type AisLikelihood,
  type AisLikelihoodOptions,
  type BdmcResult,
} from './aisLikelihood.js';
