// A custom target written with TF.js ops, and its log Z estimated with no settings, then with AIS.
// Run: npx tsx examples/custom-target.ts
import { initEngine, estimateLogZ, tf, type Target, type Tensor2D, type Tensor1D } from 'anneal';

await initEngine(); // wasm by default; ANNEAL_BACKEND=cpu for the reference backend

// A banana-shaped density in 2-d: log gamma(x, y) = -x^2 / 2 - (y - x^2)^2 / 2.
// Its normalizer is exactly 2 pi (substitute u = y - x^2), so the estimate can be checked.
const banana: Target = {
  name: 'banana',
  dim: 2,
  logProb: (z: Tensor2D) =>
    tf.tidy(() => {
      const [x, y] = tf.split(z, 2, 1) as [Tensor2D, Tensor2D];
      const curve = tf.sub(y, tf.square(x));
      return tf.mul(-0.5, tf.add(tf.square(x), tf.square(curve))).reshape([-1]) as Tensor1D;
    }),
  logZ: Math.log(2 * Math.PI),
};

// No closed-form score was given, so the sampler differentiates logProb automatically. With only
// the target, estimateLogZ runs the auto sampler: it fits a start, tunes its own moves and pools
// independent SMC systems until the standard error is 0.03 nats.
const result = estimateLogZ({ target: banana, seed: 1 });
console.log(`log Z = ${result.logZ.toFixed(3)} ± ${result.logZStdErr?.toFixed(3)}`);
console.log(`exact = ${result.trueLogZ?.toFixed(3)}, ${result.auto?.systemLogZ.length} systems`);

// The same with a fixed sampler and settings of your choosing.
const fixed = estimateLogZ({
  target: banana,
  sampler: 'ais-hmc',
  steps: 100,
  particles: 2000,
  stepSize: 0.2,
  seed: 1,
});
console.log(`ais-hmc: log Z = ${fixed.logZ.toFixed(3)} ± ${fixed.logZStdErr?.toFixed(3)}`);
console.log(`ESS = ${(100 * fixed.essFraction).toFixed(1)}%`);
