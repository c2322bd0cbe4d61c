import { tf, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import { disposeState, type AnnealingPath, type ParticleState } from '../path.js';
import { stepMul, type StepValue } from './kernel.js';

/**
 * L leapfrog steps of Hamiltonian dynamics for gamma_beta with diagonal mass M (1 for identity),
 * from (state.z, momentum). Returns the end point (evaluated, owned by the caller) and its momentum;
 * the input state and momentum are left untouched.
 */
export function leapfrog(
  path: AnnealingPath,
  beta: StepValue,
  state: ParticleState,
  momentum: Tensor2D,
  stepSize: StepValue,
  steps: number,
  mass: number | Tensor1D = 1,
): { state: ParticleState; momentum: Tensor2D } {
  let current: ParticleState = state;
  let p = tf.tidy(
    () => tf.add(momentum, tf.mul(stepMul(0.5, stepSize), path.score(state, beta))) as Tensor2D,
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
      () => tf.add(p, tf.mul(stepMul(scale, stepSize), path.score(next, beta))) as Tensor2D,
    );
    p.dispose();
    p = pNext;
  }
  return { state: current, momentum: p };
}
