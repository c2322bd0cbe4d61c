// A user's own target, as most users run anneal: a log density written in TF.js ops and loaded as
// a target module (examples/targets/hierarchical-logistic.mjs: a hierarchical logistic regression,
// 21 parameters, a matrix product against 500 data rows and a softplus per particle and row), its
// score by TF.js's autodiff. One full AIS run with MH-corrected HMC (100 steps, 1000 particles,
// step 0.05, 5 leapfrog steps), as `anneal logz --target-module ... --sampler ais-hmc` runs it:
// with the density compiled into one native pass (the default), with the native kernels op by op
// (matrix products, element-wise ops and their fused gradients), and on TF.js's own wasm kernels
// (the baseline). bench/peers/user_target.py is the same run in PyTorch.
import { fileURLToPath } from 'node:url';
import {
  AnnealingPath,
  DiagGaussian,
  initEngine,
  linearSchedule,
  loadTargetModule,
  makeKernel,
  Rng,
  runAis,
} from '../src/index.js';
import { setDensityPrograms } from '../src/engine/index.js';
import { timeMedian, type BenchOptions, type BenchRow, engineState } from './common.js';

const STEPS = 100;
const PARTICLES = 1000;
const MODULE = fileURLToPath(
  new URL('../examples/targets/hierarchical-logistic.mjs', import.meta.url),
);

export async function userTargetBench(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // Compiled density (the default), the same native kernels op by op, and TF.js's own kernels.
  for (const [native, compiled] of [
    [true, true],
    [true, false],
    [false, false],
  ] as const) {
    await initEngine({ backend: 'wasm', native });
    setDensityPrograms(compiled);
    const target = await loadTargetModule(MODULE);
    const initial = DiagGaussian.isotropic(target.dim, 1);
    const path = new AnnealingPath(initial, target);
    const kernel = makeKernel('ais-hmc', STEPS, { stepSize: 0.05, leapfrogSteps: 5 });
    const betas = linearSchedule(STEPS);
    const label = native ? (compiled ? 'compiled density' : 'native ops') : 'TF.js ops';
    options.log(`user-target wasm ${label}`);
    let seed = 0;
    // Each run is seconds: fewer repetitions than the other benches.
    const reps = options.quick ? { warmup: 1, reps: 1 } : { warmup: 1, reps: 5 };
    const ms = timeMedian(() => {
      const r = runAis({ path, kernel, betas, particles: PARTICLES, rng: Rng.fromSeed(seed++) });
      return [r.z, r.logW];
    }, reps);
    rows.push({
      bench: 'user-target',
      backend: 'wasm',
      workload: `ais-hmc hierarchical-logistic module K=${STEPS} N=${PARTICLES}${compiled ? '' : `, ${label}`}`,
      ...engineState(true),
      medianMs: ms,
      reps: reps.reps,
      baseline: !native,
    });
    initial.dispose();
  }
  setDensityPrograms(true);
  await initEngine({ backend: 'wasm', native: true });
  return rows;
}
