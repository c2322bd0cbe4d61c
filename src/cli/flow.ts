// `anneal flow train <config>` and `anneal flow eval --from RUN_DIR`: normalizing flows trained by
// reverse or forward KL with the standard or path-gradient estimators, in run directories.
import { shellWord } from '../train/loop.js';
import { plotRun } from './plot.js';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { Rng, currentBackend } from '../engine/index.js';
import { evaluateFlow, type FlowEvaluation } from '../flows/metrics.js';
import { FabModel, evaluateFabAis } from '../flows/fab.js';
import { FlowError } from '../flows/bijection.js';
import { parseFlowRunConfig } from '../flows/config.js';
import {
  loadTrainedFlow,
  trainFlowRun,
  type FlowRunEvaluation,
  type FlowRunOutcome,
} from '../flows/run.js';
import type { FlowRunConfig } from '../flows/config.js';
import { readConfigObject } from './config.js';
import { parseTrainInvocation } from './train.js';
import { nonNegativeInt, parseOptions, positiveInt } from './options.js';
import { progressBar } from './progress.js';
import { logZJson, logZText } from './logZText.js';

export async function flowTrainCommand(
  configPath: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const o = parseTrainInvocation(configPath, raw);
  const progress = progressBar('training flow', { quiet: Boolean(o.quiet), unit: 'iterations' });
  let outcome: FlowRunOutcome;
  let dir: string;
  const hooks = {
    onWarning: (message: string) => process.stderr.write(`anneal: warning: ${message}\n`),
    stopAfter: o.stopAfter,
    onIteration: (m: { iteration: number; loss: number; skippedTotal: number }, total: number) =>
      progress.update(
        m.iteration,
        total,
        `loss ${m.loss.toFixed(3)}${m.skippedTotal ? ` | skipped ${m.skippedTotal}` : ''}`,
      ),
  };
  try {
    if (o.resume) {
      dir = o.resume;
      outcome = await trainFlowRun({ resumeDir: dir }, hooks);
    } else {
      const path = configPath as string;
      const config = parseFlowRunConfig(readConfigObject(path, 'target, flow and train'), path);
      if (o.backend) config.backend = o.backend;
      dir = o.out ?? join('runs', basename(path, extname(path)));
      outcome = await trainFlowRun({ config, outDir: dir }, hooks);
    }
  } finally {
    progress.stop();
  }
  await plotRun(dir);
  const c = outcome.config;
  const e = outcome.evaluation;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ runDir: dir, target: c.target.name, flow: c.flow.kind, loss: c.train.loss, iterations: outcome.iterations, skipped: outcome.skipped, completed: outcome.completed, trainSeconds: outcome.trainSeconds, ...(e ? summary(e) : {}) })}\n`,
    );
    return;
  }
  const rows: [string, string][] = [
    ['run', dir],
    ['target', c.target.name],
    ['flow', `${c.flow.kind}, ${c.flow.layers} layers; ${lossText(c.train.loss)}`],
    [
      'trained',
      `${outcome.iterations} of ${c.train.iterations} iterations (${outcome.skipped} skipped) in ${outcome.trainSeconds.toFixed(1)} s`,
    ],
  ];
  if (e) rows.push(...reportRows(e, c.eval.particles), ...fabRows(e));
  else
    rows.push([
      'status',
      `stopped early; continue with: anneal flow train --resume ${shellWord(dir)}`,
    ]);
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(''));
}

const EvalSchema = z.object({
  from: z.string(),
  particles: positiveInt,
  batches: positiveInt,
  testSamples: positiveInt,
  seed: nonNegativeInt,
  json: z.boolean().optional(),
});

export async function flowEvalCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(EvalSchema, raw);
  const { target, flow, config, iteration, fabStepSizes } = await loadTrainedFlow(o.from);
  try {
    const rng = Rng.fromSeed(o.seed);
    const flowEvaluation = evaluateFlow(flow, target, {
      particles: o.particles,
      batches: o.batches,
      rng,
      testSamples: o.testSamples,
    });
    const loss = config.train.loss;
    let e: FlowRunEvaluation = flowEvaluation;
    if (loss.kind === 'fab' && fabStepSizes) {
      // AIS from the flow with the run's tuned moves, as its training run evaluated it.
      if (o.particles % o.batches !== 0)
        throw new FlowError(
          `--particles ${o.particles} must split into --batches ${o.batches} AIS batches of equal size`,
        );
      const fab = new FabModel(flow, target, { ...loss, buffer: null }, config.train.batch);
      fab.setStepSizes(fabStepSizes);
      e = {
        ...flowEvaluation,
        fab: evaluateFabAis(fab, {
          particles: o.particles,
          batchSize: o.particles / o.batches,
          rng,
        }),
      };
      fab.dispose();
    }
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ runDir: o.from, target: target.name, flow: config.flow.kind, iterations: iteration, ...summary(e) })}\n`,
      );
      return;
    }
    const rows: [string, string][] = [
      ['run', `${o.from} (${iteration} iterations)`],
      ['target', `${target.name} (dim ${target.dim})`],
      ['flow', `${config.flow.kind}, ${config.flow.layers} layers`],
      ...reportRows(e, o.particles),
      ...fabRows(e),
      ['backend', currentBackend()],
    ];
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(''));
  } finally {
    flow.dispose();
    target.dispose?.();
  }
}

