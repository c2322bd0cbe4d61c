import {
  tf,
  fusedAvailable,
  fusedEvaluate,
  fusedTargetEval,
  fusedUnavailableReason,
  nativeOpsAvailable,
  type FusedPath,
  type NativeTargetSpec,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import type { Distribution } from '../distributions/distribution.js';
import type { Target } from '../targets/target.js';
import { targetLogProbAndScore } from '../targets/score.js';

export { targetLogProbAndScore };
import { stepSub, type StepValue } from './stepValue.js';

/**
 * Particles with everything a kernel needs about both ends of the path, so that each point is
 * evaluated once: log pi and grad log pi of the target, log q and grad log q of the initial
 * distribution; and the momentum v for underdamped kernels.
 */
export type ParticleState = {
  z: Tensor2D;
  logTarget: Tensor1D;
  scoreTarget: Tensor2D;
  logInitial: Tensor1D;
  scoreInitial: Tensor2D;
  v?: Tensor2D;
};

/** The geometric path log gamma_beta = (1 - beta) log q + beta log pi, from initial q to target pi. */
export class AnnealingPath {
  constructor(
    readonly initial: Distribution,
    readonly target: Target,
  ) {
    if (initial.dim !== target.dim) {
      throw new RangeError(
        `initial distribution has dim ${initial.dim}, target '${target.name}' has ${target.dim}`,
      );
    }
  }

  get dim(): number {
    return this.target.dim;
  }

  private nativeTarget: NativeTargetSpec | null | undefined;

  /**
   * The path in the form the fused native steps take, when they can run now: a target the native
   * code knows, a diagonal Gaussian initial distribution, and no gradient tape recording (or,
   * with `differentiable`, whether or not one is: for the ops that have native gradients).
   */
  fused(options: { differentiable?: boolean } = {}): FusedPath | null {
    if (!(this.initial instanceof DiagGaussian)) return null;
    if (this.nativeTarget === undefined) this.nativeTarget = this.target.nativeSpec?.() ?? null;
    if (!this.nativeTarget || !fusedAvailable(options)) return null;
    return { target: this.nativeTarget, mean: this.initial.mean, logScale: this.initial.logScale };
  }

  /** Why `fused(options)` is null now (for the report of which paths a chain took), else null. */
  fusedUnavailable(options: { differentiable?: boolean } = {}): string | null {
    if (!(this.initial instanceof DiagGaussian)) {
      return 'the initial distribution is not a diagonal Gaussian';
    }
    if (this.nativeTarget === undefined) this.nativeTarget = this.target.nativeSpec?.() ?? null;
    if (!this.nativeTarget) return `target '${this.target.name}' has no native form`;
    return fusedUnavailableReason(options);
  }

  /**
   * A target the native code knows, evaluated by its differentiable native kernel where the whole
   * path cannot be (a gradient tape recording, or an initial distribution other than a diagonal
   * Gaussian); null where that kernel cannot run.
   */
  private nativeTargetOnTape(z: Tensor2D): { logProb: Tensor1D; score: Tensor2D } | null {
    if (this.nativeTarget === undefined) this.nativeTarget = this.target.nativeSpec?.() ?? null;
    if (!this.nativeTarget || !nativeOpsAvailable()) return null;
    const [logProb, score] = fusedTargetEval(this.nativeTarget, z);
    return { logProb: logProb as Tensor1D, score: score as Tensor2D };
  }

  /** Evaluates both ends at z (one target pass: closed-form score or value-and-gradient). */
  evaluate(z: Tensor2D): ParticleState {
    const fused = this.fused();
    if (fused) {
      const [logTarget, scoreTarget, logInitial, scoreInitial] = fusedEvaluate(fused, z);
      return {
        z: z.clone(),
        logTarget: logTarget as Tensor1D,
        scoreTarget: scoreTarget as Tensor2D,
        logInitial: logInitial as Tensor1D,
        scoreInitial: scoreInitial as Tensor2D,
      };
    }
    return tf.tidy(() => {
      const { logProb, score } =
        this.nativeTargetOnTape(z) ?? targetLogProbAndScore(this.target, z);
      const initial = this.initial.logProbAndScore?.(z) ?? {
        logProb: this.initial.logProb(z),
        score: this.initial.score(z),
      };
      return {
        z: z.clone(),
        logTarget: logProb,
        scoreTarget: score,
        logInitial: initial.logProb,
        scoreInitial: initial.score,
      };
    });
  }

  logDensity(state: ParticleState, beta: StepValue): Tensor1D {
    return tf.tidy(
      () =>
        tf.add(
          tf.mul(stepSub(1, beta), state.logInitial),
          tf.mul(beta, state.logTarget),
        ) as Tensor1D,
    );
  }

  score(state: ParticleState, beta: StepValue): Tensor2D {
    return tf.tidy(
      () =>
        tf.add(
          tf.mul(stepSub(1, beta), state.scoreInitial),
          tf.mul(beta, state.scoreTarget),
        ) as Tensor2D,
    );
  }
}

/** Copies a state with a new momentum (the old one is not freed). */
export function withMomentum(state: ParticleState, v: Tensor2D): ParticleState {
  return { ...state, v };
}

export function disposeState(state: ParticleState | undefined): void {
  if (!state) return;
  state.z.dispose();
  state.logTarget.dispose();
  state.scoreTarget.dispose();
  state.logInitial.dispose();
  state.scoreInitial.dispose();
  state.v?.dispose();
}
