// phi^4 scalar field theory on a periodic T x X lattice in the hopping parameterization
// (docs/targets.md): S(phi) = sum_x [ -2 kappa sum_mu phi_x phi_{x+mu} + (1 - 2 lambda) phi_x^2
// + lambda phi_x^4 ], mu over the two forward directions; the target is exp(-S). Neighbor sums are
// one matMul with a fixed [d, d] shift matrix (no slicing or rolling of lattice axes, which are slow
// on wasm). log Z is unknown. Sites are flattened row-major: index = t * X + x.
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { checkParticles, TargetError, type Target } from './target.js';
import { checkPositive, keptConstant } from './common.js';

export interface Phi4Options {
  /** Time extent T (default 16). */
  length?: number;
  /** Space extent X (default 8). */
  width?: number;
  /** Hopping parameter (default 0.3). */
  kappa?: number;
  /** Quartic coupling (default 0.022). */
  lambda?: number;
}

export const PHI4_DEFAULTS = { length: 16, width: 8, kappa: 0.3, lambda: 0.022 } as const;

/** Row-major [d, d] matrix F with (phi F)_x = sum over the forward neighbors x + mu of phi. */
export function forwardShiftMatrix(length: number, width: number): Float64Array {
  const d = length * width;
  const f = new Float64Array(d * d);
  for (let t = 0; t < length; t++) {
    for (let x = 0; x < width; x++) {
      const i = t * width + x;
      const up = ((t + 1) % length) * width + x;
      const right = t * width + ((x + 1) % width);
      // (phi F)_i = sum_j phi_j F[j, i]: column i collects the neighbors of i.
      f[up * d + i] = (f[up * d + i] as number) + 1;
      f[right * d + i] = (f[right * d + i] as number) + 1;
    }
  }
  return f;
}

export class Phi4Target implements Target {
  readonly name = 'phi4';
  readonly dim: number;
  readonly length: number;
  readonly width: number;
  readonly kappa: number;
  readonly lambda: number;
  private readonly forward: Tensor2D;
  private readonly both: Tensor2D;

  constructor(options: Phi4Options = {}) {
    this.length = options.length ?? PHI4_DEFAULTS.length;
    this.width = options.width ?? PHI4_DEFAULTS.width;
    this.kappa = options.kappa ?? PHI4_DEFAULTS.kappa;
    this.lambda = options.lambda ?? PHI4_DEFAULTS.lambda;
    for (const [label, v] of [
      ['length', this.length],
      ['width', this.width],
    ] as const) {
      if (!Number.isInteger(v) || v < 2) {
        throw new TargetError(`target 'phi4': ${label} must be an integer >= 2, got ${v}`);
      }
    }
    checkPositive('phi4', 'kappa', this.kappa);
    checkPositive('phi4', 'lambda', this.lambda);
    this.dim = this.length * this.width;
    const f = forwardShiftMatrix(this.length, this.width);
    const d = this.dim;
    const both = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) both[i * d + j] = f[i * d + j]! + f[j * d + i]!;
    this.forward = keptConstant(f, [d, d]) as Tensor2D;
    this.both = keptConstant(both, [d, d]) as Tensor2D;
  }

  /** The action S(phi) per row. */
  action(phi: Tensor2D): Tensor1D {
    checkParticles(this, phi);
    return tf.tidy(() => {
      const sq = tf.square(phi);
      const hop = tf.sum(tf.mul(phi, tf.matMul(phi, this.forward)), -1);
      const local = tf.sum(
        tf.add(tf.mul(1 - 2 * this.lambda, sq), tf.mul(this.lambda, tf.square(sq))),
        -1,
      );
      return tf.add(tf.mul(-2 * this.kappa, hop), local) as Tensor1D;
    });
  }

  logProb(phi: Tensor2D): Tensor1D {
    return tf.tidy(() => tf.neg(this.action(phi)) as Tensor1D);
  }

  /** -dS/dphi = 2 kappa (sum of all four neighbors) - 2 (1 - 2 lambda) phi - 4 lambda phi^3. */
  score(phi: Tensor2D): Tensor2D {
    checkParticles(this, phi);
    return tf.tidy(() => {
      const neighbors = tf.matMul(phi, this.both);
      const local: Tensor = tf.add(
        tf.mul(2 * (1 - 2 * this.lambda), phi),
        tf.mul(4 * this.lambda, tf.mul(phi, tf.square(phi))),
      );
      return tf.sub(tf.mul(2 * this.kappa, neighbors), local) as Tensor2D;
    });
  }

  dispose(): void {
    this.forward.dispose();
    this.both.dispose();
  }
}
