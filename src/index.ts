// anneal: differentiable annealed Monte Carlo. The public API, layer by layer (docs/architecture.md).
export * from './engine/index.js';
export { DiagGaussian } from './distributions/diagGaussian.js';
export type { Distribution } from './distributions/distribution.js';
export type { Mlp, MlpSpec } from './nets/mlp.js';
export type { UniformTorus } from './distributions/uniformTorus.js';
export type { ImageGrid } from './io/png.js';
export * from './targets/index.js';
export * from './annealing/index.js';
export * from './eval/index.js';
export * from './train/index.js';
export { ParamStore, type SavedParam } from './nets/params.js';
export { ResidualScoreNet, SCORE_NET_DEFAULTS, type ScoreNetConfig } from './nets/scoreNet.js';
export * from './data/index.js';
export * from './flows/index.js';
export * from './models/index.js';
