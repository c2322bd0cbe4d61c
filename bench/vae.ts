// One VAE training iteration at batch 100 on MNIST-shaped binary data (784 pixels, latent 50,
// 2 x 200 tanh): gradient of each objective and an Adam update, in ms. Baseline: the ELBO with one
// draw per image, so the ratios show what K draws, the DReG estimator, AIS training and the
// learned samplers (64 ULA / 32 UHA steps, the MCD paper's VAE setting) cost.
import { Rng, initEngine, tf, useNativeKernels, type Scalar, type Tensor2D } from '../src/index.js';
import { Vae, type VaeObjective } from '../src/models/vae.js';
import { applyAdam } from '../src/train/adam.js';
import { aisPosteriorDraws, aisTrainingObjective } from '../src/models/aisTraining.js';
import { VaeSampler, vaeSamplerDefaults } from '../src/models/vaeSampler.js';
import type { LearnedSamplerName } from '../src/annealing/learned.js';
import { targetLogProbAndScore } from '../src/annealing/path.js';
import type { Target } from '../src/targets/target.js';
import {
  median,
  repsFor,
  timeMedian,
  type BenchOptions,
  type BenchRow,
  engineState,
} from './common.js';

type Case =
  | { label: string; kind: VaeObjective; samples: number; baseline?: boolean; reference?: boolean }
  | { label: string; kind: 'ais' | 'mh-hmc'; samples: number }
  | { label: string; kind: LearnedSamplerName; samples: number };

const CASES: Case[] = [
  { label: 'ELBO K=1', kind: 'elbo', samples: 1, baseline: true },
  { label: 'IWAE K=5', kind: 'iwae', samples: 5 },
  { label: 'IWAE-DReG K=5', kind: 'iwae-dreg', samples: 5 },
  { label: 'IWAE K=50', kind: 'iwae', samples: 50 },
  { label: 'IWAE-DReG K=50', kind: 'iwae-dreg', samples: 50 },
  { label: 'AIS-trained K=5 T=5 L=5', kind: 'ais', samples: 5 },
  { label: 'MH-HMC K=5 T=5 L=5', kind: 'mh-hmc', samples: 5 },
  { label: 'ULA 64 steps K=1', kind: 'ula', samples: 1 },
  { label: 'ULA-MCD 64 steps K=1', kind: 'ula-mcd', samples: 1 },
  { label: 'UHA 32 steps K=1', kind: 'uha', samples: 1 },
  { label: 'UHA-MCD 32 steps K=1', kind: 'uha-mcd', samples: 1 },
  // TF.js's own wasm kernels (matMul, tanh, softplus) in place of the native ones.
  { label: 'ELBO K=1, TF.js kernels', kind: 'elbo', samples: 1, reference: true },
];

