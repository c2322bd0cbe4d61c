// Runs that combine the layers below: a learned sampler's training run, which may start from a
// trained flow (src/flows/), with its checkpoints, resume and evaluation.
export { trainRun, buildRun, loadTrainedSampler, type RunOutcome } from './samplerRun.js';
