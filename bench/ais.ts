// Annealed importance sampling end to end: one full AIS run (64 steps, 1000 particles) on the
// funnel (d=10, closed-form score) and on Many-Well (d=32), with ULA and with HMC (L=5): as fused
// native chains (wasm with the native kernels), op by op on TF.js's wasm kernels ("TF.js ops",
// the reference path), and on the cpu backend. The baseline is ULA on the funnel op by op on
// wasm, so the ratios show what the fused path, a kernel and a backend change.
import {
  AnnealingPath,
  DiagGaussian,
  createTarget,
  initEngine,
  linearSchedule,
  makeKernel,
  Rng,
  runAis,
  type SamplerName,
} from '../src/index.js';
import { repsFor, timeMedian, type BenchOptions, type BenchRow, engineState } from './common.js';

const STEPS = 64;
const PARTICLES = 1000;

export async function aisBench(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const configs = [
    { backend: 'wasm' as const, native: true },
    { backend: 'wasm' as const, native: false },
    // The CPU backends only: webgpu needs optional packages and a GPU (scripts/vae-gpu.ts).
    { backend: 'cpu' as const, native: true },
  ];
  for (const { backend, native } of configs) {
    await initEngine({ backend, native });
    const suffix = backend === 'wasm' && !native ? ', TF.js ops' : '';
    for (const targetName of ['funnel', 'many-well']) {
      const target = createTarget(targetName);
      const initial = DiagGaussian.isotropic(target.dim, 1);
      const path = new AnnealingPath(initial, target);
      for (const sampler of ['ais-ula', 'ais-hmc'] as SamplerName[]) {
        const kernel = makeKernel(
          sampler,
          STEPS,
          sampler === 'ais-hmc' ? { stepSize: 0.05, leapfrogSteps: 5 } : { stepSize: 0.01 },
        );
        const betas = linearSchedule(STEPS);
        let seed = 0;
        options.log(`ais ${backend} ${targetName} ${sampler}`);
        const ms = timeMedian(
          () => {
            const r = runAis({
              path,
              kernel,
              betas,
              particles: PARTICLES,
              rng: Rng.fromSeed(seed++),
            });
            return [r.z, r.logW];
          },
          repsFor(backend, options.quick),
        );
        rows.push({
          bench: 'ais',
          backend,
          workload: `${sampler} ${targetName} K=${STEPS} N=${PARTICLES}${suffix}`,
          ...engineState(false),
          medianMs: ms,
          reps: repsFor(backend, options.quick).reps,
          baseline: suffix !== '' && targetName === 'funnel' && sampler === 'ais-ula',
        });
      }
      initial.dispose();
      target.dispose?.();
    }
  }
  await initEngine({ backend: 'wasm', native: true });
  return rows;
}
