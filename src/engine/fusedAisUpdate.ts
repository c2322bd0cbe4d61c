// An AIS step's log-weight update, logW + dbeta (logT - logI) + corr, as one native kernel with a
// native gradient (native/src/fused_ais_update.cc): five small kernels and their gradients per step of a
// training chain become two.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const AIS_UPDATE: NativeOpSpec = {
  name: 'AnnealAisUpdate',
  forward: NATIVE_OP.AisUpdate,
  backward: NATIVE_OP.AisUpdateGrad,
  inputs: ['logW', 'dbeta', 'logT', 'logI', 'corr'],
  outShapes: (s) => [s.logW as number[]],
};

/** logW + dbeta (logT - logI) + corr, all [N] except the scalar dbeta. */
export function fusedAisUpdate(
  logW: Tensor1D,
  dbeta: number | Tensor,
  logT: Tensor1D,
  logI: Tensor1D,
  corr: Tensor1D,
): Tensor1D {
  return tf.tidy(
    () =>
      runNativeOp(
        AIS_UPDATE,
        {
          logW,
          dbeta: typeof dbeta === 'number' ? tf.scalar(dbeta) : tf.reshape(dbeta, []),
          logT,
          logI,
          corr,
        },
        [logW.shape[0]],
      ) as Tensor1D,
  );
}
