// Rows of several tensors picked by one index, as one native kernel with a native scatter-add
// gradient (native/src/fused_gather.cc): SMC resampling moves every field of the particles' state by the
// same ancestors, which on TF.js is a gather per field forward and a scatter per field backward.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { gatherRows } from './ops.js';
import { nativeOpsAvailable, runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const specs = new Map<number, NativeOpSpec>();

function specFor(k: number): NativeOpSpec {
  let spec = specs.get(k);
  if (!spec) {
    const fields = Array.from({ length: k }, (_, i) => `x${i}`);
    spec = {
      name: `AnnealGatherRows${k}`,
      forward: NATIVE_OP.GatherRows,
      backward: NATIVE_OP.GatherRowsGrad,
      inputs: ['index', ...fields],
      noGradient: ['index'],
      outShapes: (s) => {
        const rows = (s.index as number[])[0] as number;
        return fields.map((f) => [rows, ...(s[f] as number[]).slice(1)]);
      },
    };
    specs.set(k, spec);
  }
  return spec;
}

/**
 * Rows `indices` ([M], values in [0, N); int32, or float32 holding whole numbers) of each tensor
 * of shape [N, ...], as tensors of shape [M, ...].
 */
export function gatherRowsOfEach(xs: readonly Tensor[], indices: Tensor): Tensor[] {
  const floats = xs.every((x) => x.dtype === 'float32' && x.rank >= 1);
  if (!floats || xs.length === 0 || !nativeOpsAvailable())
    return tf.tidy(() => {
      const ints = indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32');
      return xs.map((x) => gatherRows(x, ints));
    });
  return tf.tidy(() => {
    const n = (xs[0] as Tensor).shape[0] as number;
    for (const x of xs) {
      if (x.shape[0] !== n)
        throw new RangeError(`gatherRowsOfEach: [${x.shape}] has not ${n} rows`);
    }
    const flat = tf.reshape(indices, [-1]);
    const inputs: Record<string, Tensor> = {
      index: flat.dtype === 'float32' ? flat : tf.cast(flat, 'float32'),
    };
    xs.forEach((x, i) => (inputs[`x${i}`] = x));
    const widths = xs.map((x) => x.size / n);
    const out = runNativeOp(specFor(xs.length), inputs, [
      (indices as Tensor).size,
      n,
      xs.length,
      ...widths,
    ]);
    return Array.isArray(out) ? out : [out];
  });
}
