// A closed-form target's log density and score as one native kernel with a native gradient
// (native/src/fused_target.cc): the vector-Jacobian product takes the target's Hessian-vector
// product, so chains trained on TF.js ops around their target evaluations (ULA, CMCD, ULA-MCD on
// the funnel, Many-Well and the Gaussian mixtures) differentiate through a score in one pass.
import type { Tensor } from '@tensorflow/tfjs-core';
import type { NativeTargetSpec } from './fused.js';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const EVAL: NativeOpSpec = {
  name: 'AnnealTargetEval',
  forward: NATIVE_OP.TargetEval,
  backward: NATIVE_OP.TargetEvalGrad,
  inputs: ['z'],
  outShapes: (s) => {
    const [n, d] = s.z as [number, number];
    return [[n], [n, d]];
  },
};

/**
 * log pi(z) [N] and grad log pi(z) [N, d] of a target the native code knows, differentiable once
 * (use where nativeOpsAvailable()).
 */
export function fusedTargetEval(target: NativeTargetSpec, z: Tensor): [Tensor, Tensor] {
  const [n, d] = z.shape as [number, number];
  return runNativeOp(EVAL, { z }, [target.id, n, d], [target.params]) as [Tensor, Tensor];
}
