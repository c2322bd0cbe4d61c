// What likelihood evaluation needs of a latent-variable model p(x, z) = p(z) p(x|z): the joint
// log density of paired rows (x_i, z_i) and, for simulated data (BDMC), draws of (z, x) from the
// model. The prior must be N(0, I): AIS evaluation anneals from it. The models that offer it (the
// VAE, the linear-Gaussian model) live in src/models/, which re-exports this interface.
import type { Rng, Tensor1D, Tensor2D } from '../engine/index.js';
import type { Target } from '../targets/target.js';

export interface LatentVariableModel {
  readonly dataDim: number;
  readonly latentDim: number;
  /** log p(x_i, z_i) for paired rows x [N, dataDim], z [N, latentDim]. */
  logJoint(x: Tensor2D, z: Tensor2D): Tensor1D;
  /**
   * The posterior of paired rows as a target over z, where the model has a faster form than
   * autodiff of logJoint (e.g. a closed-form score); absent: built from logJoint.
   */
  posterior?(x: Tensor2D): Target;
  /** n draws (z, x) from the model: z ~ N(0, I), x ~ p(x|z). */
  simulate(n: number, rng: Rng): { z: Tensor2D; x: Tensor2D };
}
