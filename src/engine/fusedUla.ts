// The ULA transition around any target (native/src/fused_ula.cc): the proposal and the log-weight
// correction as two differentiable native kernels, with the target's and the initial
// distribution's evaluation at the proposal left to their own (TF.js) code in between. In a
// training chain this replaces about thirty small ops per step, and their gradients, by two.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const PROPOSE: NativeOpSpec = {
  name: 'AnnealUlaPropose',
  forward: NATIVE_OP.UlaPropose,
  backward: NATIVE_OP.UlaProposeGrad,
  inputs: ['z', 'sT', 'sI', 'eps', 'delta', 'beta'],
  noGradient: ['eps'],
  outShapes: (s) => [s.z as number[]],
};

const WEIGHT: NativeOpSpec = {
  name: 'AnnealUlaWeight',
  forward: NATIVE_OP.UlaWeight,
  backward: NATIVE_OP.UlaWeightGrad,
  inputs: [
    'z',
    'zNew',
    'eps',
    'lT',
    'lI',
    'lTNew',
    'lINew',
    'sTNew',
    'sINew',
    'r',
    'delta',
    'beta',
  ],
  noGradient: ['eps'],
  outShapes: (s) => [[(s.z as number[])[0] as number]],
};

const scalar = (x: number | Tensor) => (typeof x === 'number' ? tf.scalar(x) : x);

/**
 * z' = z + delta ((1 - beta) sI + beta sT) + sqrt(2 delta) eps, for particles z [N, d] with the
 * scores sT (target) and sI (initial distribution) at z.
 */
export function fusedUlaPropose(
  z: Tensor,
  scoreTarget: Tensor,
  scoreInitial: Tensor,
  eps: Tensor,
  delta: number | Tensor,
  beta: number | Tensor,
): Tensor {
  return tf.tidy(() => {
    const [n, d] = z.shape as [number, number];
    return runNativeOp(
      PROPOSE,
      { z, sT: scoreTarget, sI: scoreInitial, eps, delta: scalar(delta), beta: scalar(beta) },
      [n, d],
    ) as Tensor;
  });
}

export interface UlaEnds {
  logTarget: Tensor;
  logInitial: Tensor;
  scoreTarget: Tensor;
  scoreInitial: Tensor;
}

/**
 * The log-weight correction of a ULA step from z to zNew (with its time reversal as backward
 * kernel): log gamma(zNew) - log gamma(z) + log B(z | zNew) - log F(zNew | z), [N]. `r` is an
 * MCD correction to the backward drift at zNew (absent for plain ULA).
 */
export function fusedUlaWeight(
  z: Tensor,
  zNew: Tensor,
  eps: Tensor,
  before: Pick<UlaEnds, 'logTarget' | 'logInitial'>,
  after: UlaEnds,
  r: Tensor | null,
  delta: number | Tensor,
  beta: number | Tensor,
): Tensor {
  return tf.tidy(() => {
    const [n, d] = z.shape as [number, number];
    return runNativeOp(
      WEIGHT,
      {
        z,
        zNew,
        eps,
        lT: before.logTarget,
        lI: before.logInitial,
        lTNew: after.logTarget,
        lINew: after.logInitial,
        sTNew: after.scoreTarget,
        sINew: after.scoreInitial,
        r: r ?? tf.zeros([0]),
        delta: scalar(delta),
        beta: scalar(beta),
      },
      [n, d, r ? 1 : 0],
    ) as Tensor;
  });
}
