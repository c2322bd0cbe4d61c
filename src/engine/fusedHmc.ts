// The HMC transition's own arithmetic around any target (native/src/fused_hmc.cc): a leapfrog kick
// and drift, and the last half kick with the Metropolis decision, each one native kernel, with the
// target's and the initial distribution's evaluation left to their own (TF.js) code in between.
// Off the gradient tape only (a Metropolis decision has no gradient). The arithmetic is rounded as
// the op-by-op step rounds it, so the particles and decisions are bit for bit the same.
import type { Tensor } from '@tensorflow/tfjs-core';
import { runFusedOp } from './fused.js';
import { NATIVE_OP } from './nativeIds.js';

/** The path's weights at one step: a = 1 - beta on the initial distribution, b = beta on the target. */
export interface PathWeights {
  a: number;
  b: number;
}

/** A leapfrog step length: one value, or one per coordinate (float32, as the step computed them). */
export type StepLength = number | Float32Array;

/** A step length as the host array the native ops take. */
export const stepArray = (x: StepLength) => (typeof x === 'number' ? Float32Array.of(x) : x);

/**
 * pOut = p + h (a sI + b sT) and zOut = z + e pOut, for particles z [N, d] with the scores sI
 * (initial) and sT (target) at z: the momentum's kick by h, then the position's drift by e.
 * Returns [zOut, pOut].
 */
export function fusedHmcKickDrift(
  z: Tensor,
  p: Tensor,
  scoreInitial: Tensor,
  scoreTarget: Tensor,
  w: PathWeights,
  h: StepLength,
  e: StepLength,
): [Tensor, Tensor] {
  const [n, d] = z.shape as [number, number];
  return runFusedOp(
    NATIVE_OP.HmcKickDrift,
    [n, d],
    [w.a, w.b],
    [stepArray(h), stepArray(e)],
    [z, p, scoreInitial, scoreTarget],
    [
      [n, d],
      [n, d],
    ],
  ) as [Tensor, Tensor];
}

/** A particle state's five fields: z, logTarget, scoreTarget, logInitial, scoreInitial. */
export type StateFields = readonly [Tensor, Tensor, Tensor, Tensor, Tensor];

/**
 * The last half kick by h at the end of the trajectory and the Metropolis decision of each
 * particle (log u < log alpha, with `logU` the logs of its uniforms): returns the chosen state's
 * five fields, log alpha [N] (NaN as -inf) and the count of diverged proposals [1].
 */
export function fusedHmcAccept(
  start: StateFields,
  end: StateFields,
  p: Tensor,
  momentum0: Tensor,
  logU: Tensor,
  w: PathWeights,
  h: StepLength,
): Tensor[] {
  const [n, d] = start[0].shape as [number, number];
  return runFusedOp(
    NATIVE_OP.HmcAccept,
    [n, d],
    [w.a, w.b],
    [stepArray(h)],
    [...start, ...end, p, momentum0, logU],
    [[n, d], [n], [n, d], [n], [n, d], [n], [1]],
  );
}
