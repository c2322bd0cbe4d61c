// Runs that combine the layers below: a learned sampler's training run, which may start from a
// trained flow (src/flows/), with its checkpoints, resume and evaluation; and runs of batches
// described as data (requests), which worker threads build and run (runBatches, src/parallel/).
export { trainRun, buildRun, loadTrainedSampler, type RunOutcome } from './samplerRun.js';
export {
  buildInitial,
  buildTarget,
  estimateOptions,
  type BatchRequest,
  type EstimateRequest,
  type EvaluateRequest,
  type InitialRequest,
  type SamplerRequest,
  type TargetRequest,
} from './request.js';
export {
  estimateRunner,
  openBatchRunner,
  runBatchJob,
  samplerFrom,
  samplerRunner,
  type BatchHooks,
  type BatchJob,
  type BatchProgress,
  type BatchRunner,
  type BatchSummary,
  type OnReading,
  type OnStep,
} from './batches.js';
