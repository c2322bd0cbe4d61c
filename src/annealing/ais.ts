// The public annealed samplers: AIS, SMC (AIS with resampling) and their awaited variants, all
// one driver (chain.ts) over one step (step.ts).
import { runChain, runChainAsync, type AisOptions } from './chain.js';
import { NonFiniteWeightsError, type StepDiagnostics } from './diagnostics.js';
import type { ResamplingOptions } from './resampling.js';
import type { AnnealedResult } from './result.js';

export { NonFiniteWeightsError, type StepDiagnostics, type AnnealedResult, type AisOptions };
export { divergences } from './diagnostics.js';

/**
 * Annealed importance sampling. Each step adds the AIS increment log gamma_k(z) - log gamma_{k-1}(z),
 * moves particles with a kernel targeting gamma_k and adds the kernel's correction (zero for MH
 * kernels). After step k the weights are importance weights for gamma_k, so the running log Z and
 * ESS are meaningful at every step. Nothing is read back to the host until the end.
 */
export function runAis(options: AisOptions): AnnealedResult {
  return runChain(options);
}

/**
 * runAis with its one host read (the per-step diagnostics) awaited instead of synchronous: the
 * same result, and the way to run a chain on backends that cannot read GPU memory synchronously
 * (webgpu).
 */
export function runAisAsync(options: AisOptions): Promise<AnnealedResult> {
  return runChainAsync(options);
}

/** SMC sampler: annealed importance sampling with resampling (Del Moral et al. 2006). */
export function runSmc(options: AisOptions & { resampling: ResamplingOptions }): AnnealedResult {
  return runAis(options);
}
