// Values a step of a chain is parameterized by (inverse temperature, step size, damping): plain
// numbers for a fixed sampler, scalar tensors for a learned one. Kept apart from the kernel
// contract and the path so that both can use them without importing each other.
import { tf, type Scalar } from '../engine/index.js';

/**
 * A sampler parameter at one step: a plain number, or a scalar tensor when the parameter is learned
 * (then gradients flow through it).
 */
export type StepValue = number | Scalar;

export class KernelError extends Error {
  override name = 'KernelError';
}

// Arithmetic on step values that stays on the host when the values are plain numbers: on wasm each
// tensor op has a fixed launch cost, and a fixed-parameter chain should not pay for scalars.
export const stepMul = (a: StepValue, b: StepValue): StepValue =>
  typeof a === 'number' && typeof b === 'number' ? a * b : tf.mul(a, b);
export const stepSub = (a: StepValue, b: StepValue): StepValue =>
  typeof a === 'number' && typeof b === 'number' ? a - b : tf.sub(a, b);
export const stepSqrt = (a: StepValue): StepValue =>
  typeof a === 'number' ? Math.sqrt(a) : tf.sqrt(a);

/**
 * A step value as a host number, for the fused native steps (which run only where no gradient is
 * recorded, so reading a learned scalar is safe; on wasm the read is a copy, not a sync).
 */
export const hostValue = (v: StepValue): number =>
  typeof v === 'number' ? v : (v.dataSync()[0] as number);

/** A per-step parameter: a constant, or one value per step 1..K (numbers or scalar tensors). */
export type PerStep = number | readonly StepValue[];

export function perStepValue(value: PerStep, step: number, what: string): StepValue {
  if (typeof value === 'number') return value;
  const v = value[step - 1];
  if (v === undefined) {
    throw new KernelError(`${what} has ${value.length} entries; step ${step} has none`);
  }
  return v;
}

/** Validates numeric per-step values (tensor values are the learner's responsibility). */
export function checkPerStep(value: PerStep, steps: number, what: string): void {
  if (typeof value !== 'number' && value.length !== steps) {
    throw new KernelError(`${what} has ${value.length} entries, expected one per step (${steps})`);
  }
  const values = typeof value === 'number' ? [value] : value;
  for (const v of values) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v > 0)) {
      throw new KernelError(`${what} must be positive and finite, got ${v}`);
    }
  }
}
