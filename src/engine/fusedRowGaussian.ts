// A diagonal Gaussian with a mean and log scale per row (a VAE encoder's q(z | x_i), one chain per
// row) as one native kernel: log density and score together, with their vector-Jacobian product
// (z, means, log scales) as the native gradient (native/src/fused_row_gaussian.cc). In TF.js ops the same
// evaluation is about sixteen kernels, and its gradient several times that.
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const ROW_GAUSSIAN: NativeOpSpec = {
  name: 'AnnealRowGaussian',
  forward: NATIVE_OP.RowGaussian,
  backward: NATIVE_OP.RowGaussianGrad,
  inputs: ['z', 'mean', 'logScale'],
  outShapes: (s) => {
    const [n, d] = s.z as [number, number];
    return [[n], [n, d]];
  },
};

/** log N(z; mean, diag(exp(logScale))^2) [N] and its z-gradient [N, d], all inputs [N, d]. */
export function fusedRowGaussian(
  z: Tensor2D,
  mean: Tensor2D,
  logScale: Tensor2D,
): { logProb: Tensor1D; score: Tensor2D } {
  const [n, d] = z.shape;
  for (const [name, t] of [
    ['mean', mean],
    ['logScale', logScale],
  ] as const) {
    if (t.shape[0] !== n || t.shape[1] !== d)
      throw new RangeError(`row Gaussian: ${name} [${t.shape}] for z [${z.shape}]`);
  }
  const [logProb, score] = runNativeOp(ROW_GAUSSIAN, { z, mean, logScale }, [n, d]) as [
    Tensor1D,
    Tensor2D,
  ];
  return { logProb, score };
}
