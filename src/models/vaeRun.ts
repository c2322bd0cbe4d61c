// A VAE training run in a run directory (config.json, checkpoint.json every epoch, metrics.jsonl,
// eval.json), with the shared training loop and exact resume, and the test-set evaluation: the
// IWAE bound and the AIS log-likelihood (HMC chains from the prior) with standard errors over
// test images. (A run is an experiment: it sits above data/ and eval/ in the layers.)
import { Rng, initEngine, readAndDispose, tf, type Tensor2D } from '../engine/index.js';
import { binarize, loadImageDataset, sliceImages, type ImageSet } from '../data/mnist.js';
import { aisLogLikelihood, bdmc, type AisLikelihood } from '../eval/aisLikelihood.js';
import { trainThenEvaluate, type RunHooks, type TrainedRun } from '../train/loop.js';
import {
  createRunDir,
  expectRunKind,
  readCheckpoint,
  readRunConfig,
  writeAtomic,
} from '../train/runDir.js';
import { lrScheduleFor } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { Vae, VaeError } from './vae.js';
import { VaeModel, type VaeTrainingObjective } from './vaeModel.js';
import { parseVaeRunConfig, type VaeRunConfig } from './vaeConfig.js';
import { vaeSamplerDefaults, type VaeSampler } from './vaeSampler.js';
import { reconstructionGrid, sampleGrid } from './vaeImages.js';
import { writeImageGrid } from '../io/png.js';
import { join } from 'node:path';
import { isLearnedSamplerName } from '../annealing/learned.js';

export interface VaeEvaluation {
  testImages: number;
  /**
   * Mean over test images of the model's own bound with one chain (the ELBO; for the sampler
   * objectives the chain's extended-space ELBO), each image averaged over `elboSamples` draws.
   */
  elbo: number;
  elboStdErr: number | null;
  elboSamples: number;
  /** Which bound `elbo` is: 'vae' (q(z|x) alone) or the sampler's kind. */
  elboKind: string;
  /** Mean IWAE bound over test images (K = iwaeSamples) and its standard error. */
  iwae: number;
  iwaeStdErr: number | null;
  iwaeSamples: number;
  /** AIS log-likelihood (null when aisSteps = 0). */
  ais: Pick<AisLikelihood, 'mean' | 'stdErr' | 'acceptance'> | null;
  aisSteps: number;
  aisChains: number;
  /**
   * BDMC on images simulated from the model with the AIS settings (null when bdmcImages = 0):
   * means over images of the forward (lower) and reverse (upper) estimates, and their gap.
   */
  bdmc: {
    images: number;
    lower: number;
    lowerStdErr: number | null;
    upper: number;
    upperStdErr: number | null;
    gap: number;
  } | null;
  seconds: number;
}

/**
 * The evaluation's per-image values, in test-set order: what a paired comparison of two models on
 * the same images (and, with the same eval seed, the same AIS chains' random numbers) needs.
 * A trained run writes them to per-image.json beside eval.json.
 */
export interface VaePerImage {
  elbo: number[];
  iwae: number[];
  /** Empty when aisSteps = 0. */
  ais: number[];
}

export type VaeRunOutcome = TrainedRun<VaeRunConfig, VaeEvaluation>;

/** A VAE run's training and test images. */
export interface VaeData {
  train: ImageSet;
  test: ImageSet;
}

/** Training and test images of a config, binarized as it says (test: always statically). */
export function loadVaeData(config: VaeRunConfig): VaeData {
  const d = config.data;
  const splits = loadImageDataset(d.name, {
    dir: d.dir,
    file: d.file,
    validation: d.validation,
  });
  const [trainBin, testBin] = Rng.fromSeed(config.seed).split(4).slice(2) as [Rng, Rng];
  let train = splits.train;
  if (d.trainImages !== undefined) {
    if (d.trainImages > train.count)
      throw new VaeError(
        `data.trainImages is ${d.trainImages}, but the ${d.name} training split has ${train.count} images (the validation split holds ${splits.valid.count}; data.validation: 0 trains on all)`,
      );
    train = sliceImages(train, 0, d.trainImages);
  }
  if (d.binarization === 'static') train = binarize(train, trainBin);
  let test = splits.test;
  const n = config.eval.testImages;
  if (n !== undefined) test = sliceImages(test, 0, Math.min(n, test.count));
  return { train, test: binarize(test, testBin) };
}

