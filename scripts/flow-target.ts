// The normalizing-flow target experiment of the MCD paper (its appendix F.2), at a scale that fits
// 2 cores: a NICE flow is fitted by maximum likelihood to MNIST digits downsampled to 14 x 14
// (dequantized 3-bit intensities in logit space, standardized per pixel; d = 196), and its density,
// normalized by construction (log Z = 0 exactly), becomes the target. ULA, UHA, ULA-MCD and UHA-MCD
// with one shared, fixed initial distribution N(0, I) and fixed linear schedule are trained on the
// ELBO and evaluated on fresh particles; AIS with MH-corrected HMC at the same K is the untrained
// baseline. Writes docs/results/flow-target.{json,md}.
//
//   npx tsx scripts/flow-target.ts [--images 10000] [--flow-iterations 2000] [--hidden 256]
//        [--layers 4] [--steps 16] [--iterations 100] [--particles 32] [--eval-particles 2000]
import { checked, usage } from './args.js';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LEARNED_SAMPLERS, type LearnedSamplerName } from '../src/annealing/learned.js';
import { loadImageDataset } from '../src/data/mnist.js';
import { Rng, currentBackend, initEngine, tf, type Tensor2D } from '../src/engine/index.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { flowTarget } from '../src/flows/adapters.js';
import type { Target } from '../src/targets/target.js';
import { Flow } from '../src/flows/flow.js';
import { FlowModel } from '../src/flows/model.js';
import { trainAndEvaluate } from '../src/train/trainAndEvaluate.js';
import { Trainer } from '../src/train/trainer.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { renderFlowTarget, type FlowTargetData, type FlowTargetRow } from './render/flowTarget.js';

const { values } = checked(() =>
  parseArgs({
    options: {
      images: { type: 'string', default: '10000' },
      'flow-iterations': { type: 'string', default: '2000' },
      hidden: { type: 'string', default: '256' },
      layers: { type: 'string', default: '4' },
      steps: { type: 'string', default: '16' },
      iterations: { type: 'string', default: '100' },
      particles: { type: 'string', default: '32' },
      'eval-particles': { type: 'string', default: '2000' },
      seed: { type: 'string', default: '0' },
      docs: { type: 'string', default: 'docs/results' },
      ...SHARD_FLAGS,
    },
  }),
);
const sharding = parseSharding(values, `${values.docs as string}/flow-target`);
const int = (flag: keyof typeof values, min = 1) => {
  const n = Number(values[flag]);
  if (!(Number.isInteger(n) && n >= min)) usage(`--${flag} must be an integer >= ${min}`);
  return n;
};
const settings = {
  images: int('images'),
  flowIterations: int('flow-iterations'),
  hidden: int('hidden'),
  layers: int('layers', 2),
  steps: int('steps'),
  iterations: int('iterations'),
  particles: int('particles'),
  evalParticles: int('eval-particles', 10),
  seed: int('seed', 0),
  flowBatch: 256,
  flowLearningRate: 1e-3,
  samplerLearningRate: 0.005,
  bits: 3,
  alpha: 0.05,
};
const SIDE = 14;
const DIM = SIDE * SIDE;

/**
 * 28 x 28 intensities -> 14 x 14 (2 x 2 means), quantized to `bits`, dequantized with uniform
 * noise, mapped to logit space, then standardized per pixel with the training set's moments.
 */
function prepare(images: Float32Array, count: number, rng: Rng): Float32Array {
  const levels = 2 ** settings.bits;
  const noise = rng.uniformArray(count * DIM);
  const out = new Float32Array(count * DIM);
  for (let n = 0; n < count; n++) {
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        let v = 0;
        for (const [dr, dc] of [
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ] as const)
          v += images[n * 784 + (2 * r + dr) * 28 + 2 * c + dc] as number;
        const i = n * DIM + r * SIDE + c;
        const q = Math.min(levels - 1, Math.floor((v / 4) * levels));
        const p = settings.alpha + (1 - 2 * settings.alpha) * ((q + (noise[i] as number)) / levels);
        out[i] = Math.log(p / (1 - p));
      }
    }
  }
  return out;
}

