// The bijection contract of normalizing flows: rows of particles [N, d] map to rows, with the log
// absolute Jacobian determinant per row in both directions. `forwardWithScore` carries the score
// grad log q through the map in the same pass (the fast path gradient, Vaitl et al. 2024, Alg. 1);
// `inverseWithScore` carries a target's score back through the inverse (its forward-KL form).
import type { Tensor1D, Tensor2D } from '../engine/index.js';

export interface Bijection {
  readonly name: string;
  readonly dim: number;
  /** y = f(x) and log |det df/dx| per row. */
  forward(x: Tensor2D): { y: Tensor2D; logDet: Tensor1D };
  /** x = f^-1(y) and log |det df^-1/dy| per row (minus the forward log-determinant at x). */
  inverse(y: Tensor2D): { x: Tensor2D; logDet: Tensor1D };
  /**
   * The forward map and, for a density q on x with score g = grad_x log q(x), the score of the
   * pushed-forward density at y: grad_y [log q(x) - log |det df/dx|] = J^-T (g - grad_x log|det J|).
   * Not differentiable w.r.t. parameters (used as a constant); call it outside a gradient tape.
   */
  forwardWithScore(
    x: Tensor2D,
    score: Tensor2D,
  ): { y: Tensor2D; logDet: Tensor1D; score: Tensor2D };
  /**
   * The inverse map and, for a density p on y with score g = grad_y log p(y), the score of the
   * pulled-back density p(f(x)) |det df/dx| at x = f^-1(y): J^T g + grad_x log|det J| (the fast
   * forward-KL path gradient runs Alg. 1's recursion this way). `logDet` as in inverse(). A
   * constant for autodiff, like forwardWithScore.
   */
  inverseWithScore(
    y: Tensor2D,
    score: Tensor2D,
  ): { x: Tensor2D; logDet: Tensor1D; score: Tensor2D };
}

export class FlowError extends Error {
  override name = 'FlowError';
}
