export {
  Vae,
  VaeError,
  VAE_DEFAULTS,
  VAE_OBJECTIVES,
  VaeConfigSchema,
  type VaeConfig,
  type VaeObjective,
} from './vae.js';
export type { LatentVariableModel } from '../eval/latentModel.js';
export { LinearGaussianModel } from './linearGaussian.js';
export { VaeModel, type VaeTrainingObjective } from './vaeModel.js';
export { VaeRunConfigSchema, parseVaeRunConfig, type VaeRunConfig } from './vaeConfig.js';
export {
  VAE_SAMPLERS,
  VAE_SAMPLER_PREFIX,
  VaeSampler,
  vaeSamplerDefaults,
  type VaeSamplerSpec,
} from './vaeSampler.js';
export { reconstructionGrid, sampleGrid } from './vaeImages.js';
export {
  buildVaeRun,
  evaluateVae,
  evaluateVaePerImage,
  loadTrainedVae,
  loadVaeData,
  trainVaeRun,
  writeVaePictures,
  type VaeData,
  type VaeEvaluation,
  type VaePerImage,
  type VaeRunOutcome,
} from './vaeRun.js';
export {
  STEP_ADAPTATION,
  adaptStepSizes,
  aisPosteriorDraws,
  aisTrainingObjective,
  sampleImplicitPosterior,
  type AisDraws,
} from './aisTraining.js';
