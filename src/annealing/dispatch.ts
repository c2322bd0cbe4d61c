// The one place that decides how a kernel's step runs: the first of the kernel kind's registered
// fast paths (kernels/fastPaths.ts) that applies, else the kernel's own reference step; and, for a
// whole chain, whether it can run as fused native stretches. Kernels and drivers never ask where
// they run; the reasons a path was passed over are kept for the report line (fastPathReport).
import type { FusedPath, Rng } from '../engine/index.js';
import type { ChainKernelSpec, KernelFastPaths, StepFastPath } from './kernels/fastPath.js';
import { FAST_PATHS } from './kernels/fastPaths.js';
import type { KernelStepResult, StepContext, TransitionKernel } from './kernels/kernel.js';
import type { AnnealingPath, ParticleState } from './path.js';

/** The name the report gives a kernel's own TF.js step. */
export const REFERENCE_PATH = 'reference ops';
/** The name the report gives whole-chain native stretches. */
export const CHAIN_PATH = 'native chain';

function fastPathsOf(kernel: TransitionKernel): KernelFastPaths<unknown> | undefined {
  if (kernel.kind === undefined || kernel.params === undefined) return undefined;
  return FAST_PATHS[kernel.kind] as KernelFastPaths<unknown> | undefined;
}

/** A kernel's step as the dispatch resolved it for one path. */
export type Move = (state: ParticleState, ctx: StepContext, rng: Rng) => KernelStepResult;

/**
 * The kernel's step on `path`, taken by the fastest registered path that applies now. What decides
 * it (backend, native kernels, gradient tape, the path's native form) holds for a whole chain, so
 * a driver resolves it once and calls the result at every step.
 */
export function resolveMove(kernel: TransitionKernel, path: AnnealingPath): Move {
  const paths = fastPathsOf(kernel);
  for (const p of (paths?.steps ?? []) as readonly StepFastPath<unknown>[]) {
    if (p.unavailable(kernel.params, path) === null) {
      return (state, ctx, rng) => p.step(kernel.params, state, ctx, rng);
    }
  }
  return (state, ctx, rng) => kernel.step(state, ctx, rng);
}

/** The kernel's step, taken by the fastest registered path that applies now. */
export function transition(
  kernel: TransitionKernel,
  state: ParticleState,
  ctx: StepContext,
  rng: Rng,
): KernelStepResult {
  return resolveMove(kernel, ctx.path)(state, ctx, rng);
}

/** What a chain driver knows about a run when it decides whether the whole chain can go native. */
export interface ChainConditions {
  /** The chain resamples (SMC). */
  resampling: boolean;
  /** Every particle is kept at every step. */
  trace: boolean;
  /** The whole schedule is known before the chain starts. */
  scheduleKnown: boolean;
}

/** The kernel as a native chain kernel and the path's native form, or why the chain cannot go native. */
export function chainPath(
  kernel: TransitionKernel,
  path: AnnealingPath,
  conditions: ChainConditions,
): { spec: ChainKernelSpec; fusedPath: FusedPath } | { reason: string } {
  if (conditions.resampling) return { reason: 'the chain resamples' };
  if (conditions.trace) return { reason: 'the chain keeps a trace' };
  if (!conditions.scheduleKnown) return { reason: 'the schedule is chosen as the chain runs' };
  const chain = fastPathsOf(kernel)?.chain;
  if (!chain) return { reason: `kernel '${kernel.name}' has no native chain` };
  const spec = chain(kernel.params);
  if (typeof spec === 'string') return { reason: spec };
  const fusedPath = path.fused();
  return fusedPath ? { spec, fusedPath } : { reason: path.fusedUnavailable() ?? 'no native form' };
}

/** One line of the report: a way the chain could run, and why it did not, if it did not. */
export interface PathChoice {
  name: string;
  chosen: boolean;
  /** Why this path was not taken (null for the chosen path and for paths after it). */
  reason: string | null;
}

/**
 * How a chain of `kernel` on `path` runs under the current engine state (backend, native kernels,
 * gradient tape), fastest path first: which one is taken, and why each one before it is not.
 */
export function fastPathReport(
  kernel: TransitionKernel,
  path: AnnealingPath,
  conditions: ChainConditions,
): PathChoice[] {
  const out: PathChoice[] = [];
  let chosen = false;
  const add = (name: string, reason: string | null) => {
    out.push({ name, chosen: !chosen && reason === null, reason: chosen ? null : reason });
    if (reason === null) chosen = true;
  };
  const chain = chainPath(kernel, path, conditions);
  add(CHAIN_PATH, 'reason' in chain ? chain.reason : null);
  const paths = fastPathsOf(kernel);
  for (const p of (paths?.steps ?? []) as readonly StepFastPath<unknown>[]) {
    add(p.name, p.unavailable(kernel.params, path));
  }
  add(REFERENCE_PATH, null);
  return out;
}

/** The report as one line: 'native step (not native chain: the chain resamples)'. */
export function describePaths(choices: readonly PathChoice[]): string {
  const taken = choices.find((c) => c.chosen);
  const passed = choices.filter((c) => !c.chosen && c.reason !== null);
  const why = passed.map((c) => `${c.name}: ${c.reason}`).join('; ');
  return why ? `${taken?.name ?? REFERENCE_PATH} (not ${why})` : (taken?.name ?? REFERENCE_PATH);
}
