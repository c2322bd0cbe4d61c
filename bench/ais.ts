// Annealed importance sampling end to end: one full AIS run (64 steps, 1000 particles) on the
// funnel (d=10, closed-form score) and on Many-Well (d=32), with ULA and with HMC (L=5). The
// baseline is ULA on the funnel on wasm, so the ratios show what a kernel and a backend cost.
import {
  AnnealingPath,
  BACKENDS,
  DiagGaussian,
  createTarget,
  initEngine,
  linearSchedule,
  makeKernel,
  Rng,
  runAis,
  type SamplerName,
} from '../src/index.js';
import { repsFor, timeMedian, type BenchOptions, type BenchRow } from './common.js';

const STEPS = 64;
const PARTICLES = 1000;

export async function aisBench(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of BACKENDS) {
    await initEngine({ backend });
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
          workload: `${sampler} ${targetName} K=${STEPS} N=${PARTICLES}`,
          matMulFix: '-',
          medianMs: ms,
          reps: repsFor(backend, options.quick).reps,
          baseline: backend === 'wasm' && targetName === 'funnel' && sampler === 'ais-ula',
        });
      }
      initial.dispose();
      target.dispose?.();
    }
  }
  return rows;
}
