// Everything anneal's layers export, internals included: the fused native steps, gradient fixes,
// data-file parsers and the worker-side pieces of the estimators. For experiments and tools built on
// anneal's internals; names here may change in any version. The stable API is the package root.
export * from './engine/index.js';
export * from './targets/index.js';
export * from './distributions/prior.js';
export * from './annealing/index.js';
export * from './eval/index.js';
export * from './train/index.js';
export * from './data/index.js';
export * from './flows/index.js';
export * from './models/index.js';
export * from './runs/index.js';
export * from './parallel/batches.js';
export * from './io/idx.js';
export * from './io/mat.js';
export * from './io/csv.js';
