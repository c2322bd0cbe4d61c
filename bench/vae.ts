// One VAE training iteration at batch 100 on MNIST-shaped binary data (784 pixels, latent 50,
// 2 x 200 tanh): gradient of each objective and an Adam update, in ms. Baseline: the ELBO with one
// draw per image, so the ratios show what K draws and the DReG estimator cost.
import { Rng, initEngine, tf, type Tensor2D } from '../src/index.js';
import { Vae, type VaeObjective } from '../src/models/vae.js';
import { aisPosteriorDraws, aisTrainingObjective } from '../src/models/aisTraining.js';
import { median, repsFor, type BenchOptions, type BenchRow } from './common.js';

const CASES: { kind: VaeObjective; samples: number; baseline?: boolean }[] = [
  { kind: 'elbo', samples: 1, baseline: true },
  { kind: 'iwae', samples: 5 },
  { kind: 'iwae-dreg', samples: 5 },
  { kind: 'iwae', samples: 50 },
  { kind: 'iwae-dreg', samples: 50 },
];

export async function vaeBench(options: BenchOptions): Promise<BenchRow[]> {
  await initEngine({ backend: 'wasm' });
  const { warmup, reps } = repsFor('wasm', options.quick);
  const rows: BenchRow[] = [];
  const x = tf.tidy(() =>
    tf.cast(tf.less(Rng.fromSeed(1).uniform([100, 784]), 0.13), 'float32'),
  ) as Tensor2D;
  for (const c of CASES) {
    options.log(`vae ${c.kind} K=${c.samples}`);
    const vae = new Vae({ dataDim: 784 }, Rng.fromSeed(2));
    const optimizer = tf.train.adam(1e-3);
    const rng = Rng.fromSeed(3);
    const once = () => {
      const start = performance.now();
      const { value, grads } = tf.variableGrads(() => {
        const r = vae.objective(x, c.kind, c.samples, rng);
        r.bound.dispose();
        return tf.neg(r.surrogate);
      }, vae.params.trainable());
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dataSync();
      const ms = performance.now() - start;
      tf.dispose([value, ...Object.values(grads)]);
      return ms;
    };
    for (let i = 0; i < warmup; i++) once();
    const times = Array.from({ length: reps }, once);
    rows.push({
      bench: 'vae',
      backend: 'wasm',
      workload: `VAE 784-200-200-50, batch 100, one Adam step: ${c.kind} K=${c.samples}`,
      matMulFix: 'on',
      medianMs: median(times),
      reps,
      baseline: c.baseline,
    });
    optimizer.dispose();
    vae.dispose();
  }
  // AIS-trained decoder (Ding & Freedman): K = 5 chains, T = 5 temperatures, L = 5 leapfrog steps.
  {
    options.log('vae ais K=5 T=5 L=5');
    const vae = new Vae({ dataDim: 784 }, Rng.fromSeed(2));
    const optimizer = tf.train.adam(1e-3);
    const rng = Rng.fromSeed(3);
    const once = () => {
      const start = performance.now();
      const draws = aisPosteriorDraws(vae, x, 5, [0.1, 0.1, 0.1, 0.1, 0.1], 5, rng);
      const { value, grads } = tf.variableGrads(() => {
        const r = aisTrainingObjective(vae, x, draws, 5, rng);
        r.bound.dispose();
        return tf.neg(r.surrogate);
      }, vae.params.trainable());
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dataSync();
      const ms = performance.now() - start;
      tf.dispose([value, ...Object.values(grads), draws.x, draws.z, draws.logW]);
      return ms;
    };
    for (let i = 0; i < warmup; i++) once();
    const times = Array.from({ length: reps }, once);
    rows.push({
      bench: 'vae',
      backend: 'wasm',
      workload: 'VAE 784-200-200-50, batch 100, one Adam step: AIS-trained K=5 T=5 L=5',
      matMulFix: 'on',
      medianMs: median(times),
      reps,
    });
    optimizer.dispose();
    vae.dispose();
  }
  x.dispose();
  return rows;
}