export function buildVaeRun(config: VaeRunConfig, train: ImageSet) {
  const [initRng, trainRng] = Rng.fromSeed(config.seed).split(4);
  const vae = new Vae(
    { dataDim: train.pixels, latentDim: config.model.latentDim, hidden: config.model.hidden },
    initRng,
  );
  const t = config.train;
  const o = t.objective;
  let objective: VaeTrainingObjective;
  if (o.kind === 'ais' || o.kind === 'mh-hmc') {
    objective = {
      kind: o.kind,
      samples: o.samples,
      temperatures: o.temperatures,
      leapfrogSteps: o.leapfrogSteps ?? 5,
    };
  } else if (isLearnedSamplerName(o.kind)) {
    const d = vaeSamplerDefaults(o.kind);
    objective = {
      kind: o.kind,
      samples: o.samples,
      steps: o.steps ?? d.steps,
      stepSize: o.stepSize ?? d.stepSize,
      leapfrogSteps: o.leapfrogSteps ?? d.leapfrogSteps,
    };
  } else {
    objective = { kind: o.kind, samples: o.samples };
  }
  const model = new VaeModel(
    vae,
    train,
    objective,
    t.batch,
    config.data.binarization === 'dynamic',
    config.seed,
  );
  const iterations = t.epochs * model.batchesPerEpoch;
  const trainer = new Trainer(
    model,
    {
      particles: t.batch,
      learningRate: t.learningRate,
      clipNorm: t.clipNorm,
      lrSchedule: lrScheduleFor(t.lrSchedule, iterations),
    },
    trainRng,
  );
  model.iteration = () => trainer.iteration;
  return { vae, model, trainer, iterations };
}

/**
 * The model's bound (ELBO, or the sampler's), the IWAE bound and the AIS log-likelihood of the
 * test images, in chunks of 100 images. Every read is awaited, so it runs on webgpu too.
 */
export async function evaluateVae(
  vae: Vae,
  test: ImageSet,
  e: VaeRunConfig['eval'],
  onChunk?: (done: number, total: number) => void | Promise<void>,
  sampler: VaeSampler | null = null,
): Promise<VaeEvaluation> {
  return (await evaluateVaePerImage(vae, test, e, onChunk, sampler)).evaluation;
}

/** evaluateVae's summary and the per-image values it was computed from. */
export async function evaluateVaePerImage(
  vae: Vae,
  test: ImageSet,
  e: VaeRunConfig['eval'],
  onChunk?: (done: number, total: number) => void | Promise<void>,
  sampler: VaeSampler | null = null,
): Promise<{ evaluation: VaeEvaluation; perImage: VaePerImage }> {
  const started = performance.now();
  const rng = Rng.fromSeed(e.seed);
  const elbo: number[] = [];
  const iw: number[] = [];
  const ais: number[] = [];
  let acceptance = 0;
  const chunk = 100;
  for (let start = 0; start < test.count; start += chunk) {
    const part = sliceImages(test, start, Math.min(test.count, start + chunk));
    const x = tf.tensor2d(part.images, [part.count, part.pixels]) as Tensor2D;
    try {
      // Per-image ELBO: the mean log-weight of S single-chain draws per image.
      const s = e.elboSamples;
      const logW = sampler ? sampler.logWeights(x, s, rng) : vae.logWeights(x, s, rng);
      const perImage = tf.tidy(() => tf.mean(tf.reshape(logW, [part.count, s]), 1));
      logW.dispose();
      elbo.push(...(await readAndDispose(perImage)));
      // Per-image IWAE bounds: one image at a time keeps K draws x 784 pixels small.
      for (let i = 0; i < part.count; i++) {
        const row = tf.slice(x, [i, 0], [1, part.pixels]) as Tensor2D;
        const r = vae.objective(row, 'iwae', e.iwaeSamples, rng);
        tf.dispose([row, r.surrogate]);
        iw.push((await readAndDispose(r.bound))[0] as number);
      }
      if (e.aisSteps > 0) {
        const a = await aisLogLikelihood(vae, x, {
          steps: e.aisSteps,
          chains: e.aisChains,
          stepSize: e.aisStepSize,
          leapfrogSteps: e.aisLeapfrog,
          seed: e.seed + start + 1,
        });
        ais.push(...a.perPoint);
        acceptance += (a.acceptance ?? 0) * part.count;
      }
    } finally {
      x.dispose();
    }
    await onChunk?.(Math.min(test.count, start + chunk), test.count);
  }
  const meanSe = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const s =
      v.length > 1
        ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) / v.length)
        : null;
    return { mean: m, stdErr: s };
  };
  let bdmcSummary: VaeEvaluation['bdmc'] = null;
  if (e.bdmcImages > 0) {
    const r = await bdmc(vae, e.bdmcImages, {
      steps: Math.max(1, e.aisSteps),
      chains: e.aisChains,
      stepSize: e.aisStepSize,
      leapfrogSteps: e.aisLeapfrog,
      seed: e.seed + 2,
    });
    r.x.dispose();
    bdmcSummary = {
      images: e.bdmcImages,
      lower: r.lower.mean,
      lowerStdErr: r.lower.stdErr,
      upper: r.upper.mean,
      upperStdErr: r.upper.stdErr,
      gap: r.gap,
    };
  }
  const i = meanSe(iw);
  const el = meanSe(elbo);
  const a = ais.length ? meanSe(ais) : null;
  const evaluation: VaeEvaluation = {
    testImages: test.count,
    elbo: el.mean,
    elboStdErr: el.stdErr,
    elboSamples: e.elboSamples,
    elboKind: sampler ? sampler.spec.kind : 'vae',
    iwae: i.mean,
    iwaeStdErr: i.stdErr,
    iwaeSamples: e.iwaeSamples,
    ais: a ? { ...a, acceptance: acceptance / test.count } : null,
    aisSteps: e.aisSteps,
    aisChains: e.aisChains,
    bdmc: bdmcSummary,
    seconds: (performance.now() - started) / 1000,
  };
  return { evaluation, perImage: { elbo, iwae: iw, ais } };
}

