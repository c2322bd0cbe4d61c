// The UHA transition around any target (native/src/fused_uha.cc): refresh and first leapfrog
// half-kick and drift, the inner kicks and drifts, and the last half-kick with the log-weight
// correction, as differentiable native kernels; the target's and initial distribution's
// evaluations at each leapfrog position are left to their own (TF.js) code in between.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const START: NativeOpSpec = {
  name: 'AnnealUhaStart',
  forward: NATIVE_OP.UhaStart,
  backward: NATIVE_OP.UhaStartGrad,
  inputs: ['z', 'sT', 'sI', 'v', 'xi', 'vr', 'beta', 'eps', 'refresh', 'mass'],
  noGradient: ['xi'],
  outShapes: (s) => [s.z as number[], s.z as number[]],
};

const KICK: NativeOpSpec = {
  name: 'AnnealUhaKick',
  forward: NATIVE_OP.UhaKick,
  backward: NATIVE_OP.UhaKickGrad,
  inputs: ['z', 'p', 'sT', 'sI', 'beta', 'eps', 'mass'],
  outShapes: (s) => [s.z as number[], s.z as number[]],
};

const FINISH: NativeOpSpec = {
  name: 'AnnealUhaFinish',
  forward: NATIVE_OP.UhaFinish,
  backward: NATIVE_OP.UhaFinishGrad,
  inputs: [
    'p',
    'v',
    'xi',
    'vr',
    'r',
    'lT0',
    'lI0',
    'lT',
    'lI',
    'sT',
    'sI',
    'beta',
    'eps',
    'refresh',
    'mass',
  ],
  noGradient: ['xi'],
  outShapes: (s) => [s.p as number[], [(s.p as number[])[0] as number]],
};

/**
 * Scalars beta, eps ([] tensors), the refresh's [decay, variance factor] ([2]: eta and 1 - eta^2
 * for the exact refresh, 1 - h and 2h for LDVI's Euler step) and the diagonal mass [d].
 */
export interface UhaParams {
  beta: Tensor;
  eps: Tensor;
  refresh: Tensor;
  mass: Tensor;
}

/**
 * Refresh (unless `vr`, the refreshed momentum, is given), half kick at z with the scores there,
 * and drift: [z_1, p] for z [N, d].
 */
export function fusedUhaStart(
  z: Tensor,
  scoreTarget: Tensor,
  scoreInitial: Tensor,
  v: Tensor,
  xi: Tensor,
  vr: Tensor | null,
  p: UhaParams,
): [Tensor, Tensor] {
  return tf.tidy(() => {
    const [n, d] = z.shape as [number, number];
    return runNativeOp(
      START,
      {
        z,
        sT: scoreTarget,
        sI: scoreInitial,
        v,
        xi,
        vr: vr ?? tf.zeros([0]),
        beta: p.beta,
        eps: p.eps,
        refresh: p.refresh,
        mass: p.mass,
      },
      [n, d, vr ? 0 : 1],
    ) as [Tensor, Tensor];
  });
}

/** A full kick with the scores at z and a drift: [z', p']. */
export function fusedUhaKick(
  z: Tensor,
  momentum: Tensor,
  scoreTarget: Tensor,
  scoreInitial: Tensor,
  p: Pick<UhaParams, 'beta' | 'eps' | 'mass'>,
): [Tensor, Tensor] {
  return tf.tidy(() => {
    const [n, d] = z.shape as [number, number];
    const inputs = { z, p: momentum, sT: scoreTarget, sI: scoreInitial };
    return runNativeOp(KICK, { ...inputs, beta: p.beta, eps: p.eps, mass: p.mass }, [n, d]) as [
      Tensor,
      Tensor,
    ];
  });
}

export interface UhaEnd {
  logTarget: Tensor;
  logInitial: Tensor;
}

/**
 * The last half kick (scores at the final position) and the log-weight correction: [p_L, corr].
 * `vr` and `r` computed outside with a learned network (null for plain UHA, which refreshes from v
 * and xi).
 */
export function fusedUhaFinish(
  momentum: Tensor,
  v: Tensor,
  xi: Tensor,
  vr: Tensor | null,
  r: Tensor | null,
  start: UhaEnd,
  end: UhaEnd & { scoreTarget: Tensor; scoreInitial: Tensor },
  p: UhaParams,
): [Tensor, Tensor] {
  return tf.tidy(() => {
    const [n, d] = momentum.shape as [number, number];
    return runNativeOp(
      FINISH,
      {
        p: momentum,
        v,
        xi,
        vr: vr ?? tf.zeros([0]),
        r: r ?? tf.zeros([0]),
        lT0: start.logTarget,
        lI0: start.logInitial,
        lT: end.logTarget,
        lI: end.logInitial,
        sT: end.scoreTarget,
        sI: end.scoreInitial,
        beta: p.beta,
        eps: p.eps,
        refresh: p.refresh,
        mass: p.mass,
      },
      [n, d, vr ? 0 : 1, r ? 1 : 0],
    ) as [Tensor, Tensor];
  });
}
