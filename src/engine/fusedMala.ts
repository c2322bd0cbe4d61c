// The MALA transition's own arithmetic around any target (native/src/fused_mala.cc): the Langevin
// proposal, and the Metropolis decision with both proposal densities, one native kernel each, with
// the target's and the initial distribution's evaluation at the proposal left to their own code.
// Off the gradient tape only. Rounded as the op-by-op step rounds, so bit for bit the same.
import type { Tensor } from '@tensorflow/tfjs-core';
import { runFusedOp } from './fused.js';
import { stepArray, type PathWeights, type StateFields, type StepLength } from './fusedHmc.js';
import { NATIVE_OP } from './nativeIds.js';

/** z' = (z + delta (a sI + b sT)) + noise eps: delta and noise one value or one per coordinate. */
export function fusedMalaPropose(
  z: Tensor,
  scoreInitial: Tensor,
  scoreTarget: Tensor,
  eps: Tensor,
  w: PathWeights,
  delta: StepLength,
  noise: StepLength,
): Tensor {
  const [n, d] = z.shape as [number, number];
  return runFusedOp(
    NATIVE_OP.MalaPropose,
    [n, d],
    [w.a, w.b],
    [stepArray(delta), stepArray(noise)],
    [z, scoreInitial, scoreTarget, eps],
    [[n, d]],
  )[0] as Tensor;
}

/**
 * Each particle's Metropolis decision between its state and its Langevin proposal (drawn with
 * normals `eps`); `logU` the logs of its uniforms. `delta` one value (then `minus4Delta` = -4 delta
 * as the step rounds it) or one per coordinate. Returns the chosen state's five fields, log alpha
 * [N] (NaN as -inf) and the count of diverged proposals [1].
 */
export function fusedMalaAccept(
  start: StateFields,
  proposal: StateFields,
  eps: Tensor,
  logU: Tensor,
  w: PathWeights,
  delta: StepLength,
  minus4Delta: number,
): Tensor[] {
  const [n, d] = start[0].shape as [number, number];
  return runFusedOp(
    NATIVE_OP.MalaAccept,
    [n, d, typeof delta === 'number' ? 0 : 1],
    [w.a, w.b, minus4Delta],
    [stepArray(delta)],
    [...start, ...proposal, eps, logU],
    [[n, d], [n], [n, d], [n], [n, d], [n], [1]],
  );
}
