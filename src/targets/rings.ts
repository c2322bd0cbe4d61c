// Concentric rings in the plane: gamma(x) = (1/m) sum_i exp(-(|x| - r_i)^2 / (2 s^2)) with radii
// r_i = i * spacing, i = 1..m. A 2-d picture of multimodality that no straight path crosses
// easily: mass sits on thin circles separated by empty annuli. log Z in closed form: in polar
// coordinates each ring contributes 2 pi [s^2 exp(-r^2 / 2 s^2) + r s sqrt(2 pi) Phi(r / s)].
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { checkParticles, TargetError, type Target } from './target.js';
import { checkPositive } from './common.js';

export interface RingsOptions {
  /** Number of rings m (default 3). */
  rings?: number;
  /** Radius of the first ring and the gap between rings (default 1). */
  spacing?: number;
  /** Variance s^2 of the radial profile (default 0.02: rings of width ~0.14). */
  sigma2?: number;
}

/** Phi(x), the standard normal CDF (Abramowitz & Stegun 7.1.26 for erf; |error| < 1e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export class RingsTarget implements Target {
  readonly name = 'rings';
  readonly dim = 2;
  readonly logZ: number;
  readonly radii: number[];
  readonly sigma2: number;
  /** Each ring's share of the mass, for exact sampling. */
  private readonly ringWeights: number[];

  constructor(options: RingsOptions = {}) {
    const m = options.rings ?? 3;
    const spacing = options.spacing ?? 1;
    this.sigma2 = options.sigma2 ?? 0.02;
    if (!Number.isInteger(m) || m < 1) {
      throw new TargetError(`target 'rings': rings must be a positive integer, got ${m}`);
    }
    checkPositive(this.name, 'spacing', spacing);
    checkPositive(this.name, 'sigma2', this.sigma2);
    this.radii = Array.from({ length: m }, (_, i) => (i + 1) * spacing);
    const s = Math.sqrt(this.sigma2);
    const masses = this.radii.map(
      (r) =>
        2 *
        Math.PI *
        (this.sigma2 * Math.exp(-(r * r) / (2 * this.sigma2)) +
          r * s * Math.sqrt(2 * Math.PI) * normalCdf(r / s)),
    );
    const z = masses.reduce((a, b) => a + b, 0);
    this.ringWeights = masses.map((w) => w / z);
    this.logZ = Math.log(z / m);
  }

  /** Per-ring log terms [N, m] and the radius [N] (floored at 1e-12 away from the origin). */
  private terms(z: Tensor2D): { logTerms: Tensor2D; rho: Tensor1D } {
    const rho = tf.sqrt(tf.add(tf.sum(tf.square(z), -1), 1e-24)) as Tensor1D;
    const diff = tf.sub(tf.expandDims(rho, 1), tf.tensor2d([this.radii]));
    const logTerms = tf.sub(
      tf.mul(-0.5 / this.sigma2, tf.square(diff)),
      Math.log(this.radii.length),
    ) as Tensor2D;
    return { logTerms, rho };
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => tf.logSumExp(this.terms(z).logTerms, 1) as Tensor1D);
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { logTerms, rho } = this.terms(z);
      // d log gamma / d rho = sum_i softmax_i * (r_i - rho) / s^2; times the unit vector x / rho.
      const resp = tf.softmax(logTerms, 1);
      const radii = tf.tensor2d([this.radii]);
      const dRho = tf.div(
        tf.sum(tf.mul(resp, tf.sub(radii, tf.expandDims(rho, 1))), 1),
        this.sigma2,
      );
      return tf.mul(z, tf.expandDims(tf.div(dRho, rho), 1)) as Tensor2D;
    });
  }

  /**
   * Exact draws: a ring by its mass, a uniform angle, and the radius r = r_i + s u, whose density
   * (r_i + s u) phi(u) on u > -r_i / s is sampled by rejection from the envelope
   * r_i phi(u) [u > -r_i/s] + s max(u, 0) phi(u) (a truncated normal plus a Rayleigh part),
   * accepted with probability (r_i + s u) / (r_i + s max(u, 0)) >= 1 + s u / r_i. Host-side.
   */
  sample(n: number, rng: Rng): Tensor2D {
    const s = Math.sqrt(this.sigma2);
    const out = new Float32Array(2 * n);
    const uniform = () => rng.uniformArray(1)[0] as number;
    const normal = () => rng.normalArray(1)[0] as number;
    for (let j = 0; j < n; j++) {
      let pick = uniform();
      let i = 0;
      while (i < this.radii.length - 1 && pick >= (this.ringWeights[i] as number)) {
        pick -= this.ringWeights[i] as number;
        i++;
      }
      const r0 = this.radii[i] as number;
      const a = r0 / s;
      const gaussianShare = (r0 * normalCdf(a)) / (r0 * normalCdf(a) + s / Math.sqrt(2 * Math.PI));
      const radius = ((): number => {
        for (;;) {
          let u: number;
          if (uniform() < gaussianShare) {
            do u = normal();
            while (u <= -a);
          } else {
            u = Math.sqrt(-2 * Math.log(1 - uniform()));
          }
          if (uniform() * (r0 + s * Math.max(u, 0)) <= r0 + s * u) return r0 + s * u;
        }
      })();
      const theta = 2 * Math.PI * uniform();
      out[2 * j] = radius * Math.cos(theta);
      out[2 * j + 1] = radius * Math.sin(theta);
    }
    return tf.tensor2d(out, [n, 2]) as Tensor2D;
  }
}
