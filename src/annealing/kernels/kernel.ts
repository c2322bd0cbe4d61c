import { tf, type FusedState, type Rng, type Scalar, type Tensor1D } from '../../engine/index.js';
import type { AnnealingPath, ParticleState } from '../path.js';

/**
 * A sampler parameter at one step: a plain number, or a scalar tensor when the parameter is learned
 * (then gradients flow through it).
 */
export type StepValue = number | Scalar;

/** Where on the path a transition runs: step k of K, targeting gamma at inverse temperature beta. */
export interface StepContext {
  path: AnnealingPath;
  /** Step index, 1..K. */
  step: number;
  /** Number of steps K. */
  steps: number;
  beta: StepValue;
}

export interface KernelStepResult {
  state: ParticleState;
  /**
   * log gamma_k(x') + log B(x | x') - log gamma_k(x) - log F(x' | x): the log-weight correction of
   * a kernel that does not leave gamma_k exactly invariant (ULA, UHA, MCD). Null for MH-corrected
   * kernels, where it is zero.
   */
  logCorrection: Tensor1D | null;
  /** Mean acceptance probability for MH-corrected kernels. */
  acceptance: Scalar | null;
  /**
   * MH-corrected kernels: the number of diverged proposals, whose energy error exceeded 1000 or
   * was NaN (rejected, but worth reporting: the step size is too large somewhere on the path).
   */
  diverged?: Scalar | null;
}

/**
 * What a fused native chain needs to run a kernel (src/engine/fused.ts): set by the ULA, HMC and
 * UHA kernels when they have no learned backward correction.
 */
export type FusedKernelSpec =
  | { kind: 'ula'; stepSize: PerStep }
  | { kind: 'hmc'; stepSize: PerStep; leapfrogSteps: number }
  | {
      kind: 'uha';
      stepSize: PerStep;
      leapfrogSteps: number;
      eta: StepValue;
      mass: number | Tensor1D;
    };

/**
 * A transition kernel (blackjax-style: a pure step over an explicit state). The new state's tensors
 * are owned by the caller; the input state is left untouched.
 */
export interface TransitionKernel {
  readonly name: string;
  /**
   * True when the kernel leaves gamma_k exactly invariant (Metropolis-corrected) and so adds no
   * log-weight correction; SMC then resamples before moving rather than after.
   */
  readonly invariant?: boolean;
  /** Set where a whole chain of this kernel can run as fused native code (see FusedKernelSpec). */
  readonly fused?: FusedKernelSpec;
  /** Adds kernel-specific state (e.g. momentum) to the initial particles; owns nothing of its input. */
  init?(state: ParticleState, rng: Rng): ParticleState;
  step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult;
}

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

/** The particle state as the fused native steps take it. */
export const fusedState = (s: ParticleState): FusedState => [
  s.z,
  s.logTarget,
  s.scoreTarget,
  s.logInitial,
  s.scoreInitial,
];

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
