// The "seeds" random-effects logistic regression (Crowder 1978; a BUGS example): germination counts
// R_j of N_j seeds on 21 plates, two binary factors X1 (seed type) and X2 (root extract),
//   tau ~ Gamma(0.01, rate 0.01),  a_0, a_1, a_2, a_12 ~ N(0, 10^2),  b_j ~ N(0, 1 / tau),
//   R_j ~ Binomial(N_j, sigmoid(a_0 + a_1 X1_j + a_2 X2_j + a_12 X1_j X2_j + b_j)),
// as the standard sampler benchmark defines it: the 26 coordinates are
//   z = [a_0, a_1, a_12, a_2, b_1..b_21, log tau]
// (the benchmark flattens its named parameters in sorted order, hence a_12 before a_2), and the
// density is over log tau, so it includes the Jacobian log tau. Every term is normalized (binomial
// coefficients included), so log Z is the model's log marginal likelihood.
import { tf, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { keptConstant, LOG_2PI } from './common.js';
import { logGamma } from './special.js';
import { checkParticles, type Target } from './target.js';

/** Germinated seeds R and seeds N per plate, with the plate's factors. */
export const SEEDS_DATA = {
  R: [10, 23, 23, 26, 17, 5, 53, 55, 32, 46, 10, 8, 10, 8, 23, 0, 3, 22, 15, 32, 3],
  N: [39, 62, 81, 51, 39, 6, 74, 72, 51, 79, 13, 16, 30, 28, 45, 4, 12, 41, 30, 51, 7],
  X1: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  X2: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
} as const;

const PLATES = SEEDS_DATA.R.length;
/** Gamma(shape, rate) prior of the random-effect precision tau. */
const TAU_SHAPE = 0.01;
const TAU_RATE = 0.01;
/** Standard deviation of the fixed effects' normal prior. */
const EFFECT_SCALE = 10;

export class SeedsTarget implements Target {
  readonly name = 'seeds';
  readonly dim = 4 + PLATES + 1;
  /** The logits' design for the fixed effects (a_0, a_1, a_12, a_2, in z's order), 4 x 21. */
  private readonly design: Tensor2D;
  private readonly designT: Tensor2D;
  private readonly counts: Tensor2D;
  private readonly trials: Tensor2D;
  /** Every term of log gamma that does not depend on z. */
  private readonly constant: number;

  constructor() {
    const { R, N, X1, X2 } = SEEDS_DATA;
    const rows = [R.map(() => 1), [...X1], X1.map((x, j) => x * (X2[j] as number)), [...X2]];
    this.design = keptConstant(rows.flat(), [4, PLATES]) as Tensor2D;
    this.designT = keptConstant(
      Array.from({ length: PLATES }, (_, j) => rows.map((r) => r[j] as number)).flat(),
      [PLATES, 4],
    ) as Tensor2D;
    this.counts = keptConstant(R, [1, PLATES]) as Tensor2D;
    this.trials = keptConstant(N, [1, PLATES]) as Tensor2D;
    let logBinomials = 0;
    for (let j = 0; j < PLATES; j++) {
      const n = N[j] as number;
      const r = R[j] as number;
      logBinomials += logGamma(n + 1) - logGamma(r + 1) - logGamma(n - r + 1);
    }
    this.constant =
      logBinomials +
      // log Gamma(tau) normalizer; the four N(0, 10^2) normalizers; the 21 N(0, 1/tau) normalizers
      TAU_SHAPE * Math.log(TAU_RATE) -
      logGamma(TAU_SHAPE) -
      4 * (0.5 * LOG_2PI + Math.log(EFFECT_SCALE)) -
      PLATES * 0.5 * LOG_2PI;
  }

  /** The pieces of z both logProb and score use. */
  private parts(z: Tensor2D) {
    const n = z.shape[0];
    const a = tf.slice(z, [0, 0], [n, 4]) as Tensor2D;
    const b = tf.slice(z, [0, 4], [n, PLATES]) as Tensor2D;
    const logTau = tf.reshape(tf.slice(z, [0, 4 + PLATES], [n, 1]), [n]) as Tensor1D;
    const logits = tf.add(tf.matMul(a, this.design), b) as Tensor2D;
    return { n, a, b, logTau, tau: tf.exp(logTau), logits };
  }

  logProb(z: Tensor2D): Tensor1D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { a, b, logTau, tau, logits } = this.parts(z);
      // sum_j R_j l_j - N_j softplus(l_j)
      const likelihood = tf.sum(
        tf.sub(tf.mul(this.counts, logits), tf.mul(this.trials, tf.softplus(logits))),
        -1,
      );
      const effects = tf.mul(-0.5 / (EFFECT_SCALE * EFFECT_SCALE), tf.sum(tf.square(a), -1));
      // sum_j log N(b_j; 0, 1/tau) without its constant: 21/2 log tau - tau/2 sum b^2
      const randomEffects = tf.sub(
        tf.mul(0.5 * PLATES, logTau),
        tf.mul(0.5, tf.mul(tau, tf.sum(tf.square(b), -1))),
      );
      // log Gamma(tau) + log tau (the Jacobian): shape log tau - rate tau
      const precision = tf.sub(tf.mul(TAU_SHAPE, logTau), tf.mul(TAU_RATE, tau));
      return tf.add(
        tf.addN([likelihood, effects, randomEffects, precision]),
        this.constant,
      ) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    checkParticles(this, z);
    return tf.tidy(() => {
      const { n, a, b, tau, logits } = this.parts(z);
      // d/dl_j = R_j - N_j sigmoid(l_j)
      const residual = tf.sub(this.counts, tf.mul(this.trials, tf.sigmoid(logits))) as Tensor2D;
      const dA = tf.sub(
        tf.matMul(residual, this.designT),
        tf.mul(1 / (EFFECT_SCALE * EFFECT_SCALE), a),
      );
      const tauColumn = tf.reshape(tau, [n, 1]);
      const dB = tf.sub(residual, tf.mul(tauColumn, b));
      // d/d log tau = 21/2 - tau/2 sum b^2 + shape - rate tau
      const dLogTau = tf.add(
        tf.sub(
          tf.mul(-0.5, tf.mul(tauColumn, tf.sum(tf.square(b), -1, true))),
          tf.mul(TAU_RATE, tauColumn),
        ),
        0.5 * PLATES + TAU_SHAPE,
      );
      return tf.concat([dA, dB, dLogTau], 1) as Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.design, this.designT, this.counts, this.trials]);
  }
}

/** The seeds random-effects logistic regression (26-d, log Z unknown). */
export function seedsTarget(): SeedsTarget {
  return new SeedsTarget();
}
