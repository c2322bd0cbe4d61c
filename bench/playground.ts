// The browser playground's work, timed in Node on wasm: one page run (a traced chain, read back
// once) for every sampler at the page's defaults on the 8-Gaussian mixture, and one training
// iteration for the trainable ones. The baseline is the same AIS-HMC chain without the trace, so
// the first ratio is what recording the animation costs.
import {
  AnnealingPath,
  DiagGaussian,
  Rng,
  initEngine,
  linearSchedule,
  makeKernel,
  runAis,
} from '../src/index.js';
import { Playground, TARGET_VIEWS, defaultStepSize } from '../web/src/playground.js';
import { DEFAULT_SETTINGS, PAGE_SAMPLERS, TRAINABLE } from '../web/src/settings.js';
import { repsFor, timeMedian, type BenchOptions, type BenchRow, engineState } from './common.js';

export async function playgroundBench(options: BenchOptions): Promise<BenchRow[]> {
  await initEngine({ backend: 'wasm' });
  const reps = repsFor('wasm', options.quick);
  const s = DEFAULT_SETTINGS;
  const rows: BenchRow[] = [];
  const row = (workload: string, ms: number, baseline = false): BenchRow => ({
    bench: 'playground',
    backend: 'wasm',
    workload,
    ...engineState(false),
    medianMs: ms,
    reps: reps.reps,
    baseline,
  });

  options.log('playground ais-hmc untraced');
  const base = new Playground(s);
  const initial = DiagGaussian.isotropic(2, TARGET_VIEWS.gmm8.initScale);
  const path = new AnnealingPath(initial, base.target);
  const kernel = makeKernel('ais-hmc', s.steps, {
    stepSize: defaultStepSize(TARGET_VIEWS.gmm8, 'ais-hmc'),
    leapfrogSteps: base.leapfrog,
  });
  let seed = 0;
  const untraced = timeMedian(() => {
    const r = runAis({
      path,
      kernel,
      betas: linearSchedule(s.steps),
      particles: s.particles,
      rng: Rng.fromSeed(seed++),
    });
    return [r.z, r.logW];
  }, reps);
  initial.dispose();
  base.dispose();
  rows.push(row(`ais-hmc gmm8 K=${s.steps} N=${s.particles}, no trace`, untraced, true));

  for (const sampler of PAGE_SAMPLERS) {
    options.log(`playground ${sampler}`);
    const p = new Playground({ ...s, sampler });
    const what = sampler === 'flow' ? `${s.layers} layers` : `K=${s.steps}`;
    rows.push(
      row(
        `page run ${sampler} gmm8 ${what} N=${s.particles}`,
        timeMedian(() => (p.run(), []), reps),
      ),
    );
    if (TRAINABLE.includes(sampler)) {
      rows.push(
        row(
          `train step ${sampler} gmm8 ${what} batch=${s.batch}`,
          timeMedian(() => (p.trainStep(), []), reps),
        ),
      );
    }
    p.dispose();
  }
  return rows;
}
