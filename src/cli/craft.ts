// `anneal craft train <config>` and `anneal craft eval --from RUN_DIR`: CRAFT (SMC with a learned
// flow per temperature step, then HMC) trained in run directories, evaluated by its SMC log Z.
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { currentBackend } from '../engine/index.js';
import { parseCraftRunConfig } from '../flows/craftConfig.js';
import {
  evaluateCraft,
  loadTrainedCraft,
  trainCraftRun,
  type CraftEvaluation,
  type CraftRunOutcome,
} from '../flows/craftRun.js';
import { shellWord } from '../train/loop.js';
import { readConfigObject } from './config.js';
import { logZJson, logZText } from './logZText.js';
import { nonNegativeInt, parseOptions, positiveInt } from './options.js';
import { plotRun } from './plot.js';
import { progressBar } from './progress.js';
import { parseTrainInvocation } from './train.js';

export async function craftTrainCommand(
  configPath: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const o = parseTrainInvocation(configPath, raw);
  const progress = progressBar('training CRAFT', { quiet: Boolean(o.quiet), unit: 'iterations' });
  let outcome: CraftRunOutcome;
  let dir: string;
  const hooks = {
    onWarning: (message: string) => process.stderr.write(`anneal: warning: ${message}\n`),
    stopAfter: o.stopAfter,
    onIteration: (m: { iteration: number; loss: number; skippedTotal: number }, total: number) =>
      progress.update(
        m.iteration,
        total,
        `transport KL ${m.loss.toFixed(3)}${m.skippedTotal ? ` | skipped ${m.skippedTotal}` : ''}`,
      ),
  };
  try {
    if (o.resume) {
      dir = o.resume;
      outcome = await trainCraftRun({ resumeDir: dir }, hooks);
    } else {
      const path = configPath as string;
      const config = parseCraftRunConfig(readConfigObject(path, 'target, craft and train'), path);
      if (o.backend) config.backend = o.backend;
      dir = o.out ?? join('runs', basename(path, extname(path)));
      outcome = await trainCraftRun({ config, outDir: dir }, hooks);
    }
  } finally {
    progress.stop();
  }
  await plotRun(dir);
  const c = outcome.config;
  const e = outcome.evaluation;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ runDir: dir, target: c.target.name, steps: c.craft.steps, iterations: outcome.iterations, skipped: outcome.skipped, completed: outcome.completed, trainSeconds: outcome.trainSeconds, ...(e ? summary(e) : {}) })}\n`,
    );
    return;
  }
  const rows: [string, string][] = [
    ['run', dir],
    ['target', c.target.name],
    ['craft', craftLine(c.craft)],
    [
      'trained',
      `${outcome.iterations} of ${c.train.iterations} iterations (${outcome.skipped} skipped) in ${outcome.trainSeconds.toFixed(1)} s`,
    ],
  ];
  if (e) rows.push(...reportRows(e));
  else
    rows.push([
      'status',
      `stopped early; continue with: anneal craft train --resume ${shellWord(dir)}`,
    ]);
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(''));
}

const EvalSchema = z.object({
  from: z.string(),
  particles: positiveInt,
  systems: positiveInt,
  seed: nonNegativeInt,
  json: z.boolean().optional(),
});

export async function craftEvalCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(EvalSchema, raw);
  if (o.particles % o.systems !== 0)
    throw new RangeError(
      `--particles ${o.particles} must split into --systems ${o.systems} systems of equal size`,
    );
  const { target, craft, config, iteration } = await loadTrainedCraft(o.from);
  try {
    const e = evaluateCraft(craft, o);
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ runDir: o.from, target: target.name, steps: config.craft.steps, iterations: iteration, ...summary(e) })}\n`,
      );
      return;
    }
    const rows: [string, string][] = [
      ['run', `${o.from} (${iteration} iterations)`],
      ['target', `${target.name} (dim ${target.dim})`],
      ['craft', craftLine(config.craft)],
      ...reportRows(e),
      ['backend', currentBackend()],
    ];
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(''));
  } finally {
    craft.dispose();
    target.dispose?.();
  }
}

function craftLine(c: ReturnType<typeof parseCraftRunConfig>['craft']): string {
  const hmc = c.hmc ? `HMC ${c.hmc.moves} x ${c.hmc.leapfrogSteps} leapfrog` : 'no HMC';
  return `${c.steps} steps, a RealNVP of ${c.layers} layers each; ${hmc}; ${c.resampling.scheme} resampling`;
}

function summary(e: CraftEvaluation) {
  return {
    logZ: e.logZ,
    logZStdErr: e.logZStdErr,
    ...logZJson(e),
    ess: e.essFraction,
    systems: e.systems,
    trueLogZ: e.trueLogZ,
  };
}

function reportRows(e: CraftEvaluation): [string, string][] {
  return [
    ['log Z', logZText(e, `SMC, ${e.systems} independent systems of ${e.n / e.systems} particles`)],
    ['exact log Z', e.trueLogZ === null ? 'unknown' : e.trueLogZ.toFixed(4)],
  ];
}