await initEngine({ backend: 'wasm' });

interface FlowFacts {
  nllTrain: number;
  nllTest: number;
  seconds: number;
  trainImages: number;
  testImages: number;
}

/** The target: a NICE flow fitted to 14 x 14 MNIST by maximum likelihood (deterministic by seed). */
function trainFlowTarget(): { flow: Flow; target: Target; facts: FlowFacts } {
  const [dataRng, flowInitRng, flowTrainRng] = Rng.fromSeed(settings.seed).split(3);
  const { train, test } = loadImageDataset('mnist');
  const trainCount = Math.min(settings.images, train.count);
  const raw = prepare(train.images, trainCount, dataRng);
  const testCount = Math.min(1000, test.count);
  const rawTest = prepare(test.images, testCount, dataRng);
  // Per-pixel standardization (a floor on the spread keeps near-constant border pixels finite).
  const mean = new Float64Array(DIM);
  const sd = new Float64Array(DIM);
  for (let n = 0; n < trainCount; n++)
    for (let j = 0; j < DIM; j++)
      mean[j] = (mean[j] as number) + (raw[n * DIM + j] as number) / trainCount;
  for (let n = 0; n < trainCount; n++)
    for (let j = 0; j < DIM; j++)
      sd[j] =
        (sd[j] as number) + ((raw[n * DIM + j] as number) - (mean[j] as number)) ** 2 / trainCount;
  for (let j = 0; j < DIM; j++) sd[j] = Math.max(0.1, Math.sqrt(sd[j] as number));
  const standardize = (x: Float32Array) =>
    x.map((v, i) => (v - (mean[i % DIM] as number)) / (sd[i % DIM] as number));
  const data = tf.tensor2d(standardize(raw), [trainCount, DIM]) as Tensor2D;
  const testData = tf.tensor2d(standardize(rawTest), [testCount, DIM]) as Tensor2D;

  // ---- the flow, by maximum likelihood ----
  const flow = new Flow(
    DIM,
    {
      kind: 'nice',
      layers: settings.layers,
      conditioner: { hidden: [settings.hidden, settings.hidden] },
    },
    flowInitRng,
  );
  const target = flowTarget(flow, 'nice-mnist14');
  const model = new FlowModel(flow, target, { kind: 'forward-kl', estimator: 'ml' }, data);
  const trainer = new Trainer(
    model,
    {
      particles: settings.flowBatch,
      learningRate: settings.flowLearningRate,
      clipNorm: 100,
      lrSchedule: { kind: 'constant' },
    },
    flowTrainRng,
  );
  const flowStarted = performance.now();
  for (let i = 0; i < settings.flowIterations; i++) {
    const m = trainer.step();
    if (i % 100 === 0 || i === settings.flowIterations - 1)
      process.stderr.write(`flow ${i}: loss ${m.loss.toFixed(2)}\n`);
  }
  const flowSeconds = (performance.now() - flowStarted) / 1000;
  trainer.dispose();
  const nll = (x: Tensor2D) => tf.tidy(() => -(tf.mean(flow.logProb(x)).arraySync() as number));
  const flowNll = {
    train: nll(data.slice([0, 0], [Math.min(1000, trainCount), DIM])),
    test: nll(testData),
  };
  process.stderr.write(
    `flow: NLL train ${flowNll.train.toFixed(2)}, test ${flowNll.test.toFixed(2)} nats in ${flowSeconds.toFixed(0)} s\n`,
  );
  tf.dispose([data, testData]);
  return {
    flow,
    target,
    facts: {
      nllTrain: flowNll.train,
      nllTest: flowNll.test,
      seconds: flowSeconds,
      trainImages: trainCount,
      testImages: testCount,
    },
  };
}

// ---- samplers on the flow's density ----
const CELLS = ['ais-hmc', ...LEARNED_SAMPLERS] as const;

