// A hierarchical logistic regression written as a target module for `anneal logz --target-module`:
// 500 observations of 20 covariates, y_i ~ Bernoulli(sigmoid(x_i . w)), w_j ~ N(0, sigma^2) with a
// shared prior scale, log sigma ~ N(0, 1). Parameters (log sigma, w_1..w_20), dim 21. The log
// density is a matrix product of the particles against the data set, a softplus over every
// (particle, observation) pair and a few reductions: the shape of most users' models, and the
// bench's workload for a user's own target (bench/userTarget.ts; bench/peers/user_target.py is the
// same model in PyTorch).
//
// The data are made here from a fixed formula (no file, no random stream), so the PyTorch
// reference builds the same numbers: x_ij = sin(1.3 i + 0.7 j + 0.01 i j), a true weight vector
// cos(j), and y_i = 1 where sin(2.1 i) + x_i . w* > 0.
import { tf } from 'anneal';

const ROWS = 500;
const COVARIATES = 20;
const LOG_2PI = Math.log(2 * Math.PI);

const xs = new Float32Array(ROWS * COVARIATES);
const ys = new Float32Array(ROWS);
for (let i = 0; i < ROWS; i++) {
  let eta = Math.sin(2.1 * i);
  for (let j = 0; j < COVARIATES; j++) {
    const x = Math.sin(1.3 * i + 0.7 * j + 0.01 * i * j);
    xs[i * COVARIATES + j] = x;
    eta += x * Math.cos(j);
  }
  ys[i] = eta > 0 ? 1 : 0;
}
// Kept for the life of the process: the module's data, not a per-call temporary.
const xT = tf.keep(tf.transpose(tf.tensor2d(xs, [ROWS, COVARIATES])));
const y = tf.keep(tf.tensor1d(ys));

export default {
  name: 'hierarchical-logistic',
  dim: COVARIATES + 1,
  logProb: (z) =>
    tf.tidy(() => {
      const logSigma = z.slice([0, 0], [-1, 1]);
      const w = z.slice([0, 1], [-1, COVARIATES]);
      // log N(log sigma; 0, 1) + sum_j log N(w_j; 0, sigma^2)
      const logPrior = logSigma
        .square()
        .mul(-0.5)
        .sub(logSigma.mul(COVARIATES))
        .sub(0.5 * (COVARIATES + 1) * LOG_2PI)
        .sub(w.square().sum(1, true).mul(0.5).div(logSigma.mul(2).exp()));
      // sum_i y_i eta_i - softplus(eta_i), with eta = w X^T [N, 500]
      const eta = tf.matMul(w, xT);
      const logLik = tf.sum(tf.sub(tf.mul(eta, y), tf.softplus(eta)), 1, true);
      return logPrior.add(logLik).reshape([-1]);
    }),
};