/** The loss as the report names it: its kind, and the gradient estimator where it has one. */
function lossText(loss: FlowRunConfig['train']['loss']): string {
  return loss.kind === 'fab'
    ? `FAB (alpha ${loss.alpha}, ${loss.buffer ? 'replay buffer' : 'no buffer'})`
    : `${loss.kind} (${loss.estimator})`;
}

/** A FAB run's AIS evaluation: log Z from the flow and HMC towards the target. */
function fabRows(e: FlowRunEvaluation): [string, string][] {
  if (!e.fab) return [];
  const { ais, aisMae } = e.fab;
  return [
    [
      'log Z (AIS)',
      logZText(ais, `AIS from the flow, ${ais.batches} batches of ${ais.n / ais.batches}`),
    ],
    ['AIS ESS', `${fmt(ais.essFraction, 3)} of N`],
    ...(aisMae === null
      ? []
      : ([['AIS MAE', `${fmt(aisMae, 5)} (mean |log Z - exact| over the batches)`]] as [
          string,
          string,
        ][])),
  ];
}

function summary(e: FlowRunEvaluation) {
  return {
    logZ: e.logZ,
    logZStdErr: e.logZStdErr,
    ...logZJson(e),
    elbo: e.elbo,
    reverseEss: e.essFraction,
    forwardEss: e.forwardEss,
    nll: e.nll,
    nllStdErr: e.nllStdErr,
    trueLogZ: e.trueLogZ,
    ...(e.fab
      ? {
          aisLogZ: e.fab.ais.logZ,
          aisLogZStdErr: e.fab.ais.logZStdErr,
          aisEss: e.fab.ais.essFraction,
          aisMae: e.fab.aisMae,
          stepSizes: e.fab.stepSizes,
        }
      : {}),
  };
}

const fmt = (x: number | null, digits = 4) => (x === null ? 'n/a' : x.toFixed(digits));

function reportRows(e: FlowEvaluation, particles: number): [string, string][] {
  const rows: [string, string][] = [
    ['log Z', logZText(e, `importance sampling, ${particles} independent draws`)],
    ['ELBO', `${fmt(e.elbo)} ± ${fmt(e.elboStdErr)}`],
    ['reverse ESS', `${fmt(e.essFraction, 3)} of N`],
  ];
  if (e.nll !== null) {
    rows.push(
      ['forward ESS', `${fmt(e.forwardEss, 3)} (from ${e.testSamples} target samples)`],
      ['NLL', `${fmt(e.nll)} ± ${fmt(e.nllStdErr)}`],
    );
  }
  rows.push(['exact log Z', e.trueLogZ === null ? 'unknown' : fmt(e.trueLogZ)]);
  return rows;
}
