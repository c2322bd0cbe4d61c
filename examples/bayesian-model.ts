// A Bayesian model of your own: linear regression with a Gaussian prior on the weights and two
// candidate models (all three features, or the first two). Their evidences come from the auto
// sampler, from likelihood tempering (the prior, built from pieces, as the initial distribution)
// and from the Laplace approximation, the Bayes factor from two paired runs, and the posterior
// means from the weighted particles; the model is conjugate, so every number has a closed form to
// check it against.
// Run: npx tsx examples/bayesian-model.ts
import {
  estimateLogZ,
  initEngine,
  laplaceApproximation,
  logBayesFactor,
  normalPrior,
  posteriorOf,
  posteriorSummary,
  priorOf,
  Rng,
  tf,
  whitenedTarget,
  type Prior,
  type Target,
  type Tensor1D,
  type Tensor2D,
  type WeightedParticles,
} from 'anneal';

await initEngine();

// Data: 40 rows, 3 features, y = X w + noise (sd 0.5); prior w ~ N(0, I).
const rows = 40;
const sigma = 0.5;
const tau = 1;
const [dataRng] = Rng.fromSeed(11).split(1);
const x = Array.from({ length: rows }, () => Array.from(dataRng.normalArray(3)));
const noise = dataRng.normalArray(rows);
const y = x.map((r, i) => r[0]! * 1 - r[1]! * 0.5 + r[2]! * 0.3 + sigma * noise[i]!);

