// anneal: differentiable annealed Monte Carlo. The public API, layer by layer (DESIGN.md).
export * from './engine/index.js';
export { DiagGaussian } from './distributions/diagGaussian.js';
export * from './targets/index.js';
export * from './annealing/index.js';
export * from './eval/index.js';
