// The public annealed samplers: AIS, SMC (AIS with resampling) and their awaited variants, all
// one driver (chain.ts) over one step (step.ts).
import { runChain, runChainAsync, type AisOptions } from './chain.js';
import { NonFiniteWeightsError, type StepDiagnostics } from './diagnostics.js';
import type { ResamplingOptions } from './resampling.js';
import type { AnnealedResult } from './result.js';
import type { Rng } from '../engine/index.js';
import { checkOptionKeys, keyList, streamOf } from '../io/entryOptions.js';
import { KernelError } from './kernels/kernel.js';

export { NonFiniteWeightsError, type StepDiagnostics, type AnnealedResult, type AisOptions };
export { divergences } from './diagnostics.js';

/**
 * Annealed importance sampling. Each step adds the AIS increment log gamma_k(z) - log gamma_{k-1}(z),
 * moves particles with a kernel targeting gamma_k and adds the kernel's correction (zero for MH
 * kernels). After step k the weights are importance weights for gamma_k, so the running log Z and
 * ESS are meaningful at every step. Nothing is read back to the host until the end.
 */
export function runAis(options: AisRunOptions): AnnealedResult {
  return runChain(chainOptions('runAis', options));
}

/**
 * runAis with its one host read (the per-step diagnostics) awaited instead of synchronous: the
 * same result, and the way to run a chain on backends that cannot read GPU memory synchronously
 * (webgpu).
 */
export function runAisAsync(options: AisRunOptions): Promise<AnnealedResult> {
  return runChainAsync(chainOptions('runAisAsync', options));
}

/** SMC sampler: annealed importance sampling with resampling (Del Moral et al. 2006). */
export function runSmc(options: AisRunOptions & { resampling: ResamplingOptions }): AnnealedResult {
  return runChain(chainOptions('runSmc', options));
}

/** What runAis, runAisAsync and runSmc take: AisOptions, with a `seed` in place of `rng` if wished. */
export type AisRunOptions = Omit<AisOptions, 'rng'> & { rng?: Rng; seed?: number };

const AIS_RUN_KEYS = keyList<AisRunOptions>()([
  'path',
  'kernel',
  'betas',
  'schedule',
  'particles',
  'rng',
  'seed',
  'diagnostics',
  'checkFinite',
  'onStep',
  'onReading',
  'resampling',
  'start',
  'reverse',
  'trace',
  'beforeStep',
]);

function chainOptions(where: string, options: AisRunOptions): AisOptions {
  const error = (m: string) => new KernelError(m);
  checkOptionKeys(where, options, AIS_RUN_KEYS, error);
  const { seed: _seed, ...rest } = options;
  return { ...rest, rng: streamOf(where, options, error) };
}
