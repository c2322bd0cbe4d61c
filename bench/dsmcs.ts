// One training iteration of differentiable SMC on the DSMCS paper's static target (Zenn & Bamler
// 2023): 8-component Gaussian mixture in 50 dims, initial N(0, 9 I), UHA with 32 transitions, a
// batch of 64 systems of 32 particles, trained on the SMC bound. Baseline: the same sampler
// without resampling (DAIS, trained on the importance-weighted bound of each 32 particles), so the
// ratios show what resampling and its gradient estimators cost.
import {
  LearnedSampler,
  Rng,
  Trainer,
  createTarget,
  initEngine,
  useNativeKernels,
  type ResamplingName,
} from '../src/index.js';
import {
  repsFor,
  timeTrainerSteps,
  type BenchOptions,
  type BenchRow,
  engineState,
} from './common.js';

const SYSTEMS = 64;
export const PER_SYSTEM = 32;
export const STEPS = 32;
const VARIANTS: { scheme: ResamplingName; label: string; reference?: boolean }[] = [
  { scheme: 'none', label: 'DAIS (no resampling)' },
  { scheme: 'cat', label: 'DSMCS cat' },
  { scheme: 'gst', label: 'DSMCS gst' },
  { scheme: 'bern-gst', label: 'DSMCS bern-gst' },
  // The same on TF.js's kernels, op by op: the reference of the native UHA move.
  { scheme: 'none', label: 'DAIS (no resampling), TF.js ops', reference: true },
];

/**
 * The sampler of the DSMCS static target as the paper's code has it: UHA from a fixed N(0, 9 I),
 * learned step sizes, schedule, damping and mass, systems of PER_SYSTEM particles.
 */
export function dsmcsSamplerConfig(scheme: ResamplingName) {
  return {
    kind: 'uha' as const,
    steps: STEPS,
    stepSize: 0.1,
    initialScale: 3,
    learn: {
      stepSizes: true,
      schedule: true,
      initial: false,
      eta: true,
      mass: true,
      scoreNet: false,
    },
    resampling: { scheme, groupSize: PER_SYSTEM },
  };
}

export async function dsmcsBench(options: BenchOptions): Promise<BenchRow[]> {
  await initEngine({ backend: 'wasm' });
  const rows: BenchRow[] = [];
  const reps = repsFor('wasm', options.quick);
  const target = createTarget('dsmcs-mixture');
  for (const v of VARIANTS) {
    options.log(`dsmcs ${v.label}`);
    if (v.reference) await useNativeKernels(false);
    const sampler = new LearnedSampler(target, dsmcsSamplerConfig(v.scheme), Rng.fromSeed(1));
    const trainer = new Trainer(
      sampler,
      {
        particles: SYSTEMS * PER_SYSTEM,
        learningRate: 0.01,
        clipNorm: null,
        lrSchedule: { kind: 'constant' },
        objective: { kind: 'iw', groupSize: PER_SYSTEM },
      },
      Rng.fromSeed(2),
    );
    rows.push({
      bench: 'dsmcs',
      backend: 'wasm',
      workload: `${v.label}, UHA K=${STEPS}, ${SYSTEMS} x ${PER_SYSTEM} particles, d=50`,
      ...engineState(),
      medianMs: timeTrainerSteps(trainer, reps),
      reps: reps.reps,
      baseline: v.scheme === 'none' && !v.reference,
    });
    trainer.dispose();
    sampler.dispose();
    if (v.reference) await useNativeKernels(true);
  }
  target.dispose?.();
  return rows;
}
