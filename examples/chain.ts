// The chain's own parts: a path from an initial distribution to the target, a kernel (MALA), a
// schedule that picks its temperatures as the chain runs (adaptive tempering), and SMC over
// independent systems; the log Z estimate's standard error comes from those systems.
// Run: npx tsx examples/chain.ts
import {
  adaptiveSchedule,
  AnnealingPath,
  createTarget,
  describePaths,
  DiagGaussian,
  fastPathReport,
  initEngine,
  malaKernel,
  Rng,
  runSmc,
  summarizeLogWeights,
  tf,
} from 'anneal';

await initEngine();

// 8 well-separated Gaussians in 2 dimensions, normalized: log Z = 0.
const target = createTarget('gmm8', { dim: 2 });
const initial = DiagGaussian.isotropic(2, 4);
const path = new AnnealingPath(initial, target);
const kernel = malaKernel({ stepSize: 0.3 });

const systems = 20;
const perSystem = 500;
// Each next beta keeps the conditional ESS of the new weights at 0.8 of N (mean over systems).
const schedule = adaptiveSchedule({ target: 0.8, criterion: 'cess', groupSize: perSystem });
console.log(
  `moves: ${describePaths(fastPathReport(kernel, path, { resampling: true, trace: false, scheduleKnown: false }))}`,
);
const r = runSmc({
  path,
  kernel,
  schedule,
  particles: systems * perSystem,
  rng: Rng.fromSeed(1),
  resampling: { scheme: 'systematic', essThreshold: 0.5, groupSize: perSystem },
});
const s = summarizeLogWeights(r.logW.dataSync() as Float32Array, systems);
const betas = r.perStep.map((step) => step.beta);
console.log(
  `adaptive schedule: ${betas.length} steps, first betas ${betas
    .slice(0, 3)
    .map((b) => b.toPrecision(2))
    .join(', ')}`,
);
console.log(`smc-mala: log Z = ${s.logZ.toFixed(3)} ± ${s.logZStdErr?.toFixed(3)} (exact 0)`);
tf.dispose([r.z, r.logW]);
initial.dispose();
target.dispose?.();
