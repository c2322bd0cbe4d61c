import type { Tensor1D, Tensor2D, Tensor3D } from '../engine/index.js';
import type { StepDiagnostics } from './diagnostics.js';

/** What an annealed chain returns (AIS, SMC, BDMC's reverse chain). */
export interface AnnealedResult {
  /** Final particles [N, dim]. */
  z: Tensor2D;
  /**
   * Log importance weights [N]; log Z estimate = logMeanExp(logW), ELBO = mean(logW). For SMC,
   * each system's running log-normalizer is folded in, so logMeanExp over a system of N particles
   * is that system's SMC estimate of log Z, and over all particles the mean of their estimates.
   */
  logW: Tensor1D;
  perStep: StepDiagnostics[];
  /**
   * With `trace`: the particles before step 1 and after every step, [K+1, N, dim] (after SMC
   * resampling, rows follow their ancestors). Owned by the caller.
   */
  trace?: Tensor3D;
}
