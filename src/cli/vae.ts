// `anneal vae train <config>` and `anneal vae eval --from RUN_DIR`: VAEs on binarized MNIST-style
// images, trained on the ELBO, IWAE, IWAE-DReG, AIS or a learned sampler's bound, evaluated on
// test images by the model's own bound, the IWAE bound and the AIS log-likelihood, with PNG grids
// of samples and reconstructions.
import { shellWord } from '../train/loop.js';
import { plotRun } from './plot.js';
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { Vae, VaeError } from '../models/vae.js';
import type { ImageSet } from '../data/mnist.js';
import { z } from 'zod';
import { currentBackend } from '../engine/index.js';
import { parseVaeRunConfig } from '../models/vaeConfig.js';
import {
  evaluateVae,
  loadTrainedVae,
  trainVaeRun,
  writeVaePictures,
  type VaeEvaluation,
  type VaeRunOutcome,
} from '../models/vaeRun.js';
import { readConfigObject } from './config.js';
import { parseTrainInvocation } from './train.js';
import { nonNegativeInt, parseOptions, positiveInt, positiveNumber } from './options.js';
import { progressBar } from './progress.js';

const fmt = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined ? 'n/a' : x.toFixed(digits);

function evaluationRows(e: VaeEvaluation): [string, string][] {
  return [
    ['test images', String(e.testImages)],
    [
      e.elboKind === 'vae' ? 'ELBO' : `${e.elboKind} ELBO`,
      `${fmt(e.elbo)} ± ${fmt(e.elboStdErr)} (${e.elboSamples} draws per image)`,
    ],
    ['IWAE bound', `${fmt(e.iwae)} ± ${fmt(e.iwaeStdErr)} (K = ${e.iwaeSamples})`],
    [
      'AIS log p(x)',
      e.ais
        ? `${fmt(e.ais.mean)} ± ${fmt(e.ais.stdErr)} (${e.aisSteps} HMC steps, ${e.aisChains} chains, acceptance ${fmt(e.ais.acceptance, 2)})`
        : 'skipped (aisSteps 0)',
    ],
    ...(e.bdmc
      ? [
          [
            'BDMC',
            `lower ${fmt(e.bdmc.lower)} ± ${fmt(e.bdmc.lowerStdErr)}, upper ${fmt(e.bdmc.upper)} ± ${fmt(e.bdmc.upperStdErr)}, gap ${fmt(e.bdmc.gap)} (${e.bdmc.images} simulated images)`,
          ] as [string, string],
        ]
      : []),
    ['eval time', `${e.seconds.toFixed(1)} s`],
  ];
}

