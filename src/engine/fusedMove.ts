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
    'refresh',
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
  /** Scalars [] (beta, leapfrog step size) and the diagonal mass [d]. */
  beta: Tensor;
  eps: Tensor;
  /**
   * The momentum refresh's [decay, variance factor] ([2]): v' ~ N(decay v, variance M); eta and
   * 1 - eta^2 for the exact refresh, 1 - h and 2h for LDVI's Euler step.
   */
  refresh: Tensor;
  mass: Tensor;
  v: Tensor;
  /** Standard normal refresh noise [N, d]. */
  xi: Tensor;
  /**
   * With a learned network: the refreshed momentum and the network's term r(z, v') [N, d] in the
   * backward mean (MCD's correction, CMCD's control), both computed outside; absent for plain
   * UHA, where the move refreshes the momentum itself.
   */
  refreshed?: { vr: Tensor; r: Tensor };
  leapfrogSteps: number;
}

/**
 * One differentiable UHA transition (refresh, leapfrog steps, log-weight correction) as a single
 * kernel with an exact native gradient: [z', v', logT', sT', logI', sI', logCorrection]. Runs
 * under a gradient tape; gradients reach the state, the path's initial mean and log-scale, beta,
 * the step size, the refresh factors, the mass and, with a network, v' and r.
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
        refresh: inputs.refresh,
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
