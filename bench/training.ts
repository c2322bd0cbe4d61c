// One training iteration of a learned sampler (fresh particles, the whole chain differentiated,
// Adam update), as in the MCD experiments: UHA-MCD on the funnel (32 steps, 1000 particles) and
// ULA-MCD on sonar logistic regression (64 steps, 256 particles); the controlled diffusions (CMCD,
// its underdamped form) and LDVI on the funnel at UHA-MCD's sizes. Baseline: plain UHA on the
// funnel with the same sizes, so the ratios show what the networks cost.
import {
  LearnedSampler,
  Rng,
  Trainer,
  createTarget,
  initEngine,
  useNativeKernels,
  type LearnedSamplerName,
} from '../src/index.js';
import {
  repsFor,
  timeTrainerSteps,
  type BenchOptions,
  type BenchRow,
  engineState,
} from './common.js';

interface Case {
  target: string;
  kind: LearnedSamplerName;
  steps: number;
  particles: number;
  baseline?: boolean;
  /** Run op by op on TF.js's kernels (the reference of the native UHA move). */
  reference?: boolean;
}

const CASES: Case[] = [
  { target: 'funnel', kind: 'uha', steps: 32, particles: 1000, baseline: true },
  { target: 'funnel', kind: 'uha-mcd', steps: 32, particles: 1000 },
  { target: 'sonar', kind: 'ula', steps: 64, particles: 256 },
  { target: 'sonar', kind: 'ula-mcd', steps: 64, particles: 256 },
  { target: 'funnel', kind: 'cmcd', steps: 32, particles: 1000 },
  { target: 'funnel', kind: 'ldvi', steps: 32, particles: 1000 },
  { target: 'funnel', kind: 'cmcd-ud', steps: 32, particles: 1000 },
  { target: 'funnel', kind: 'uha', steps: 32, particles: 1000, reference: true },
  { target: 'funnel', kind: 'uha-mcd', steps: 32, particles: 1000, reference: true },
  { target: 'funnel', kind: 'ldvi', steps: 32, particles: 1000, reference: true },
];

export async function trainingBench(options: BenchOptions): Promise<BenchRow[]> {
  await initEngine({ backend: 'wasm' });
  const rows: BenchRow[] = [];
  const { warmup, reps } = repsFor('wasm', options.quick);
  for (const c of CASES) {
    options.log(`training ${c.kind} ${c.target}${c.reference ? ' (TF.js ops)' : ''}`);
    if (c.reference) await useNativeKernels(false);
    const target = createTarget(c.target);
    const sampler = new LearnedSampler(
      target,
      { kind: c.kind, steps: c.steps, stepSize: 0.01 },
      Rng.fromSeed(1),
    );
    const trainer = new Trainer(
      sampler,
      {
        particles: c.particles,
        learningRate: 1e-3,
        clipNorm: 10,
        lrSchedule: { kind: 'constant' },
      },
      Rng.fromSeed(2),
    );
    const median = timeTrainerSteps(trainer, { warmup, reps });
    rows.push({
      bench: 'training',
      backend: 'wasm',
      workload: `${c.kind} ${c.target} K=${c.steps} N=${c.particles}${c.reference ? ', TF.js ops' : ''}`,
      ...engineState(),
      medianMs: median,
      reps,
      baseline: c.baseline,
    });
    trainer.dispose();
    sampler.dispose();
    target.dispose?.();
    if (c.reference) await useNativeKernels(true);
  }
  return rows;
}
