import type { FusedState, Rng, Scalar, Tensor1D } from '../../engine/index.js';
import type { AnnealingPath, ParticleState } from '../path.js';
import type { StepValue } from '../stepValue.js';

export {
  KernelError,
  checkPerStep,
  hostValue,
  perStepValue,
  stepMul,
  stepSqrt,
  stepSub,
  type PerStep,
  type StepValue,
} from '../stepValue.js';

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
 * A transition kernel (blackjax-style: a pure step over an explicit state). `step` is the kernel's
 * reference math in TF.js ops and runs anywhere; faster ways to take the same step (native kernels)
 * are registered for the kernel's `kind` in kernels/fastPaths.ts and chosen by the chain's dispatch
 * (annealing/dispatch.ts), so a kernel never asks where it runs. The new state's tensors are owned
 * by the caller; the input state is left untouched.
 */
export interface TransitionKernel<P = unknown> {
  /** The name reports show ('ula', 'ula-mcd', ...). */
  readonly name: string;
  /** The family whose fast paths apply ('ula', 'hmc', 'uha', 'mala'); absent for a user's kernel. */
  readonly kind?: string;
  /** The parameters the fast paths read (the options the kernel was made with). */
  readonly params?: P;
  /**
   * True when the kernel leaves gamma_k exactly invariant (Metropolis-corrected) and so adds no
   * log-weight correction; SMC then resamples before moving rather than after.
   */
  readonly invariant?: boolean;
  /** Adds kernel-specific state (e.g. momentum) to the initial particles; owns nothing of its input. */
  init?(state: ParticleState, rng: Rng): ParticleState;
  step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult;
}

/** The particle state as the fused native steps take it. */
export const fusedState = (s: ParticleState): FusedState => [
  s.z,
  s.logTarget,
  s.scoreTarget,
  s.logInitial,
  s.scoreInitial,
];
