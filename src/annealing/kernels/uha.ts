import {
  tf,
  fusedAvailable,
  fusedUhaFinish,
  fusedUhaKick,
  fusedUhaMove,
  fusedUhaStart,
  fusedUhaStep,
  sumSquares,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import type { ParticleState } from '../path.js';
import { leapfrog } from './leapfrog.js';
import {
  KernelError,
  fusedState,
  hostValue,
  perStepValue,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type StepValue,
  type TransitionKernel,
} from './kernel.js';
import type { BackwardCorrection } from './ula.js';

export interface UhaOptions {
  /** Leapfrog step size epsilon (constant or one per step). */
  stepSize: PerStep;
  /** Momentum damping eta in [0, 1): v' = eta v + sqrt(1 - eta^2) M^(1/2) xi. */
  eta: StepValue;
  /** Diagonal mass matrix M: a positive number (isotropic) or a [dim] tensor. */
  mass: number | Tensor1D;
  /** Leapfrog steps per transition (default 1). */
  leapfrogSteps?: number;
  /**
   * Monte Carlo Diffusion (UHA-MCD): a learned residual r(z, v', k) in the backward momentum
   * refresh, whose mean becomes eta v' + (1 - eta^2) M r. Absent (or zero) gives plain UHA.
   */
  backwardCorrection?: BackwardCorrection;
}

/**
 * Uncorrected Hamiltonian annealing (Geffner & Domke 2021; Zhang et al. 2021) on the extended
 * target gamma_k(z) N(v; 0, M): partial momentum refresh, then leapfrog steps, no accept/reject.
 * The leapfrog map is volume-preserving and invertible, so the weight needs only the refresh
 * densities: forward N(v'; eta v, (1 - eta^2) M) and its backward counterpart, written out
 * explicitly so that UHA and UHA-MCD share one code path (a zero correction is exactly UHA).
 */
export function uhaKernel(options: UhaOptions): TransitionKernel {
  const leapfrogSteps = options.leapfrogSteps ?? 1;
  if (!Number.isInteger(leapfrogSteps) || leapfrogSteps < 1) {
    throw new KernelError(`leapfrog steps must be a positive integer, got ${leapfrogSteps}`);
  }
  if (typeof options.mass === 'number' && !(options.mass > 0)) {
    throw new KernelError(`mass must be positive, got ${options.mass}`);
  }
  if (typeof options.eta === 'number' && !(options.eta >= 0 && options.eta < 1)) {
    throw new KernelError(`eta must be in [0, 1), got ${options.eta}`);
  }
  const correction = options.backwardCorrection;
  const mass = options.mass;
  // log N(v; 0, M) up to its normalizer, which cancels: M is the same before and after a step.
  const kinetic = (v: Tensor): Tensor1D =>
    tf.mul(-0.5, tf.sum(tf.div(tf.square(v), mass), -1)) as Tensor1D;

  return {
    name: correction ? 'uha-mcd' : 'uha',
    fused: correction
      ? undefined
      : { kind: 'uha', stepSize: options.stepSize, leapfrogSteps, eta: options.eta, mass },
    init(state: ParticleState, rng: Rng): ParticleState {
      const v = tf.tidy(() => tf.mul(rng.normal(state.z.shape), tf.sqrt(mass)) as Tensor2D);
      return { ...state, v };
    },
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      if (!state.v) throw new KernelError('UHA needs momentum in the state: call init first');
      const v0 = state.v;
      const eps = perStepValue(options.stepSize, ctx.step, 'UHA step size');
      const { path, beta, step } = ctx;
      const eta = options.eta;
      const fused = correction ? null : path.fused();
      if (fused) {
        const xi = rng.normal(state.z.shape);
        const massVector =
          typeof mass === 'number' ? tf.fill([state.z.shape[1] as number], mass) : mass;
        const [z, v, logTarget, scoreTarget, logInitial, scoreInitial, logCorrection] =
          fusedUhaStep(
            fused,
            fusedState(state),
            v0,
            xi,
            massVector,
            hostValue(beta),
            hostValue(eps),
            hostValue(eta),
            leapfrogSteps,
          ) as [Tensor2D, Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
        xi.dispose();
        if (massVector !== mass) massVector.dispose();
        return {
          state: { z, logTarget, scoreTarget, logInitial, scoreInitial, v },
          logCorrection,
          acceptance: null,
        };
      }
      const diff = path.fused({ differentiable: true });
      if (diff) {
        // One native kernel with an exact gradient (training through the chain).
        const xi = rng.normal(state.z.shape) as Tensor2D;
        const out = tf.tidy(() => {
          const scalar = (x: StepValue) => (typeof x === 'number' ? tf.scalar(x) : x);
          const massVector =
            typeof mass === 'number' ? tf.fill([state.z.shape[1] as number], mass) : mass;
          let refreshed: { vr: Tensor; r: Tensor } | undefined;
          if (correction) {
            // UHA-MCD: the correction sees the refreshed momentum, so refresh here.
            const vr = tf.add(
              tf.mul(eta, v0),
              tf.mul(tf.sqrt(tf.mul(tf.sub(1, tf.square(eta)), mass)), xi),
            ) as Tensor2D;
            refreshed = { vr, r: correction(state.z, vr, step) };
          }
          const [z, v, logTarget, scoreTarget, logInitial, scoreInitial, logCorrection] =
            fusedUhaMove(diff, fusedState(state), {
              beta: scalar(beta),
              eps: scalar(eps),
              eta: scalar(eta),
              mass: massVector,
              v: v0,
              xi,
              refreshed,
              leapfrogSteps,
            }) as [Tensor2D, Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
          return {
            state: { z, logTarget, scoreTarget, logInitial, scoreInitial, v },
            logCorrection,
          };
        });
        xi.dispose();
        return { ...out, acceptance: null };
      }
      if (fusedAvailable({ differentiable: true })) {
        // Any target: native kernels with native gradients for the step's own arithmetic, the
        // target and the initial distribution evaluated by their own code at each position.
        const xi = rng.normal(state.z.shape) as Tensor2D;
        const out = tf.tidy(() => {
          const scalar = (x: StepValue) => (typeof x === 'number' ? tf.scalar(x) : x);
          const params = {
            beta: scalar(beta),
            eps: scalar(eps),
            eta: scalar(eta),
            mass: typeof mass === 'number' ? tf.fill([state.z.shape[1] as number], mass) : mass,
          };
          let vr: Tensor2D | null = null;
          let r: Tensor2D | null = null;
          if (correction) {
            vr = tf.add(
              tf.mul(eta, v0),
              tf.mul(tf.sqrt(tf.mul(tf.sub(1, tf.square(eta)), mass)), xi),
            ) as Tensor2D;
            r = correction(state.z, vr, step);
          }
          let [z, p] = fusedUhaStart(
            state.z,
            state.scoreTarget,
            state.scoreInitial,
            v0,
            xi,
            vr,
            params,
          );
          let current = path.evaluate(z as Tensor2D);
          for (let l = 2; l <= leapfrogSteps; l++) {
            [z, p] = fusedUhaKick(current.z, p, current.scoreTarget, current.scoreInitial, params);
            current = path.evaluate(z as Tensor2D);
          }
          const [v, logCorrection] = fusedUhaFinish(p, v0, xi, vr, r, state, current, params);
          return {
            state: { ...current, v: v as Tensor2D },
            logCorrection: logCorrection as Tensor1D,
          };
        });
        xi.dispose();
        return { ...out, acceptance: null };
      }
      const refreshVar = tf.tidy(() => tf.sub(1, tf.square(eta)));
      // Partial refresh: v' = eta v + sqrt(1 - eta^2) M^(1/2) xi.
      const xi = rng.normal(state.z.shape) as Tensor2D;
      const vRefreshed = tf.tidy(
        () => tf.add(tf.mul(eta, v0), tf.mul(tf.sqrt(tf.mul(refreshVar, mass)), xi)) as Tensor2D,
      );
      // Leapfrog from (z, v') on gamma_k.
      const end = leapfrog(path, beta, state, vRefreshed, eps, leapfrogSteps, mass);
      const v = end.momentum;
      const proposal = end.state;
      const logCorrection = tf.tidy(() => {
        const logForward = tf.mul(-0.5, sumSquares(xi));
        let backMean: Tensor = tf.mul(eta, vRefreshed);
        if (correction) {
          backMean = tf.add(
            backMean,
            tf.mul(tf.mul(refreshVar, mass), correction(state.z, vRefreshed, step)),
          );
        }
        const logBackward = tf.mul(
          -0.5,
          tf.sum(tf.div(tf.square(tf.sub(v0, backMean)), tf.mul(refreshVar, mass)), -1),
        );
        const before = tf.add(path.logDensity(state, beta), kinetic(v0));
        const after = tf.add(path.logDensity(proposal, beta), kinetic(v));
        return tf.add(tf.sub(after, before), tf.sub(logBackward, logForward)) as Tensor1D;
      });
      xi.dispose();
      vRefreshed.dispose();
      refreshVar.dispose();
      return { state: { ...proposal, v }, logCorrection, acceptance: null };
    },
  };
}
