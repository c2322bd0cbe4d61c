// 'anneal/vae': the deep generative models on their own: VAEs and their training objectives, AIS
// log-likelihoods and BDMC, the image data sets.
export * from './models/index.js';
export * from './data/index.js';
export {
  aisLogLikelihood,
  bdmc,
  type AisLikelihood,
  type AisLikelihoodOptions,
  type BdmcResult,
} from './eval/aisLikelihood.js';
