// Brownian motion with unknown innovation and observation noise, observed at 20 of 30 times (the
// middle ten missing), as the standard sampler benchmark defines it:
//   sigma_x, sigma_y ~ LogNormal(0, 2),  x_0 ~ N(0, sigma_x^2),  x_t ~ N(x_{t-1}, sigma_x^2),
//   y_t ~ N(x_t, sigma_y^2) for the observed t,
// with the two scales reached through softplus from unconstrained coordinates, so the 32
// coordinates are z = [u_x, u_y, x_0..x_29] with sigma = softplus(u), and the density includes the
// Jacobian log sigmoid(u) of each. Every term is normalized, so log Z is the log evidence.
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { keptConstant, LOG_2PI } from './common.js';
import { checkParticles, type Target } from './target.js';

/**
 * The benchmark's observations (one draw of the model with sigma_x = 0.1, sigma_y = 0.15, made by
 * its authors and published with it); null where the time is unobserved.
 */
export const BROWNIAN_OBSERVATIONS: readonly (number | null)[] = [
  0.21592641,
  0.118771404,
  -0.07945447,
  0.037677474,
  -0.27885845,
  -0.1484156,
  -0.3250906,
  -0.22957903,
  -0.44110894,
  -0.09830782,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  -0.8786016,
  -0.83736074,
  -0.7384849,
  -0.8939254,
  -0.7774566,
  -0.70238715,
  -0.87771565,
  -0.51853573,
  -0.6948214,
  -0.6202789,
];

const STEPS = BROWNIAN_OBSERVATIONS.length;
/** Standard deviation of the scales' log-normal prior. */
const SCALE_PRIOR = 2;

export class BrownianTarget implements Target {
  readonly name = 'brownian';
  readonly dim = 2 + STEPS;
  /** The observations as 1 x 30 (0 where missing), and the mask of the observed times. */
  private readonly observed: Tensor2D;
  private readonly mask: Tensor2D;
  private readonly numObserved: number;

  constructor() {
    this.observed = keptConstant(
      BROWNIAN_OBSERVATIONS.map((y) => y ?? 0),
      [1, STEPS],
    ) as Tensor2D;
    this.mask = keptConstant(
      BROWNIAN_OBSERVATIONS.map((y) => (y === null ? 0 : 1)),
      [1, STEPS],
    ) as Tensor2D;
    this.numObserved = BROWNIAN_OBSERVATIONS.filter((y) => y !== null).length;
  }

  /** z split into the two raw scales [N, 1] each, the path [N, 30] and its increments. */
  private parts(z: Tensor2D) {
    const n = z.shape[0];
    const uX = tf.slice(z, [0, 0], [n, 1]);
    const uY = tf.slice(z, [0, 1], [n, 1]);
    const x = tf.slice(z, [0, 2], [n, STEPS]);
    // x_0 - 0, x_1 - x_0, ...: the innovations
    const previous = tf.concat([tf.zeros([n, 1]), tf.slice(x, [0, 0], [n, STEPS - 1])], 1);
    const innovations = tf.sub(x, previous);
    const residuals = tf.mul(tf.sub(x, this.observed), this.mask);
    return {
      n,
      uX,
      uY,
      sigmaX: tf.softplus(uX),
      sigmaY: tf.softplus(uY),
      innovations,
      residuals,
    };
  }

  /** log LogNormal(sigma; 0, 2^2) + log sigmoid(u), the prior density of u, [N, 1]. */
  private static logScalePrior(u: Tensor, sigma: Tensor): Tensor {
    const logSigma = tf.log(sigma);
    return tf.sub(
      tf.sub(
        tf.mul(-0.5 / (SCALE_PRIOR * SCALE_PRIOR), tf.square(logSigma)),
        tf.add(logSigma, 0.5 * LOG_2PI + Math.log(SCALE_PRIOR)),
      ),
      tf.softplus(tf.neg(u)),
    );
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { n, uX, uY, sigmaX, sigmaY, innovations, residuals } = this.parts(z);
      // sum of m normal log densities with one scale: -ss / (2 s^2) - m log s - m/2 log 2 pi
      const gaussian = (sumSquares: Tensor, sigma: Tensor, m: number) =>
        tf.sub(
          tf.mul(-0.5, tf.div(sumSquares, tf.square(sigma))),
          tf.add(tf.mul(m, tf.log(sigma)), 0.5 * m * LOG_2PI),
        );
      const path = gaussian(tf.sum(tf.square(innovations), -1, true), sigmaX, STEPS);
      const data = gaussian(tf.sum(tf.square(residuals), -1, true), sigmaY, this.numObserved);
      const priors = tf.add(
        BrownianTarget.logScalePrior(uX, sigmaX),
        BrownianTarget.logScalePrior(uY, sigmaY),
      );
      return tf.reshape(tf.addN([path, data, priors]), [n]) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { n, uX, uY, sigmaX, sigmaY, innovations, residuals } = this.parts(z);
      // d/d sigma of the Gaussian terms: ss / s^3 - m / s; of the prior: -(log s / 4 + 1) / s;
      // d sigma / du = sigmoid(u); the Jacobian adds d/du log sigmoid(u) = sigmoid(-u).
      const dScale = (u: Tensor, sigma: Tensor, sumSquares: Tensor, m: number) => {
        const dSigma = tf.sub(
          tf.div(sumSquares, tf.pow(sigma, 3)),
          tf.div(tf.add(tf.mul(1 / (SCALE_PRIOR * SCALE_PRIOR), tf.log(sigma)), 1 + m), sigma),
        );
        return tf.add(tf.mul(dSigma, tf.sigmoid(u)), tf.sigmoid(tf.neg(u)));
      };
      const dUX = dScale(uX, sigmaX, tf.sum(tf.square(innovations), -1, true), STEPS);
      const dUY = dScale(uY, sigmaY, tf.sum(tf.square(residuals), -1, true), this.numObserved);
      // The path: -(e_t - e_{t+1}) / sigma_x^2 - r_t / sigma_y^2, with e_30 = 0.
      const next = tf.concat([tf.slice(innovations, [0, 1], [n, STEPS - 1]), tf.zeros([n, 1])], 1);
      const dX = tf.sub(
        tf.neg(tf.div(tf.sub(innovations, next), tf.square(sigmaX))),
        tf.div(residuals, tf.square(sigmaY)),
      );
      return tf.concat([dUX, dUY, dX], 1) as Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.observed, this.mask]);
  }
}

/** Brownian motion with unknown scales and the middle ten observations missing (32-d). */
export function brownianTarget(): BrownianTarget {
  return new BrownianTarget();
}
