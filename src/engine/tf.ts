// The single entry point to TF.js for the rest of the library (docs/architecture.md: only engine/ imports
// @tensorflow/*). Swapping the tensor engine means changing this layer only.
export * as tf from '@tensorflow/tfjs-core';
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Scalar,
  Variable,
  Rank,
  NamedTensorMap,
} from '@tensorflow/tfjs-core';
