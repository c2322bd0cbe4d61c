// Compact U(1) gauge theory on a periodic L x L lattice (docs/targets.md): link angles theta_mu(s),
// mu in {0, 1}, Wilson action S = -beta sum_s cos P(s) with the plaquette
// P(s) = theta_0(s) + theta_1(s + e0) - theta_0(s + e1) - theta_1(s). The target is exp(-S) on the
// torus [0, 2 pi)^(2 L^2); the density is periodic in every angle, so points need not be wrapped.
// Links are flattened as index = mu * V + s, sites s = t * L + x (row-major, t along e0). Plaquettes
// are one matMul with a fixed [2V, V] incidence matrix of +-1 (no lattice rolls, slow on wasm).
//
// log Z is exact in 2-d: expanding exp(beta cos P) = sum_n I_n(beta) e^{i n P}, each link integral
// forces all plaquettes to the same n on the torus, so Z = (2 pi)^(2V) sum_n I_n(beta)^V.
import { tf, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { checkParticles, TargetError, type Target } from './target.js';
import { checkPositive, keptConstant } from './common.js';
import { logGamma } from './special.js';

export interface U1Options {
  /** Lattice extent L in both directions (default 16); dim = 2 L^2. */
  width?: number;
  /** Inverse coupling beta (default 3). */
  beta?: number;
}

export const U1_DEFAULTS = { width: 16, beta: 3 } as const;

/** log I_n(x), the modified Bessel function of the first kind, by its power series (x > 0). */
export function logBesselI(n: number, x: number): number {
  const order = Math.abs(n);
  const half = Math.log(x / 2);
  let max = -Infinity;
  const terms: number[] = [];
  for (let k = 0; k < 10000; k++) {
    const t = (2 * k + order) * half - logGamma(k + 1) - logGamma(k + order + 1);
    terms.push(t);
    if (t > max) max = t;
    // Terms rise until k ~ x/2 and then fall faster than geometrically.
    if (k > x && t < max - 40) break;
  }
  return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
}

/** Exact log Z of the 2-d periodic U(1) Wilson action with V = L^2 plaquettes. */
export function u1LogZ(width: number, beta: number): number {
  const v = width * width;
  const logI0 = logBesselI(0, beta);
  // sum_n (I_n / I_0)^V, n = 0, +-1, ...: terms fall fast since I_n < I_0.
  let sum = 1;
  for (let n = 1; n < 1000; n++) {
    const term = Math.exp(v * (logBesselI(n, beta) - logI0));
    sum += 2 * term;
    if (term < 1e-17) break;
  }
  return 2 * v * Math.log(2 * Math.PI) + v * logI0 + Math.log(sum);
}

/** The [2V, V] incidence matrix B with P = theta B (row-major). */
export function plaquetteMatrix(width: number): Float64Array {
  const v = width * width;
  const b = new Float64Array(2 * v * v);
  const site = (t: number, x: number) => ((t + width) % width) * width + ((x + width) % width);
  for (let t = 0; t < width; t++) {
    for (let x = 0; x < width; x++) {
      const s = site(t, x);
      const add = (link: number, sign: number) => {
        b[link * v + s] = (b[link * v + s] as number) + sign;
      };
      add(s, 1); // theta_0(s)
      add(v + site(t + 1, x), 1); // theta_1(s + e0)
      add(site(t, x + 1), -1); // theta_0(s + e1)
      add(v + s, -1); // theta_1(s)
    }
  }
  return b;
}

export class U1Target implements Target {
  readonly name = 'u1';
  readonly dim: number;
  readonly width: number;
  readonly beta: number;
  readonly logZ: number;
  private readonly incidence: Tensor2D;
  private readonly incidenceT: Tensor2D;

  constructor(options: U1Options = {}) {
    this.width = options.width ?? U1_DEFAULTS.width;
    this.beta = options.beta ?? U1_DEFAULTS.beta;
    if (!Number.isInteger(this.width) || this.width < 2) {
      throw new TargetError(`target 'u1': width must be an integer >= 2, got ${this.width}`);
    }
    checkPositive('u1', 'beta', this.beta);
    const v = this.width * this.width;
    this.dim = 2 * v;
    this.logZ = u1LogZ(this.width, this.beta);
    const b = plaquetteMatrix(this.width);
    const bt = new Float64Array(b.length);
    for (let i = 0; i < 2 * v; i++) for (let j = 0; j < v; j++) bt[j * 2 * v + i] = b[i * v + j]!;
    this.incidence = keptConstant(b, [2 * v, v]) as Tensor2D;
    this.incidenceT = keptConstant(bt, [v, 2 * v]) as Tensor2D;
  }

  /** Plaquette angles P per row [N, V] (not wrapped). */
  plaquettes(theta: Tensor2D): Tensor2D {
    checkParticles(this, theta);
    return tf.matMul(theta, this.incidence);
  }

  logProb(theta: Tensor2D): Tensor1D {
    return tf.tidy(() => tf.mul(this.beta, tf.sum(tf.cos(this.plaquettes(theta)), -1)) as Tensor1D);
  }

  /** grad log p = -beta sin(P) B^T: each link collects the signed sines of its two plaquettes. */
  score(theta: Tensor2D): Tensor2D {
    return tf.tidy(
      () =>
        tf.mul(-this.beta, tf.matMul(tf.sin(this.plaquettes(theta)), this.incidenceT)) as Tensor2D,
    );
  }

  dispose(): void {
    this.incidence.dispose();
    this.incidenceT.dispose();
  }
}
