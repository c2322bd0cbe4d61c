// A hierarchical normal model (the eight schools data), written as a target module for `anneal logz
// --target-module`: y_i ~ N(theta_i, sigma_i^2), theta_i = mu + tau eta_i with eta_i ~ N(0, 1),
// mu ~ N(0, 5^2), log tau ~ N(0, 1). Parameters (mu, log tau, eta_1..eta_8), dim 10. The target is
// the joint density of parameters and data, so log Z is the log evidence log p(y). Given tau, mu and
// the thetas integrate out in closed form, y ~ N(0, diag(sigma^2 + tau^2) + 25 1 1^T), which leaves
// one integral over log tau, done below by the trapezoid rule on a fine grid.
const y = [28, 8, -3, 7, -1, 1, 18, 12];
const sigma = [15, 10, 16, 11, 9, 11, 10, 18];
const muScale = 5;
const J = y.length;
const LOG_2PI = Math.log(2 * Math.PI);

/** log N(y; 0, D + s^2 1 1^T), D = diag(sigma^2 + tau^2), by the matrix determinant lemma. */
function logMarginal(tau) {
  let logDetD = 0;
  let sumInv = 0;
  let sumY = 0;
  let quad = 0;
  for (let i = 0; i < J; i++) {
    const d = sigma[i] ** 2 + tau ** 2;
    logDetD += Math.log(d);
    sumInv += 1 / d;
    sumY += y[i] / d;
    quad += y[i] ** 2 / d;
  }
  const c = 1 + muScale ** 2 * sumInv;
  const logDet = logDetD + Math.log(c);
  const q = quad - (muScale ** 2 * sumY ** 2) / c;
  return -0.5 * (J * LOG_2PI + logDet + q);
}

function logEvidence() {
  const lo = -12;
  const hi = 12;
  const n = 24000;
  const h = (hi - lo) / n;
  const terms = [];
  for (let k = 0; k <= n; k++) {
    const u = lo + k * h;
    const w = k === 0 || k === n ? 0.5 : 1;
    terms.push(Math.log(w * h) + logMarginal(Math.exp(u)) - 0.5 * u * u - 0.5 * LOG_2PI);
  }
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((s, t) => s + Math.exp(t - top), 0));
}

export default {
  name: 'eight-schools',
  dim: J + 2,
  logZ: logEvidence(),
  logProb: (z) => {
    const mu = z.slice([0, 0], [-1, 1]);
    const logTau = z.slice([0, 1], [-1, 1]);
    const eta = z.slice([0, 2], [-1, J]);
    const theta = mu.add(logTau.exp().mul(eta));
    const resid = theta.neg().add(y).div(sigma);
    const logLik = resid
      .square()
      .sum(1, true)
      .mul(-0.5)
      .sub(sigma.reduce((s, v) => s + Math.log(v) + 0.5 * LOG_2PI, 0));
    const logPrior = mu
      .square()
      .div(-2 * muScale ** 2)
      .sub(Math.log(muScale) + 0.5 * LOG_2PI)
      .add(
        logTau
          .square()
          .mul(-0.5)
          .sub(0.5 * LOG_2PI),
      )
      .add(
        eta
          .square()
          .sum(1, true)
          .mul(-0.5)
          .sub(0.5 * J * LOG_2PI),
      );
    return logLik.add(logPrior).reshape([-1]);
  },
};
