// The runtime factor of path gradients for flows (Vaitl et al. 2024, Table 2): the time of one
// reverse-KL gradient with the fast path gradient (Alg. 1) and with the reference path gradient
// (Alg. 2), each as a ratio to the standard reparameterized gradient on the same flow, batch and
// target, measured in the same run; and of one forward-KL gradient with the fast and the
// reference (Alg. 3) path gradients as a ratio to maximum likelihood. MGM d = 6 as in the paper's GMM experiment (RealNVP, hidden
// widths reduced to 256 to fit a quick bench) and NICE on the same target; the gauge-equivariant
// U(1) flow on an 8 x 8 lattice (beta 3) at the reduced scale of configs/flow-u1-small.yaml.
import {
  Flow,
  Rng,
  createTarget,
  initEngine,
  tf,
  useNativeKernels,
  type Tensor2D,
} from '../src/index.js';
import {
  FORWARD_KL_ESTIMATORS,
  forwardKlGradient,
  reverseKlGradient,
  type FlowKind,
  type ReverseKlEstimator,
} from '../src/flows/index.js';
import { median, repsFor, type BenchOptions, type BenchRow, engineState } from './common.js';

const BATCH = 500;

/** Milliseconds of one gradient on fresh input (drawn outside the timing), outputs read back. */
function gradientMs(
  draw: () => Tensor2D,
  step: (x: Tensor2D) => { grads: tf.NamedTensorMap },
): number {
  const x = draw();
  const start = performance.now();
  const { grads } = step(x);
  for (const g of Object.values(grads)) g.dataSync();
  const ms = performance.now() - start;
  tf.dispose([x, ...Object.values(grads)]);
  return ms;
}
const ESTIMATORS: ReverseKlEstimator[] = ['standard', 'path-fast', 'path-reference'];

/** RealNVP rows repeated on TF.js's own wasm kernels (the reference of the native ones). */
const REFERENCE_ESTIMATORS: ReverseKlEstimator[] = ['standard', 'path-fast'];

export async function flowsBench(options: BenchOptions): Promise<BenchRow[]> {
  await initEngine({ backend: 'wasm' });
  const rows: BenchRow[] = [];
  const runs = repsFor('wasm', options.quick);
  const { warmup, reps } = runs;
  const target = createTarget('mgm', { dim: 6 });
  for (const kind of ['realnvp', 'nice'] as FlowKind[]) {
    const flow = new Flow(
      6,
      { kind, layers: 6, conditioner: { hidden: [256, 256], outputInitScale: 0.01 } },
      Rng.fromSeed(1),
    );
    const rng = Rng.fromSeed(2);
    const runs: [ReverseKlEstimator, boolean][] = [
      ...ESTIMATORS.map((e) => [e, false] as [ReverseKlEstimator, boolean]),
      ...(kind === 'realnvp'
        ? REFERENCE_ESTIMATORS.map((e) => [e, true] as [ReverseKlEstimator, boolean])
        : []),
    ];
    for (const [estimator, reference] of runs) {
      options.log(`flows ${kind} ${estimator}${reference ? ' (TF.js kernels)' : ''}`);
      if (reference) await useNativeKernels(false);
      const once = () =>
        gradientMs(
          () => rng.normal([BATCH, 6]) as Tensor2D,
          (z) => reverseKlGradient(flow, target, z, estimator),
        );
      for (let i = 0; i < warmup; i++) once();
      const times = Array.from({ length: reps }, once);
      rows.push({
        bench: `flows-${kind}`,
        backend: 'wasm',
        workload: `${kind} 6 layers, hidden 256x2, MGM d=6, batch ${BATCH}: ${estimator}${reference ? ', TF.js kernels' : ''}`,
        ...engineState(),
        medianMs: median(times),
        reps,
        baseline: estimator === 'standard' && !reference,
      });
      if (reference) await useNativeKernels(true);
    }
    // Forward KL on target samples: maximum likelihood (the baseline) and the path gradients.
    for (const estimator of FORWARD_KL_ESTIMATORS) {
      options.log(`flows ${kind} forward ${estimator}`);
      const once = () =>
        gradientMs(
          () => target.sample!(BATCH, rng),
          (x) => forwardKlGradient(flow, target, x, estimator),
        );
      for (let i = 0; i < warmup; i++) once();
      const times = Array.from({ length: reps }, once);
      rows.push({
        bench: `flows-${kind}-forward`,
        backend: 'wasm',
        workload: `${kind} 6 layers, hidden 256x2, MGM d=6, batch ${BATCH}, forward KL: ${estimator}`,
        ...engineState(),
        medianMs: median(times),
        reps,
        baseline: estimator === 'ml',
      });
    }
    flow.dispose();
  }
  target.dispose?.();

  const U1_BATCH = 256;
  const u1 = createTarget('u1', { width: 8, beta: 3 });
  const gauge = new Flow(
    u1.dim,
    {
      kind: 'u1-gauge',
      layers: 8,
      circularComponents: 6,
      conditioner: { hidden: [64, 64], outputInitScale: 0.01 },
    },
    Rng.fromSeed(1),
  );
  const u1Rng = Rng.fromSeed(2);
  for (const estimator of ESTIMATORS) {
    options.log(`flows u1-gauge ${estimator}`);
    // The reference path gradient inverts every layer by bisection: a few reps suffice.
    const reps = estimator === 'path-reference' ? Math.min(3, runs.reps) : runs.reps;
    const once = () =>
      gradientMs(
        () => gauge.base.sample(U1_BATCH, u1Rng),
        (z) => reverseKlGradient(gauge, u1, z, estimator),
      );
    once();
    const times = Array.from({ length: reps }, once);
    rows.push({
      bench: 'flows-u1-gauge',
      backend: 'wasm',
      workload: `u1-gauge 8 layers, 6 NCPs, hidden 64x2, U(1) 8x8 beta 3, batch ${U1_BATCH}: ${estimator}`,
      ...engineState(),
      medianMs: median(times),
      reps,
      baseline: estimator === 'standard',
    });
  }
  gauge.dispose();
  u1.dispose?.();
  return rows;
}
