import {
  tf,
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
  /**
   * The momentum refresh: 'exact' (default), the Ornstein-Uhlenbeck step
   * v' = eta v + sqrt(1 - eta^2) M^(1/2) xi, which leaves N(0, M) invariant; 'euler', its Euler
   * discretization as LDVI (Geffner & Domke 2023) takes it, v' = (1 - eta) v + sqrt(2 eta) M^(1/2) xi,
   * with eta the rate friction x step size. Either is a valid forward kernel: the weight carries its
   * density and the backward one's (mean (1 - eta) v' + 2 eta M r for 'euler').
   */
  refresh?: 'exact' | 'euler';
  /**
   * Underdamped CMCD: a learned control u(z, v, k) in the momentum refresh, subtracted from the
   * forward mean at the old momentum and added to the backward mean at the refreshed one:
   * forward decay v - variance M u(z, v, k), backward decay v' + variance M u(z, v', k).
   */
  control?: BackwardCorrection;
}

/** The kernel's name in reports: 'uha', 'uha-mcd' or 'ldvi'. */
export function uhaKernelName(options: UhaOptions): string {
  if (options.control) return 'cmcd-ud';
  return options.refresh === 'euler' ? 'ldvi' : options.backwardCorrection ? 'uha-mcd' : 'uha';
}

/**
 * The refresh's mean factor and variance factor, v' ~ N(decay v, variance M): the exact one keeps
 * eta itself as the decay (nothing new to free); `owned` lists what the caller disposes.
 */
export function refreshFactors(
  eta: StepValue,
  refresh: UhaOptions['refresh'],
): { decay: StepValue | Tensor; variance: Tensor; owned: Tensor[] } {
  if (refresh === 'euler') {
    const decay = tf.sub(1, eta);
    const variance = tf.mul(2, eta);
    return { decay, variance, owned: [decay, variance] };
  }
  const variance = tf.tidy(() => tf.sub(1, tf.square(eta)));
  return { decay: eta, variance, owned: [variance] };
}

/**
 * The refreshed momentum v' = decay v - variance M u(z, v, k) + sqrt(variance M) xi (the control
 * term only for underdamped CMCD), and the learned term of the backward mean at v' (MCD's
 * correction or CMCD's control; null for plain UHA). One definition for the reference step and
 * the native paths, which take v' and r from here whenever a network is involved.
 */
export function refreshedMomentum(
  options: Pick<UhaOptions, 'backwardCorrection' | 'control'>,
  factors: { decay: StepValue | Tensor; variance: Tensor },
  z: Tensor2D,
  v: Tensor2D,
  xi: Tensor2D,
  mass: number | Tensor1D,
  step: number,
): { vr: Tensor2D; r: Tensor2D | null } {
  const { control } = options;
  const scaledVariance = tf.mul(factors.variance, mass);
  let mean: Tensor = tf.mul(factors.decay, v);
  if (control) mean = tf.sub(mean, tf.mul(scaledVariance, control(z, v, step)));
  const vr = tf.add(mean, tf.mul(tf.sqrt(scaledVariance), xi)) as Tensor2D;
  const learned = options.backwardCorrection ?? control;
  return { vr, r: learned ? learned(z, vr, step) : null };
}

/** The kernel's parameters as its fast paths read them (leapfrog steps resolved). */
export type UhaKernelParams = UhaOptions & { leapfrogSteps: number };

/**
 * Uncorrected Hamiltonian annealing (Geffner & Domke 2021; Zhang et al. 2021) on the extended
 * target gamma_k(z) N(v; 0, M): partial momentum refresh, then leapfrog steps, no accept/reject.
 * The leapfrog map is volume-preserving and invertible, so the weight needs only the refresh
 * densities: forward N(v'; eta v, (1 - eta^2) M) and its backward counterpart, written out
 * explicitly so that UHA and UHA-MCD share one code path (a zero correction is exactly UHA).
 * Native fast paths: uha.native.ts.
 */
export function uhaKernel(options: UhaOptions): TransitionKernel<UhaKernelParams> {
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
  if (options.refresh === 'euler' && typeof options.eta === 'number' && !(options.eta > 0))
    throw new KernelError(`an Euler refresh needs a rate eta > 0, got ${options.eta}`);
  const correction = options.backwardCorrection;
  const control = options.control;
  if (correction && control)
    throw new KernelError('a UHA kernel takes a backward correction or a control, not both');
  const mass = options.mass;
  // log N(v; 0, M) up to its normalizer, which cancels: M is the same before and after a step.
  const kinetic = (v: Tensor): Tensor1D =>
    tf.mul(-0.5, tf.sum(tf.div(tf.square(v), mass), -1)) as Tensor1D;

  return {
    name: uhaKernelName(options),
    kind: 'uha',
    params: { ...options, leapfrogSteps },
    init(state: ParticleState, rng: Rng): ParticleState {
      const v = tf.tidy(() => tf.mul(rng.normal(state.z.shape), tf.sqrt(mass)) as Tensor2D);
      return { ...state, v };
    },
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      if (!state.v) throw new KernelError('UHA needs momentum in the state: call init first');
      const v0 = state.v;
      const eps = perStepValue(options.stepSize, ctx.step, 'UHA step size');
      const { path, beta, step } = ctx;
      const { decay, variance: refreshVar, owned } = refreshFactors(options.eta, options.refresh);
      // Partial refresh: v' = decay v + sqrt(variance) M^(1/2) xi (minus CMCD's control term).
      const xi = rng.normal(state.z.shape) as Tensor2D;
      const { vr: vRefreshed, r } = tf.tidy(() => {
        const out = refreshedMomentum(
          options,
          { decay, variance: refreshVar },
          state.z,
          v0,
          xi,
          mass,
          step,
        );
        return out.r ? { vr: out.vr, r: out.r } : { vr: out.vr };
      }) as { vr: Tensor2D; r?: Tensor2D };
      // Leapfrog from (z, v') on gamma_k.
      const end = leapfrog(path, beta, state, vRefreshed, eps, leapfrogSteps, mass);
      const v = end.momentum;
      const proposal = end.state;
      const logCorrection = tf.tidy(() => {
        const logForward = tf.mul(-0.5, sumSquares(xi));
        let backMean: Tensor = tf.mul(decay, vRefreshed);
        if (r) backMean = tf.add(backMean, tf.mul(tf.mul(refreshVar, mass), r));
        const logBackward = tf.mul(
          -0.5,
          tf.sum(tf.div(tf.square(tf.sub(v0, backMean)), tf.mul(refreshVar, mass)), -1),
        );
        const before = tf.add(path.logDensity(state, beta), kinetic(v0));
        const after = tf.add(path.logDensity(proposal, beta), kinetic(v));
        return tf.add(tf.sub(after, before), tf.sub(logBackward, logForward)) as Tensor1D;
      });
      tf.dispose([xi, vRefreshed, ...(r ? [r] : []), ...owned]);
      return { state: { ...proposal, v }, logCorrection, acceptance: null };
    },
  };
}
