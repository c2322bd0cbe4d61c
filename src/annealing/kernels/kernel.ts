import type { Rng, Scalar, Tensor1D } from '../../engine/index.js';
import type { AnnealingPath, ParticleState } from '../path.js';

/** Where on the path a transition runs: step k of K, targeting gamma at inverse temperature beta. */
export interface StepContext {
  path: AnnealingPath;
  /** Step index, 1..K. */
  step: number;
  beta: number;
}

export interface KernelStepResult {
  state: ParticleState;
  /**
   * log gamma_k(z') + log B(z | z') - log gamma_k(z) - log F(z' | z): the log-weight correction of
   * a kernel that does not leave gamma_k exactly invariant (ULA). Null for MH-corrected kernels,
   * where it is zero.
   */
  logCorrection: Tensor1D | null;
  /** Mean acceptance probability for MH-corrected kernels. */
  acceptance: Scalar | null;
}

/**
 * A transition kernel (blackjax-style: a pure step over an explicit state). The new state's tensors
 * are owned by the caller; the input state is left untouched.
 */
export interface TransitionKernel {
  readonly name: string;
  step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult;
}

export class KernelError extends Error {
  override name = 'KernelError';
}

/** A per-step value: a constant, or one value per step 1..K. */
export type PerStep = number | readonly number[];

export function perStepValue(value: PerStep, step: number, what: string): number {
  if (typeof value === 'number') return value;
  const v = value[step - 1];
  if (v === undefined)
    throw new KernelError(`${what} has ${value.length} entries; step ${step} has none`);
  return v;
}

export function checkPerStep(value: PerStep, steps: number, what: string): void {
  const values = typeof value === 'number' ? [value] : value;
  if (typeof value !== 'number' && value.length !== steps) {
    throw new KernelError(`${what} has ${value.length} entries, expected one per step (${steps})`);
  }
  for (const v of values) {
    if (!(Number.isFinite(v) && v > 0))
      throw new KernelError(`${what} must be positive and finite, got ${v}`);
  }
}
