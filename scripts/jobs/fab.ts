// One cell of scripts/fab.ts (a target and a training seed): a flow trained by FAB with the
// preset of its target (FAB's published settings, shortened to the run's iterations), then
// evaluated as FAB evaluates: importance sampling with the flow and AIS from the flow towards
// the target, each in batches of 2000 whose log Z errors are averaged. A job module, so the
// script can share its cells out over worker threads; every cell draws from its seed's streams.
import { Rng } from '../../src/engine/index.js';
import { evaluateFabAis, FAB_DEFAULTS, FabModel, type FabConfig } from '../../src/flows/fab.js';
import { Flow } from '../../src/flows/flow.js';
import { evaluateFlow } from '../../src/flows/metrics.js';
import { createTarget } from '../../src/targets/registry.js';
import { Trainer } from '../../src/train/trainer.js';
import type { FabRow } from '../render/fab.js';

export interface FabPreset {
  /** Registry name and options of the target. */
  target: string;
  targetOptions: Record<string, number>;
  layers: number;
  hidden: number[];
  batch: number;
  learningRate: number;
  /** Cosine decay to 0 over the run (fab-jax) or a constant rate (fab-torch's GMM). */
  cosine: boolean;
  clipNorm: number | null;
  fab: Partial<FabConfig>;
  /** Gradient updates of the published run. */
  paperIterations: number;
  /** Where paperIterations comes from. */
  paperSource: string;
}

/** fab-jax's shared settings (its flow, training and FAB defaults, which FAB_DEFAULTS follow). */
const FAB_JAX = {
  layers: 8,
  hidden: [128, 128],
  batch: 1024,
  learningRate: 2e-4,
  cosine: true,
  clipNorm: null,
} as const;

export const FAB_PRESETS: Record<string, FabPreset> = {
  funnel: {
    ...FAB_JAX,
    hidden: [...FAB_JAX.hidden],
    target: 'funnel',
    targetOptions: {},
    fab: { ...FAB_DEFAULTS, intermediate: 4 },
    paperIterations: 8000,
    paperSource: "fab-jax's funnel config: 2000 AIS passes of 1024, 4 updates each",
  },
  'many-well': {
    ...FAB_JAX,
    hidden: [...FAB_JAX.hidden],
    target: 'many-well',
    targetOptions: { dim: 32 },
    fab: { ...FAB_DEFAULTS, intermediate: 8 },
    paperIterations: 40000,
    paperSource: "fab-jax's many-well config: 10,000 AIS passes of 1024, 4 updates each",
  },
  gmm40: {
    target: 'gmm40',
    targetOptions: {},
    layers: 15,
    hidden: [80, 80],
    batch: 128,
    learningRate: 1e-4,
    cosine: false,
    clipNorm: 100,
    fab: {
      intermediate: 1,
      move: 'metropolis',
      stepSize: 5,
      targetAcceptance: null,
      buffer: { maxBatches: 100, minBatches: 10, updatesPerPass: 4 },
      weightClip: null,
    },
    paperIterations: 208300,
    paperSource:
      "fab-torch's GMM config: 20 million flow evaluations, 52,075 AIS passes of 128 with 4 updates each",
  },
};

export interface FabCell {
  target: string;
  seed: number;
  iterations: number;
  evalParticles: number;
  /** Particles per log Z estimate (FAB: 2000). */
  evalBatch: number;
}

export function runJob(cell: FabCell): FabRow {
  const preset = FAB_PRESETS[cell.target];
  if (!preset) throw new Error(`no FAB preset for '${cell.target}'`);
  const target = createTarget(preset.target, preset.targetOptions);
  const [initRng, trainRng, evalRng] = Rng.fromSeed(cell.seed).split(3);
  const flow = new Flow(
    target.dim,
    { kind: 'realnvp', layers: preset.layers, conditioner: { hidden: preset.hidden } },
    initRng,
  );
  const fab = new FabModel(flow, target, preset.fab, preset.batch);
  try {
    process.stderr.write(`fab ${cell.target} seed ${cell.seed} ...\n`);
    const trainer = new Trainer(
      fab,
      {
        particles: preset.batch,
        learningRate: preset.learningRate,
        clipNorm: preset.clipNorm,
        lrSchedule: preset.cosine
          ? { kind: 'cosine', minFactor: 0, iterations: cell.iterations }
          : { kind: 'constant' },
      },
      trainRng,
    );
    const started = performance.now();
    let skipped = 0;
    for (let i = 0; i < cell.iterations; i++) if (trainer.step().skipped) skipped += 1;
    trainer.dispose();
    const trainSeconds = (performance.now() - started) / 1000;
    const [flowRng, aisRng] = evalRng.split(2);
    const batches = cell.evalParticles / cell.evalBatch;
    const e = evaluateFlow(flow, target, {
      particles: cell.evalParticles,
      batches,
      rng: flowRng,
      testSamples: 10000,
    });
    const a = evaluateFabAis(fab, {
      particles: cell.evalParticles,
      batchSize: cell.evalBatch,
      rng: aisRng,
    });
    const exact = target.logZ ?? null;
    const mae = (zs: number[]) =>
      exact === null ? null : zs.reduce((s, z) => s + Math.abs(z - exact), 0) / zs.length;
    const row: FabRow = {
      target: cell.target,
      seed: cell.seed,
      trueLogZ: exact,
      flowLogZ: e.logZ,
      flowMae: mae(e.batchLogZ),
      flowEss: e.essFraction,
      forwardEss: e.forwardEss,
      nll: e.nll,
      aisLogZ: a.ais.logZ,
      aisMae: a.aisMae,
      aisEss: a.ais.essFraction,
      stepSizes: a.stepSizes,
      skipped,
      trainSeconds,
    };
    process.stderr.write(
      `fab ${cell.target} seed ${cell.seed}: flow ESS ${e.essFraction.toFixed(3)}, log Z flow ${e.logZ.toFixed(4)} AIS ${a.ais.logZ.toFixed(4)} in ${trainSeconds.toFixed(0)} s\n`,
    );
    return row;
  } finally {
    fab.dispose();
    flow.dispose();
    target.dispose?.();
  }
}
