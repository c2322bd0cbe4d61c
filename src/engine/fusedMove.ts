// The differentiable UHA move on the native addon (native/src/fused_move.cc): one transition of
// uncorrected Hamiltonian annealing as a single TF.js kernel whose registered gradient is the
// native vector-Jacobian product, so training differentiates through chains with one kernel per
// step each way.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { prefix, type FusedPath, type FusedState } from './fused.js';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const MOVE: NativeOpSpec = {
  name: 'AnnealUhaMove',
  forward: NATIVE_OP.UhaMove,
  backward: NATIVE_OP.UhaMoveGrad,
  inputs: [
    'mean',
    'logScale',
    'mass',
    'beta',
    'eps',
    'eta',
    'z',
    'v',
    'vr',
    'xi',
    'r',
    'logT',
    'sT',
    'logI',
    'sI',
  ],
  noGradient: ['xi'],
  // z', v', logT', sT', logI', sI', logCorrection
  outShapes: (s) => {
    const [n, d] = s.z as [number, number];
    return [[n, d], [n, d], [n], [n, d], [n], [n, d], [n]];
  },
};

export interface FusedMoveInputs {
  /** Scalars [] (beta, leapfrog step size, damping) and the diagonal mass [d]. */
  beta: Tensor;
  eps: Tensor;
  eta: Tensor;
  mass: Tensor;
  v: Tensor;
  /** Standard normal refresh noise [N, d]. */
  xi: Tensor;
  /**
   * UHA-MCD: the refreshed momentum and the learned correction r(z, v') [N, d], both computed
   * outside; absent for plain UHA, where the move refreshes the momentum itself.
   */
  refreshed?: { vr: Tensor; r: Tensor };
  leapfrogSteps: number;
}

/**
 * One differentiable UHA transition (refresh, leapfrog steps, log-weight correction) as a single
 * kernel with an exact native gradient: [z', v', logT', sT', logI', sI', logCorrection]. Runs
 * under a gradient tape; gradients reach the state, the path's initial mean and log-scale, beta,
 * the step size, eta, the mass and, for MCD, the correction r.
 */
export function fusedUhaMove(
  path: FusedPath,
  state: FusedState,
  inputs: FusedMoveInputs,
): Tensor[] {
  const { ints } = prefix(path, state[0]);
  return tf.tidy(() => {
    const [z, logT, sT, logI, sI] = state;
    const empty = tf.zeros([0]);
    return runNativeOp(
      MOVE,
      {
        mean: path.mean,
        logScale: path.logScale,
        mass: inputs.mass,
        beta: inputs.beta,
        eps: inputs.eps,
        eta: inputs.eta,
        z,
        v: inputs.v,
        vr: inputs.refreshed?.vr ?? empty,
        xi: inputs.xi,
        r: inputs.refreshed?.r ?? empty,
        logT,
        sT,
        logI,
        sI,
      },
      [...ints, inputs.leapfrogSteps, inputs.refreshed ? 0 : 1, inputs.refreshed ? 1 : 0],
      [path.target.params],
    ) as Tensor[];
  });
}
