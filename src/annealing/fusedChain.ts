// AIS as fused native chains (src/engine/fused.ts): where the path and the kernel allow it (a
// closed-form native target, a diagonal Gaussian initial distribution, a kernel with a native
// chain registered (dispatch.ts, chainPath), no resampling, no trace, no gradient tape), the chain
// driver hands stretches of the chain to one native call each instead of running 40-400 TF.js
// ops per step. The random stream
// is consumed exactly as the op-by-op chain consumes it, and the results agree with it to float32
// accuracy (test/fused.test.ts).
import {
  tf,
  fusedAisChain,
  STEP_READINGS,
  type FusedChainKernel,
  type FusedPath,
  type FusedState,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { checkFinite, diagnosticTable } from './diagnostics.js';
import type { ChainKernelSpec } from './kernels/fastPath.js';
import type { TransitionKernel } from './kernels/kernel.js';
import { disposeState, type AnnealingPath, type ParticleState } from './path.js';
import type { AnnealedResult } from './result.js';
import { hostValue, perStepValue } from './stepValue.js';

export interface FusedAisOptions {
  path: AnnealingPath;
  fusedPath: FusedPath;
  kernel: TransitionKernel;
  /** The kernel as the native chain runs it (dispatch.ts, chainPath). */
  spec: ChainKernelSpec;
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
  const spec = options.spec;
  const steps = betas.length - 1;
  const d = path.dim;
  let state: ParticleState = tf.tidy(() =>
    path.evaluate(options.start ? options.start.clone() : path.initial.sample(particles, rng)),
  );
  if (kernel.init) state = kernel.init(state, rng);
  let logW: Tensor = tf.zeros([particles]);
  const mass =
    spec.mass === undefined
      ? null
      : typeof spec.mass === 'number'
        ? tf.fill([d], spec.mass)
        : spec.mass;
  const readings = new Float32Array(steps * STEP_READINGS);
  const stretch = stretchLength(steps, options.onStep !== undefined);
  try {
    for (let k0 = 1; k0 <= steps; k0 += stretch) {
      const k1 = Math.min(steps, k0 + stretch - 1);
      const count = k1 - k0 + 1;
      const stepSizes = Array.from({ length: count }, (_, i) =>
        hostValue(perStepValue(spec.stepSize, k0 + i, `${kernel.name} step size`)),
      );
      const chainKernel: FusedChainKernel = {
        id: spec.id,
        stepSizes,
        leapfrogSteps: spec.leapfrogSteps,
        eta: spec.eta === undefined ? undefined : hostValue(spec.eta),
        mass: mass ?? undefined,
      };
      const out = fusedAisChain(
        fusedPath,
        asState(state),
        state.v ?? null,
        logW,
        chainKernel,
        betas.slice(k0 - 1, k1 + 1),
        rng.reserve(spec.draws * count),
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
      readings.set(out.stats, (k0 - 1) * STEP_READINGS);
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
    if (mass && mass !== spec.mass) mass.dispose();
  }
}