export async function vaeBench(options: BenchOptions): Promise<BenchRow[]> {
  await initEngine({ backend: 'wasm' });
  const rows: BenchRow[] = [];
  const x = tf.tidy(() =>
    tf.cast(tf.less(Rng.fromSeed(1).uniform([100, 784]), 0.13), 'float32'),
  ) as Tensor2D;
  for (const c of CASES) {
    options.log(`vae ${c.label}`);
    const reference = 'reference' in c && c.reference === true;
    if (reference) await useNativeKernels(false);
    const vae = new Vae({ dataDim: 784 }, Rng.fromSeed(2));
    const sampler =
      c.kind === 'ula' || c.kind === 'uha' || c.kind === 'ula-mcd' || c.kind === 'uha-mcd'
        ? new VaeSampler(vae, { kind: c.kind, ...vaeSamplerDefaults(c.kind) }, Rng.fromSeed(4))
        : null;
    const optimizer = tf.train.adam(1e-3);
    const rng = Rng.fromSeed(3);
    const once = () => {
      const start = performance.now();
      // AIS training runs its chains off the tape first, as VaeModel.prepare() does.
      const hmc = c.kind === 'ais' || c.kind === 'mh-hmc';
      const draws = hmc
        ? aisPosteriorDraws(
            vae,
            x,
            c.samples,
            [0.1, 0.1, 0.1, 0.1, 0.1],
            5,
            rng,
            c.kind === 'ais' ? 'ais' : 'hmc',
          )
        : null;
      const { value, grads } = tf.variableGrads(() => {
        let r: { surrogate: Scalar; bound: Scalar };
        if (draws) {
          r = aisTrainingObjective(
            vae,
            x,
            draws,
            c.samples,
            rng,
            c.kind === 'ais' ? 'ais' : 'uniform',
          );
        } else if (sampler) r = sampler.objective(x, c.samples, rng);
        else r = vae.objective(x, c.kind as VaeObjective, c.samples, rng);
        r.bound.dispose();
        return tf.neg(r.surrogate) as Scalar;
      }, vae.params.trainable());
      applyAdam(
        optimizer,
        Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
      );
      value.dataSync();
      const ms = performance.now() - start;
      tf.dispose([value, ...Object.values(grads)]);
      if (draws) tf.dispose([draws.x, draws.z, draws.logW]);
      return ms;
    };
    // The long chains get fewer reps: one iteration is seconds, and its spread is small.
    const { warmup, reps } = repsFor(sampler ? 'cpu' : 'wasm', options.quick);
    for (let i = 0; i < warmup; i++) once();
    const times = Array.from({ length: reps }, once);
    rows.push({
      bench: 'vae',
      backend: 'wasm',
      workload: `VAE 784-200-200-50, batch 100, one Adam step: ${c.label}`,
      ...engineState(),
      medianMs: median(times),
      reps,
      baseline: 'baseline' in c ? c.baseline : undefined,
    });
    optimizer.dispose();
    vae.dispose();
    if (reference) await useNativeKernels(true);
  }
  x.dispose();
  rows.push(...posteriorScoreRows(options));
  return rows;
}

/**
 * The posterior's log density and score at 1600 latent rows (the inner step of every HMC / ULA
 * chain on a VAE), by autodiff of logJoint and by the closed form (one decoder pass and a
 * hand-written backward sweep), and the second-order pass that training through a chain needs
 * (decoder-weight gradient of a loss holding the score).
 */
function posteriorScoreRows(options: BenchOptions): BenchRow[] {
  const vae = new Vae({ dataDim: 784 }, Rng.fromSeed(2));
  const xs = tf.tidy(() =>
    tf.cast(tf.less(Rng.fromSeed(5).uniform([1600, 784]), 0.13), 'float32'),
  ) as Tensor2D;
  const z = Rng.fromSeed(6).normal([1600, 50]) as Tensor2D;
  const forms: [string, Target][] = [
    ['autodiff', { name: 'p', dim: 50, logProb: (w: Tensor2D) => vae.logJoint(xs, w) }],
    ['closed form', vae.posterior(xs)],
  ];
  const reps = repsFor('wasm', options.quick);
  const rows: BenchRow[] = [];
  for (const [label, target] of forms) {
    options.log(`vae posterior score ${label}`);
    const first = timeMedian(() => {
      const r = targetLogProbAndScore(target, z);
      return [r.logProb, r.score];
    }, reps);
    rows.push({
      bench: 'vae',
      backend: 'wasm',
      workload: `VAE posterior log p(x, z) and score, 1600 rows: ${label}`,
      ...engineState(),
      medianMs: first,
      reps: reps.reps,
    });
    const second = timeMedian(() => {
      const { value, grads } = tf.variableGrads(
        () => {
          const r = targetLogProbAndScore(target, z);
          return tf.add(tf.sum(r.logProb), tf.sum(tf.square(r.score))) as Scalar;
        },
        vae.params.trainable().filter((v) => v.name.includes('decoder')),
      );
      return [value, ...Object.values(grads)];
    }, reps);
    rows.push({
      bench: 'vae',
      backend: 'wasm',
      workload: `  its decoder-weight gradient (second order through the score): ${label}`,
      ...engineState(),
      medianMs: second,
      reps: reps.reps,
    });
  }
  tf.dispose([xs, z]);
  vae.dispose();
  return rows;
}
