// UHA's fast paths, fastest first: the whole transition as one native kernel on a closed-form
// path off the gradient tape; the same as one native kernel with an exact gradient (training
// through the chain on a closed-form path); and, for any target, the step's own arithmetic as
// native kernels with native gradients around the target's own evaluation.
import {
  tf,
  fusedUhaFinish,
  fusedUhaKick,
  fusedUhaMove,
  fusedUhaStart,
  fusedUhaStep,
  fusedUnavailableReason,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../../engine/index.js';
import type { ParticleState } from '../path.js';
import { closedFormUnavailable, type KernelFastPaths } from './fastPath.js';
import { KernelError, fusedState, hostValue, perStepValue, type StepValue } from './kernel.js';
import { NATIVE_CHAIN_KERNEL } from './nativeIds.js';
import { refreshFactors, refreshedMomentum, type UhaKernelParams } from './uha.js';

const MCD = 'it has a learned backward correction';
const EULER =
  "its momentum refresh is LDVI's Euler step (the off-tape native step takes the exact one)";
const CONTROL = 'it has a learned control';
/** Why no native path runs this kernel's refresh, or null. */
const refreshUnavailable = (p: UhaKernelParams) =>
  p.control ? CONTROL : p.refresh === 'euler' ? EULER : null;

function momentum(state: ParticleState): Tensor2D {
  if (!state.v) throw new KernelError('UHA needs momentum in the state: call init first');
  return state.v;
}

const scalar = (x: StepValue | Tensor) => (typeof x === 'number' ? tf.scalar(x) : x);

/** The native ops' refresh input: the pair [decay, variance factor] as one [2] tensor. */
const refreshPair = (f: { decay: StepValue | Tensor; variance: Tensor }): Tensor =>
  tf.stack([scalar(f.decay), f.variance]);

/**
 * With a learned network (MCD's correction, CMCD's control) the momentum is refreshed here, on the
 * tape, and the native op takes v' and the network's term; without one the op refreshes itself.
 */
function outsideRefresh(
  p: UhaKernelParams,
  factors: { decay: StepValue | Tensor; variance: Tensor },
  z: Tensor2D,
  v: Tensor2D,
  xi: Tensor2D,
  step: number,
): { vr: Tensor2D; r: Tensor2D } | null {
  if (!p.backwardCorrection && !p.control) return null;
  const { vr, r } = refreshedMomentum(p, factors, z, v, xi, p.mass, step);
  return { vr, r: r as Tensor2D };
}
const massVector = (mass: number | Tensor1D, d: number): Tensor =>
  typeof mass === 'number' ? tf.fill([d], mass) : mass;

export const UHA_FAST_PATHS: KernelFastPaths<UhaKernelParams> = {
  steps: [
    {
      name: 'native step',
      unavailable: (p, path) =>
        refreshUnavailable(p) ?? (p.backwardCorrection ? MCD : closedFormUnavailable(path)),
      step(p, state, ctx, rng) {
        const fused = ctx.path.fused();
        if (!fused) throw new Error('UHA native step: the path has no native form');
        const v0 = momentum(state);
        const eps = perStepValue(p.stepSize, ctx.step, 'UHA step size');
        const xi = rng.normal(state.z.shape);
        const mass = massVector(p.mass, state.z.shape[1] as number);
        const [z, v, logTarget, scoreTarget, logInitial, scoreInitial, logCorrection] =
          fusedUhaStep(
            fused,
            fusedState(state),
            v0,
            xi,
            mass,
            hostValue(ctx.beta),
            hostValue(eps),
            hostValue(p.eta),
            p.leapfrogSteps,
          ) as [Tensor2D, Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
        xi.dispose();
        if (mass !== p.mass) mass.dispose();
        return {
          state: { z, logTarget, scoreTarget, logInitial, scoreInitial, v },
          logCorrection,
          acceptance: null,
        };
      },
    },
    {
      name: 'native differentiable move',
      unavailable: (_p, path) => closedFormUnavailable(path, true),
      step(p, state, ctx, rng) {
        const diff = ctx.path.fused({ differentiable: true });
        if (!diff) throw new Error('UHA native move: the path has no native form');
        const v0 = momentum(state);
        const eps = perStepValue(p.stepSize, ctx.step, 'UHA step size');
        const xi = rng.normal(state.z.shape) as Tensor2D;
        const out = tf.tidy(() => {
          const factors = refreshFactors(p.eta, p.refresh);
          const refreshed = outsideRefresh(p, factors, state.z, v0, xi, ctx.step);
          const [z, v, logTarget, scoreTarget, logInitial, scoreInitial, logCorrection] =
            fusedUhaMove(diff, fusedState(state), {
              beta: scalar(ctx.beta),
              eps: scalar(eps),
              refresh: refreshPair(factors),
              mass: massVector(p.mass, state.z.shape[1] as number),
              v: v0,
              xi,
              refreshed: refreshed ?? undefined,
              leapfrogSteps: p.leapfrogSteps,
            }) as [Tensor2D, Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
          return {
            state: { z, logTarget, scoreTarget, logInitial, scoreInitial, v },
            logCorrection,
          };
        });
        xi.dispose();
        return { ...out, acceptance: null };
      },
    },
    {
      name: 'native differentiable ops',
      unavailable: () => fusedUnavailableReason({ differentiable: true }),
      step(p, state, ctx, rng) {
        const v0 = momentum(state);
        const eps = perStepValue(p.stepSize, ctx.step, 'UHA step size');
        const { path, beta, step } = ctx;
        const xi = rng.normal(state.z.shape) as Tensor2D;
        const out = tf.tidy(() => {
          const factors = refreshFactors(p.eta, p.refresh);
          const params = {
            beta: scalar(beta),
            eps: scalar(eps),
            refresh: refreshPair(factors),
            mass: massVector(p.mass, state.z.shape[1] as number),
          };
          const refreshed = outsideRefresh(p, factors, state.z, v0, xi, step);
          const vr = refreshed?.vr ?? null;
          let [z, mom] = fusedUhaStart(
            state.z,
            state.scoreTarget,
            state.scoreInitial,
            v0,
            xi,
            vr,
            params,
          );
          let current = path.evaluate(z as Tensor2D);
          for (let l = 2; l <= p.leapfrogSteps; l++) {
            [z, mom] = fusedUhaKick(
              current.z,
              mom,
              current.scoreTarget,
              current.scoreInitial,
              params,
            );
            current = path.evaluate(z as Tensor2D);
          }
          const [v, logCorrection] = fusedUhaFinish(
            mom,
            v0,
            xi,
            vr,
            refreshed?.r ?? null,
            state,
            current,
            params,
          );
          return {
            state: { ...current, v: v as Tensor2D },
            logCorrection: logCorrection as Tensor1D,
          };
        });
        xi.dispose();
        return { ...out, acceptance: null };
      },
    },
  ],
  chain: (p) =>
    refreshUnavailable(p) ??
    (p.backwardCorrection
      ? MCD
      : {
          id: NATIVE_CHAIN_KERNEL.uha,
          draws: 1,
          stepSize: p.stepSize,
          leapfrogSteps: p.leapfrogSteps,
          eta: p.eta,
          mass: p.mass,
        }),
};
