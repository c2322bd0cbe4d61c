// The chained ops (t.reshape(...), t.sum(), ...) are registered at run time, but their types are a
// module augmentation that a consumer's compiler sees only if some declaration file imports it: a
// type-only re-export survives into the emitted declarations (an unused import would not), so code
// written against anneal's `tf` compiles in the user's project too. Not re-exported further.
export type * as ChainedOps from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
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
