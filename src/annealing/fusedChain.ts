// AIS as fused native chains (src/engine/fused.ts): where the path and the kernel allow it (a
// closed-form native target, a diagonal Gaussian initial distribution, ULA/HMC/UHA without a
// learned correction, no resampling, no trace, no gradient tape), runAis hands stretches of the
// chain to one native call each instead of running 40-400 TF.js ops per step. The random stream
// is consumed exactly as the op-by-op chain consumes it, and the results agree with it to float32
// accuracy (test/fused.test.ts).
import {
  tf,
  fusedAisChain,
  type FusedChainKernel,
  type FusedPath,
  type FusedState,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { checkFinite, diagnosticTable, READINGS } from './diagnostics.js';
import {
  hostValue,
  perStepValue,
  type FusedKernelSpec,
  type StepContext,
} from './kernels/kernel.js';
import type { TransitionKernel } from './kernels/kernel.js';
import { disposeState, type AnnealingPath, type ParticleState } from './path.js';
import type { AnnealedResult } from './ais.js';

export interface FusedAisOptions {
  path: AnnealingPath;
  fusedPath: FusedPath;
  kernel: TransitionKernel & { fused: FusedKernelSpec };
  /** beta_0 .. beta_K as numbers (in the direction the chain runs). */
  betas: number[];
  particles: number;
  rng: Rng;
  start?: Tensor2D;
  groupSize: number;
  diagnostics: boolean;
  checkFinite: boolean;
  onStep?: (step: number, steps: number) => void;
}

/** Steps per native call: the whole chain, or about 1/16 of it when progress is reported. */
function stretchLength(steps: number, reporting: boolean): number {
  return reporting ? Math.max(1, Math.ceil(steps / 16)) : steps;
}

const asState = (s: ParticleState): FusedState => [
  s.z,
  s.logTarget,
  s.scoreTarget,
  s.logInitial,
  s.scoreInitial,
];

export function runFusedAis(options: FusedAisOptions): AnnealedResult {
  const { path, fusedPath, kernel, betas, particles, rng } = options;
  const spec = kernel.fused;
  const steps = betas.length - 1;
  const d = path.dim;
  let state: ParticleState = tf.tidy(() =>
    path.evaluate(options.start ? options.start.clone() : path.initial.sample(particles, rng)),
  );
  if (kernel.init) state = kernel.init(state, rng);
  let logW: Tensor = tf.zeros([particles]);
  const mass =
    spec.kind === 'uha'
      ? typeof spec.mass === 'number'
        ? tf.fill([d], spec.mass)
        : spec.mass
      : null;
  const readings = new Float32Array(steps * READINGS);
  const drawsPerStep = spec.kind === 'hmc' ? 2 : 1;
  const stretch = stretchLength(steps, options.onStep !== undefined);
  const ctx = (k: number): StepContext => ({ path, step: k, steps, beta: betas[k] as number });
  try {
    for (let k0 = 1; k0 <= steps; k0 += stretch) {
      const k1 = Math.min(steps, k0 + stretch - 1);
      const count = k1 - k0 + 1;
      const stepSizes = Array.from({ length: count }, (_, i) =>
        hostValue(perStepValue(spec.stepSize, ctx(k0 + i).step, `${spec.kind} step size`)),
      );
      const chainKernel: FusedChainKernel = {
        kind: spec.kind,
        stepSizes,
        leapfrogSteps: spec.kind === 'ula' ? 1 : spec.leapfrogSteps,
        eta: spec.kind === 'uha' ? hostValue(spec.eta) : undefined,
        mass: mass ?? undefined,
      };
      const out = fusedAisChain(
        fusedPath,
        asState(state),
        state.v ?? null,
        logW,
        chainKernel,
        betas.slice(k0 - 1, k1 + 1),
        rng.reserve(drawsPerStep * count),
        options.groupSize,
      );
      disposeState(state);
      logW.dispose();
      const [z, logTarget, scoreTarget, logInitial, scoreInitial] = out.state;
      state = {
        z: z as Tensor2D,
        logTarget: logTarget as Tensor1D,
        scoreTarget: scoreTarget as Tensor2D,
        logInitial: logInitial as Tensor1D,
        scoreInitial: scoreInitial as Tensor2D,
        ...(out.v ? { v: out.v as Tensor2D } : {}),
      };
      logW = out.logW;
      readings.set(out.stats, (k0 - 1) * READINGS);
      for (let k = k0; k <= k1; k++) options.onStep?.(k, steps);
    }
    if (!options.diagnostics) return { z: state.z.clone(), logW: logW as Tensor1D, perStep: [] };
    const table = diagnosticTable(readings, betas, options.groupSize, false);
    if (options.checkFinite) checkFinite(logW as Tensor1D, table);
    return { z: state.z.clone(), logW: logW as Tensor1D, perStep: table.perStep };
  } catch (error) {
    logW.dispose();
    throw error;
  } finally {
    disposeState(state);
    if (mass && spec.kind === 'uha' && mass !== spec.mass) mass.dispose();
  }
}
