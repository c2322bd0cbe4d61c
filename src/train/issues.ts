// Validation problems in plain words: the wording lives in src/io/issues.ts, below the annealing
// layer, so that the learned sampler's config (src/annealing/learnedConfig.ts) words its errors the
// same way as the run configs. Re-exported here for the modules that import it from train.
export { describeValue, plainIssue } from '../io/issues.js';
