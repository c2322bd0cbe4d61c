// The contract of a kernel's fast paths: other ways to take exactly the kernel's step (native
// kernels on the wasm backend), each with the conditions under which it applies. A kernel module
// holds the reference math only; its fast paths live in `<kernel>.native.ts` and are listed in
// fastPaths.ts, where the chain's dispatch (annealing/dispatch.ts) finds them.
import {
  tf,
  type Rng,
  type Scalar,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import type { AnnealingPath, ParticleState } from '../path.js';
import type { PerStep, StepValue } from '../stepValue.js';
import type { KernelStepResult, StepContext } from './kernel.js';
import { meanAcceptance } from './metropolis.js';

/** One faster way to take a kernel's step. */
export interface StepFastPath<P> {
  /** What the report line calls it ('native step', 'native differentiable move', ...). */
  readonly name: string;
  /**
   * Why this path cannot take a step on `path` now (no native addon, a gradient tape recording,
   * a target the native code does not know, a learned correction), or null when it can.
   */
  unavailable(params: P, path: AnnealingPath): string | null;
  /** The step, with the same random draws, in the same order, as the kernel's reference step. */
  step(params: P, state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult;
}

/** A kernel as the whole-chain native loop runs it (engine/fused.ts, fusedAisChain). */
export interface ChainKernelSpec {
  /** The native chain's kernel id (kernels/nativeIds.ts). */
  id: number;
  /** Random draws per step, in the order the reference step makes them (ULA, UHA 1; HMC 2). */
  draws: number;
  stepSize: PerStep;
  leapfrogSteps: number;
  /** Momentum damping and diagonal mass, for kernels that carry momentum. */
  eta?: StepValue;
  mass?: number | Tensor1D;
}

/** Everything registered for one kernel kind. */
export interface KernelFastPaths<P> {
  /** Tried in order; the first that applies takes the step. */
  readonly steps: readonly StepFastPath<P>[];
  /** The kernel as a whole-chain native kernel, or why it cannot run as one. */
  readonly chain?: (params: P) => ChainKernelSpec | string;
}

/** Why a path that runs only off the gradient tape on a closed-form path cannot run now. */
export function closedFormUnavailable(path: AnnealingPath, differentiable = false): string | null {
  return path.fused({ differentiable }) === null ? path.fusedUnavailable({ differentiable }) : null;
}

type StateOutputs = [Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D];

/** A Metropolis step's result from the five fields of the chosen state. */
function decided(fields: Tensor[], acceptance: Scalar, diverged: Scalar): KernelStepResult {
  const [z, logTarget, scoreTarget, logInitial, scoreInitial] = fields as StateOutputs;
  return {
    state: { z, logTarget, scoreTarget, logInitial, scoreInitial },
    logCorrection: null,
    acceptance,
    diverged,
  };
}

/**
 * The result of a native Metropolis-corrected step (HMC, MALA) from its outputs [z, logTarget,
 * scoreTarget, logInitial, scoreInitial, tally], the tally [2] holding the mean acceptance and
 * the diverged proposals; frees the tally.
 */
export function metropolisStepResult(outs: Tensor[]): KernelStepResult {
  const tally = outs[5] as Tensor1D;
  const [acceptance, diverged] = tf.unstack(tally) as [Scalar, Scalar];
  tally.dispose();
  return decided(outs.slice(0, 5), acceptance, diverged);
}

/**
 * The result of a native Metropolis decision around a TF.js target (fusedHmcAccept,
 * fusedMalaAccept) from its outputs [z, logTarget, scoreTarget, logInitial, scoreInitial,
 * logAlpha, diverged]: the mean acceptance comes from log alpha by the reference's own formula
 * (metropolis.ts), so it is the reference's value bit for bit. Frees log alpha.
 */
export function nativeDecisionResult(outs: Tensor[]): KernelStepResult {
  const [logAlpha, diverged] = outs.slice(5) as [Tensor1D, Tensor1D];
  const acceptance = tf.tidy(() => meanAcceptance(logAlpha));
  const count = tf.reshape(diverged, []) as Scalar;
  tf.dispose([logAlpha, diverged]);
  return decided(outs.slice(0, 5), acceptance, count);
}