/** log N(y; 0, sigma^2 I + tau^2 X X^T) by Cholesky: the model's exact evidence. */
function exactLogEvidence(features: number): number {
  const c = x.map((ri, i) =>
    x.map((rj, j) => {
      let dot = 0;
      for (let k = 0; k < features; k++) dot += ri[k]! * rj[k]!;
      return tau * tau * dot + (i === j ? sigma * sigma : 0);
    }),
  );
  const l = c.map(() => new Array<number>(rows).fill(0));
  for (let i = 0; i < rows; i++)
    for (let j = 0; j <= i; j++) {
      let s = c[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  const u = new Array<number>(rows).fill(0); // L u = y
  for (let i = 0; i < rows; i++) {
    let s = y[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * u[k]!;
    u[i] = s / l[i]![i]!;
  }
  const logDet = 2 * l.reduce((s, r, i) => s + Math.log(r[i]!), 0);
  const quad = u.reduce((s, v) => s + v * v, 0);
  return -0.5 * quad - 0.5 * logDet - 0.5 * rows * Math.log(2 * Math.PI);
}

/**
 * The model on the first `features`: its prior from pieces (w ~ N(0, tau^2 I)) and its
 * unnormalized posterior, prior times likelihood, as a target whose log Z is the evidence.
 */
function model(features: number): { prior: Prior; target: Target; dispose(): void } {
  const xt = tf.tensor2d(x.map((r) => r.slice(0, features)));
  const yt = tf.tensor1d(y);
  const prior = priorOf({ w: normalPrior(0, tau, features) });
  const target = posteriorOf({
    prior,
    name: `regression-${features}`,
    logZ: exactLogEvidence(features),
    logLikelihood: (w: Tensor2D) =>
      tf.tidy(() => {
        const residual = tf.sub(tf.matMul(w, xt, false, true), yt); // [N, rows]
        return tf.sub(
          tf.mul(-0.5 / (sigma * sigma), tf.sum(tf.square(residual), 1)),
          0.5 * rows * Math.log(2 * Math.PI * sigma * sigma),
        ) as Tensor1D;
      }),
  });
  return { prior, target, dispose: () => tf.dispose([xt, yt]) };
}

const fullModel = model(3);
const reducedModel = model(2);
const full = fullModel.target;
const reduced = reducedModel.target;

// 1. Nothing to set: the auto sampler fits its own start and tunes itself.
const auto = estimateLogZ({ target: full, seed: 1, returnSamples: true });
console.log(
  `auto, 3 features: log Z = ${auto.logZ.toFixed(3)} ± ${auto.logZStdErr?.toFixed(3)} (exact ${full.logZ?.toFixed(3)})`,
);

// 2. Likelihood tempering: with the prior as the initial distribution, the annealing path
// prior^(1 - beta) (prior x likelihood)^beta is prior x likelihood^beta. A geometric schedule
// spends its steps where the posterior narrows fastest, near beta = 0.
const tempered = ({ target, prior }: { target: Target; prior: Prior }) =>
  estimateLogZ({
    target,
    initial: prior,
    sampler: 'smc-hmc',
    schedule: 'geometric',
    steps: 64,
    particles: 2000,
    stepSize: 0.05,
    seed: 2,
  });
const a = tempered(fullModel);
const b = tempered(reducedModel);
console.log(
  `tempered, 3 features: log Z = ${a.logZ.toFixed(3)} ± ${a.logZStdErr?.toFixed(3)} (exact ${full.logZ?.toFixed(3)})`,
);
console.log(
  `tempered, 2 features: log Z = ${b.logZ.toFixed(3)} ± ${b.logZStdErr?.toFixed(3)} (exact ${reduced.logZ?.toFixed(3)})`,
);

// 3. The Bayes factor of the full model over the reduced one; the two runs used the same seed and
// batches, so the error bar comes from their batch-by-batch differences.
const bf = logBayesFactor(a, b, { paired: true });
const exactBf = (full.logZ as number) - (reduced.logZ as number);
console.log(
  `log Bayes factor = ${bf.logBayesFactor.toFixed(3)} ± ${bf.stdErr?.toFixed(3)} (exact ${exactBf.toFixed(3)})`,
);

// 4. The posterior mean of the first weight, from the auto sampler's weighted particles (its
// systems are the independent groups), against the conjugate posterior's.
const precision = [0, 1, 2].map((i) =>
  [0, 1, 2].map(
    (j) =>
      x.reduce((s, r) => s + r[i]! * r[j]!, 0) / (sigma * sigma) + (i === j ? 1 / (tau * tau) : 0),
  ),
);
const rhs = [0, 1, 2].map((i) => x.reduce((s, r, k) => s + (r[i]! * y[k]!) / (sigma * sigma), 0));
const exactMean = solve3(precision, rhs);
const summary = posteriorSummary(auto.samples as WeightedParticles, {
  groups: auto.auto?.systemLogZ.length,
  names: ['w1', 'w2', 'w3'],
});
const w1 = summary.coordinates[0]!;
console.log(
  `posterior mean of w1 = ${w1.mean.toFixed(4)} ± ${w1.mcse.toFixed(4)} (exact ${exactMean[0]!.toFixed(4)})`,
);

// 5. The Laplace approximation N(mode, H^-1) from the target's score (exact here: the posterior is
// Gaussian), and the target whitened by it: near N(0, I), so a fixed sampler from N(0, I) needs no
// step size or schedule chosen for this posterior's scale.
const laplace = laplaceApproximation(full);
console.log(
  `Laplace, 3 features: log Z = ${laplace.logZ.toFixed(3)} (exact ${full.logZ?.toFixed(3)})`,
);
const whitened = whitenedTarget(full, laplace);
const w = estimateLogZ({ target: whitened, sampler: 'ais-hmc', steps: 16, seed: 3 });
console.log(
  `whitened, 3 features: log Z = ${w.logZ.toFixed(3)} ± ${w.logZStdErr?.toFixed(3)} (exact ${full.logZ?.toFixed(3)})`,
);
whitened.dispose();
fullModel.dispose();
reducedModel.dispose();

/** Solves a 3 x 3 linear system by Cramer's rule. */
function solve3(m: number[][], v: number[]): number[] {
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) -
    a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) +
    a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  return [0, 1, 2].map((c) => det(m.map((row, i) => row.map((e, j) => (j === c ? v[i]! : e)))) / d);
}