/** One sampler's row on the flow target. */
function samplerRow(cell: (typeof CELLS)[number], target: Target): FlowTargetRow {
  if (cell === 'ais-hmc') {
    const ais = estimateLogZ({
      target,
      sampler: 'ais-hmc',
      steps: settings.steps,
      particles: settings.evalParticles,
      stepSize: 0.1,
      leapfrogSteps: 5,
      batches: 10,
      seed: settings.seed + 1,
    });
    const row: FlowTargetRow = {
      sampler: 'ais-hmc (untrained, step 0.1, L = 5)',
      logZ: ais.logZ,
      logZStdErr: ais.logZStdErr,
      reliable: ais.logZStdErrReliable,
      elbo: ais.elbo,
      ess: ais.essFraction,
      trainSeconds: 0,
      evalSeconds: ais.seconds,
    };
    process.stderr.write(`ais-hmc: log Z ${ais.logZ.toFixed(3)}\n`);
    return row;
  }
  const kind = cell as LearnedSamplerName;
  const r = trainAndEvaluate({
    target,
    sampler: {
      kind,
      steps: settings.steps,
      stepSize: kind.startsWith('uha') ? 0.05 : 0.01,
      initialScale: 1,
      learn: {
        stepSizes: true,
        schedule: false,
        initial: false,
        eta: true,
        mass: true,
        scoreNet: true,
      },
    },
    trainIterations: settings.iterations,
    trainParticles: settings.particles,
    learningRate: settings.samplerLearningRate,
    particles: settings.evalParticles,
    seed: settings.seed + 1,
    onIteration: (m, total) => {
      if (m.iteration % 20 === 0)
        process.stderr.write(`${kind} ${m.iteration}/${total}: ELBO ${m.elbo?.toFixed(2)}\n`);
    },
  });
  const row: FlowTargetRow = {
    sampler: kind,
    logZ: r.logZ,
    logZStdErr: r.logZStdErr,
    reliable: r.logZStdErrReliable,
    elbo: r.elbo,
    ess: r.essFraction,
    trainSeconds: r.trained.seconds,
    evalSeconds: r.seconds,
  };
  r.sampler.dispose();
  process.stderr.write(
    `${kind}: log Z ${r.logZ.toFixed(3)} after ${r.trained.seconds.toFixed(0)} s\n`,
  );
  return row;
}

// Each process trains the same flow (deterministic by seed), then runs its cells on it.
const outcome = await runSharded(CELLS.slice(), sharding, async (subset) => {
  const { flow, target, facts } = trainFlowTarget();
  try {
    return subset.map((cell) => ({ row: samplerRow(cell, target), flow: facts }));
  } finally {
    flow.dispose();
  }
});
if (outcome === null) process.exit(0);
const rows = outcome.results.map((r) => r.row);
const facts = (outcome.results[0] as { flow: FlowFacts }).flow;

const data_: FlowTargetData = {
  generated: mergedGenerated(generatedNow({ backend: currentBackend() }), outcome.generated),
  command: `npx tsx scripts/flow-target.ts --images ${settings.images} --flow-iterations ${settings.flowIterations} --hidden ${settings.hidden} --layers ${settings.layers} --steps ${settings.steps} --iterations ${settings.iterations} --particles ${settings.particles} --eval-particles ${settings.evalParticles}${settings.seed ? ` --seed ${settings.seed}` : ''}`,
  settings: { ...settings, trainImages: facts.trainImages, testImages: facts.testImages, dim: DIM },
  flow: { nllTrain: facts.nllTrain, nllTest: facts.nllTest, seconds: facts.seconds },
  rows,
};
const docs = values.docs as string;
writeFileSync(`${docs}/flow-target.json`, `${JSON.stringify(data_, null, 2)}\n`);
writeFileSync(`${docs}/flow-target.md`, renderFlowTarget(data_));
process.stderr.write(`wrote ${docs}/flow-target.md and .json\n`);
