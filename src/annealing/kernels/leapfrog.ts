import { tf, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { disposeState, type AnnealingPath, type ParticleState } from '../path.js';
import { stepMul, type StepValue } from './kernel.js';

/** A leapfrog step size: one for every coordinate, or one per coordinate [d]. */
export type LeapfrogStep = StepValue | Tensor1D;

const half = (scale: number, step: LeapfrogStep) =>
  typeof step === 'number' || step.rank === 0
    ? stepMul(scale, step as StepValue)
    : tf.mul(scale, step);

/**
 * L leapfrog steps of Hamiltonian dynamics for gamma_beta with diagonal mass M (1 for identity),
 * from (state.z, momentum). A per-coordinate step size [d] with identity mass is the same dynamics as
 * a diagonal mass diag(1 / step^2) seen in whitened momenta. Returns the end point (evaluated, owned by the caller) and its momentum;
 * the input state and momentum are left untouched.
 */
export function leapfrog(
  path: AnnealingPath,
  beta: StepValue,
  state: ParticleState,
  momentum: Tensor2D,
  stepSize: LeapfrogStep,
  steps: number,
  mass: number | Tensor1D = 1,
): { state: ParticleState; momentum: Tensor2D } {
  let current: ParticleState = state;
  let p = tf.tidy(
    () => tf.add(momentum, tf.mul(half(0.5, stepSize), path.score(state, beta))) as Tensor2D,
  );
  for (let l = 1; l <= steps; l++) {
    const position = current.z;
    const velocity = mass === 1 ? p : null;
    const zNew = tf.tidy(
      () => tf.add(position, tf.mul(stepSize, velocity ?? tf.div(p, mass))) as Tensor2D,
    );
    const next = path.evaluate(zNew);
    zNew.dispose();
    if (current !== state) disposeState(current);
    current = next;
    // Full momentum steps in between, a half step at the end.
    const scale = l === steps ? 0.5 : 1;
    const pNext = tf.tidy(
      () => tf.add(p, tf.mul(half(scale, stepSize), path.score(next, beta))) as Tensor2D,
    );
    p.dispose();
    p = pNext;
  }
  return { state: current, momentum: p };
}
