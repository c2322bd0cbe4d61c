// anneal: differentiable annealed Monte Carlo. The public API, layer by layer (docs/architecture.md).
export * from './engine/index.js';
export { DiagGaussian } from './distributions/diagGaussian.js';
export * from './targets/index.js';
export * from './annealing/index.js';
export * from './eval/index.js';
export * from './train/index.js';
export { ParamStore, type SavedParam } from './nets/params.js';
export { ResidualScoreNet, SCORE_NET_DEFAULTS, type ScoreNetConfig } from './nets/scoreNet.js';
export * from './data/index.js';
export * from './flows/index.js';
export * from './models/index.js';