export async function vaeTrainCommand(
  configPath: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const o = parseTrainInvocation(configPath, raw);
  const progress = progressBar('training VAE', { quiet: Boolean(o.quiet), unit: 'iterations' });
  const evalProgress = progressBar('evaluating', { quiet: Boolean(o.quiet), unit: 'images' });
  let outcome: VaeRunOutcome;
  let dir: string;
  const hooks = {
    onWarning: (message: string) => process.stderr.write(`anneal: warning: ${message}\n`),
    stopAfter: o.stopAfter,
    onIteration: (m: { iteration: number; elbo: number; skippedTotal: number }, total: number) =>
      progress.update(
        m.iteration,
        total,
        `bound ${m.elbo.toFixed(2)}${m.skippedTotal ? ` | skipped ${m.skippedTotal}` : ''}`,
      ),
    onEvalChunk: (done: number, total: number) => evalProgress.update(done, total),
  };
  try {
    if (o.resume) {
      dir = o.resume;
      outcome = await trainVaeRun({ resumeDir: dir }, hooks);
    } else {
      const path = configPath as string;
      const config = parseVaeRunConfig(readConfigObject(path, 'data, model and train'), path);
      if (o.backend) config.backend = o.backend;
      dir = o.out ?? join('runs', basename(path, extname(path)));
      outcome = await trainVaeRun({ config, outDir: dir }, hooks);
    }
  } finally {
    progress.stop();
    evalProgress.stop();
  }
  await plotRun(dir);
  const c = outcome.config;
  const e = outcome.evaluation;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ runDir: dir, data: c.data.name, objective: c.train.objective, iterations: outcome.iterations, skipped: outcome.skipped, completed: outcome.completed, trainSeconds: outcome.trainSeconds, evaluation: e })}\n`,
    );
    return;
  }
  const rows: [string, string][] = [
    ['run', dir],
    ['data', `${c.data.name} (${c.data.binarization} binarization)`],
    [
      'model',
      `latent ${c.model.latentDim}, hidden ${c.model.hidden.join('x')}; ${c.train.objective.kind} with K = ${c.train.objective.samples}`,
    ],
    [
      'trained',
      `${outcome.iterations} iterations (${outcome.skipped} skipped) in ${outcome.trainSeconds.toFixed(1)} s`,
    ],
  ];
  if (e) {
    rows.push(...evaluationRows(e));
    rows.push(['pictures', `${join(dir, 'samples.png')}, ${join(dir, 'reconstructions.png')}`]);
  } else
    rows.push([
      'status',
      `stopped early; continue with: anneal vae train --resume ${shellWord(dir)}`,
    ]);
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(14)}${v}\n`).join(''));
}

/** Writes the picture grids into `dir` (created if missing); a failure is one VaeError line. */
async function writePictures(
  dir: string,
  vae: Vae,
  test: ImageSet,
  seed: number,
): Promise<string[]> {
  try {
    mkdirSync(dir, { recursive: true });
    return await writeVaePictures(dir, vae, test, seed);
  } catch (error) {
    if (error instanceof VaeError) throw error;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new VaeError(`cannot write pictures into '${dir}': ${reason}`);
  }
}

const EvalSchema = z.object({
  from: z.string(),
  testImages: positiveInt.optional(),
  iwaeSamples: positiveInt.optional(),
  aisSteps: nonNegativeInt.optional(),
  aisChains: positiveInt.optional(),
  aisStepSize: positiveNumber.optional(),
  aisLeapfrog: positiveInt.optional(),
  seed: nonNegativeInt.optional(),
  elboSamples: positiveInt.optional(),
  bdmc: nonNegativeInt.optional(),
  pictures: z.string().optional(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});

export async function vaeEvalCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(EvalSchema, raw);
  const { config, vae, sampler, test, iteration, dispose } = await loadTrainedVae(o.from, {
    ...(o.testImages !== undefined ? { testImages: o.testImages } : {}),
  });
  const progress = progressBar('evaluating', { quiet: Boolean(o.quiet), unit: 'images' });
  try {
    const settings = {
      ...config.eval,
      ...Object.fromEntries(
        Object.entries({
          iwaeSamples: o.iwaeSamples,
          aisSteps: o.aisSteps,
          aisChains: o.aisChains,
          aisStepSize: o.aisStepSize,
          aisLeapfrog: o.aisLeapfrog,
          seed: o.seed,
          elboSamples: o.elboSamples,
          bdmcImages: o.bdmc,
        }).filter(([, v]) => v !== undefined),
      ),
    };
    const e = await evaluateVae(vae, test, settings, (d, t) => progress.update(d, t), sampler);
    progress.stop();
    const pictures = o.pictures ? await writePictures(o.pictures, vae, test, settings.seed) : null;
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ runDir: o.from, iterations: iteration, ...e, pictures })}\n`,
      );
      return;
    }
    const rows: [string, string][] = [
      ['run', `${o.from} (${iteration} iterations)`],
      ...evaluationRows(e),
      ...(pictures ? [['pictures', pictures.join(', ')] as [string, string]] : []),
      ['backend', currentBackend()],
    ];
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(14)}${v}\n`).join(''));
  } finally {
    progress.stop();
    dispose();
  }
}
