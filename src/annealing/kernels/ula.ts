import { tf, sumSquares, type Rng, type Tensor1D, type Tensor2D } from '../../engine/index.js';
import type { ParticleState } from '../path.js';
import {
  KernelError,
  perStepValue,
  stepMul,
  stepSqrt,
  type KernelStepResult,
  type PerStep,
  type StepContext,
  type TransitionKernel,
} from './kernel.js';

/** A learned correction to a backward kernel's mean, per particle: (z, momentum or null, step) -> [N, dim]. */
export type BackwardCorrection = (z: Tensor2D, v: Tensor2D | null, step: number) => Tensor2D;

export interface UlaOptions {
  /** Step size delta (constant or one per step): z' = z + delta grad log gamma(z) + sqrt(2 delta) eps. */
  stepSize: PerStep;
  /**
   * Monte Carlo Diffusion: a learned residual r added to the backward drift, so the backward mean
   * is z' + delta (grad log gamma(z') + r(z', k)). Absent (or zero) gives plain ULA.
   */
  backwardCorrection?: BackwardCorrection;
  /**
   * Controlled Monte Carlo Diffusion: a learned control u added to the forward drift at the step's
   * start and subtracted from the backward drift at its end, so the forward mean is
   * z + delta (grad log gamma(z) + u(z, k - 1)) and the backward mean
   * z' + delta (grad log gamma(z') - u(z', k)). Absent (or zero) gives plain ULA.
   */
  control?: BackwardCorrection;
}

/** The kernel's name in reports: 'ula', 'ula-mcd' or 'cmcd'. */
export function ulaKernelName(options: UlaOptions): string {
  return options.control ? 'cmcd' : options.backwardCorrection ? 'ula-mcd' : 'ula';
}

/**
 * Unadjusted Langevin forward kernel with its time reversal as backward kernel: the ULA kernel at
 * the same step, evaluated from z' (with MCD's learned correction or CMCD's control where given). Both are Gaussians with variance 2 delta, so their normalizing
 * constants cancel in the log-weight. Native fast paths: ula.native.ts.
 */
export function ulaKernel(options: UlaOptions): TransitionKernel<UlaOptions> {
  const correction = options.backwardCorrection;
  const control = options.control;
  if (correction && control)
    throw new KernelError('a ULA kernel takes a backward correction or a control, not both');
  return {
    name: ulaKernelName(options),
    kind: 'ula',
    params: options,
    step(state: ParticleState, ctx: StepContext, rng: Rng): KernelStepResult {
      const delta = perStepValue(options.stepSize, ctx.step, 'ULA step size');
      const { path, beta } = ctx;
      const out = tf.tidy(() => {
        const eps = rng.normal(state.z.shape) as Tensor2D;
        let drift = path.score(state, beta);
        if (control) drift = tf.add(drift, control(state.z, null, ctx.step - 1));
        const noiseScale = stepSqrt(stepMul(2, delta));
        const zNew = tf.add(
          tf.add(state.z, tf.mul(delta, drift)),
          tf.mul(noiseScale, eps),
        ) as Tensor2D;
        const next = path.evaluate(zNew);
        let backDrift = path.score(next, beta);
        if (correction) backDrift = tf.add(backDrift, correction(zNew, null, ctx.step));
        if (control) backDrift = tf.sub(backDrift, control(zNew, null, ctx.step));
        // log F(z'|z) = -|eps|^2 / 2, log B(z|z') = -|z - z' - delta drift_B(z')|^2 / (4 delta).
        const backResidual = tf.sub(tf.sub(state.z, zNew), tf.mul(delta, backDrift));
        const logBackward = tf.div(sumSquares(backResidual), stepMul(-4, delta));
        const logForward = tf.mul(-0.5, sumSquares(eps));
        const logCorrection = tf.add(
          tf.sub(path.logDensity(next, beta), path.logDensity(state, beta)),
          tf.sub(logBackward, logForward),
        ) as Tensor1D;
        return { state: next, logCorrection };
      });
      return { ...out, acceptance: null };
    },
  };
}