export async function trainVaeRun(
  input: { config: VaeRunConfig; outDir: string } | { resumeDir: string },
  hooks: RunHooks & { onEvalChunk?: (done: number, total: number) => void } = {},
): Promise<VaeRunOutcome> {
  const resuming = 'resumeDir' in input;
  const dir = resuming ? input.resumeDir : input.outDir;
  const config = resuming
    ? parseVaeRunConfig(expectRunKind(dir, readRunConfig(dir), 'vae'), `${dir}/config.json`)
    : input.config;
  await initEngine({ backend: config.backend });
  const data = loadVaeData(config);
  if (config.train.batch > data.train.count) {
    throw new VaeError(
      `train.batch ${config.train.batch} exceeds the ${data.train.count} training images`,
    );
  }
  // Built before the run directory exists: a config that cannot run leaves nothing.
  const { vae, trainer, iterations, model } = buildVaeRun(config, data.train);
  try {
    if (!resuming) createRunDir(dir, config);
    return await trainThenEvaluate(
      {
        dir,
        resuming,
        config,
        train: {
          iterations,
          logEvery: config.train.logEvery,
          checkpointEvery: model.batchesPerEpoch,
        },
        params: vae.params,
        trainer,
        hooks,
        resumeCommand: 'anneal vae train',
      },
      async (pause) => {
        const { evaluation, perImage } = await evaluateVaePerImage(
          vae,
          data.test,
          config.eval,
          async (done, total) => {
            hooks.onEvalChunk?.(done, total);
            await pause();
          },
          model.sampler,
        );
        writeAtomic(join(dir, 'per-image.json'), `${JSON.stringify(perImage)}\n`);
        await writeVaePictures(dir, vae, data.test, config.eval.seed);
        await pause();
        const record = {
          data: config.data.name,
          objective: model.objective,
          ...(model.sampler ? { sampler: await model.sampler.sampler.summaryAsync() } : {}),
          iterations: trainer.iteration,
          epochs: config.train.epochs,
          skipped: trainer.skippedTotal,
          ...evaluation,
        };
        return { evaluation, record };
      },
    );
  } finally {
    trainer.dispose();
    model.dispose();
    vae.dispose();
  }
}

/** samples.png (64 model samples) and reconstructions.png (32 test images) in `dir`. */
export async function writeVaePictures(
  dir: string,
  vae: Vae,
  test: ImageSet,
  seed: number,
): Promise<string[]> {
  const files = [join(dir, 'samples.png'), join(dir, 'reconstructions.png')];
  writeImageGrid(files[0] as string, await sampleGrid(vae, 64, Rng.fromSeed(seed + 7)));
  writeImageGrid(files[1] as string, await reconstructionGrid(vae, test, 32));
  return files;
}

/**
 * A run directory's trained VAE (with its learned sampler, for the sampler objectives) and its
 * test images; the caller calls dispose().
 */
export async function loadTrainedVae(
  dir: string,
  options: {
    /** Test images to load in place of the config's eval.testImages (all of them: the whole set). */
    testImages?: number;
  } = {},
): Promise<{
  config: VaeRunConfig;
  vae: Vae;
  sampler: VaeSampler | null;
  test: ImageSet;
  iteration: number;
  dispose: () => void;
}> {
  const checkpoint = readCheckpoint(dir);
  const config = parseVaeRunConfig(
    expectRunKind(dir, checkpoint.config, 'vae'),
    `${dir}/checkpoint.json`,
  );
  await initEngine({ backend: config.backend });
  const data = loadVaeData(
    options.testImages === undefined
      ? config
      : { ...config, eval: { ...config.eval, testImages: options.testImages } },
  );
  if (options.testImages !== undefined && data.test.count < options.testImages)
    throw new VaeError(
      `${options.testImages} test images asked for; the ${config.data.name} test set has ${data.test.count}`,
    );
  const { vae, trainer, model } = buildVaeRun(config, data.train);
  trainer.dispose();
  vae.params.load(checkpoint.params);
  return {
    config,
    vae,
    sampler: model.sampler,
    test: data.test,
    iteration: checkpoint.trainer.iteration,
    dispose: () => {
      model.dispose();
      vae.dispose();
    },
  };
}
