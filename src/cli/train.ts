import { shellWord } from '../train/loop.js';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { BACKENDS } from '../engine/index.js';
import { trainRun, type RunOutcome } from '../runs/samplerRun.js';
import { UsageError } from './errors.js';
import { loadConfigFile } from './config.js';
import { plotRun } from './plot.js';
import { targetLabel } from '../train/config.js';
import { resolveTargetModule } from '../targets/module.js';
import { choice, parseOptions, positiveInt } from './options.js';
import { progressBar } from './progress.js';
import { logZJson, logZText, stdErrHow } from './logZText.js';

export const TrainOptionsSchema = z.object({
  out: z.string().optional(),
  resume: z.string().optional(),
  stopAfter: positiveInt.optional(),
  backend: choice(BACKENDS).optional(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});

/** Options of a training command, checked for a consistent combination of config and --resume. */
export function parseTrainInvocation(
  configPath: string | undefined,
  raw: Record<string, unknown>,
): z.infer<typeof TrainOptionsSchema> {
  const o = parseOptions(TrainOptionsSchema, raw);
  if (!configPath && !o.resume)
    throw new UsageError('give a config file, or --resume RUN_DIR to continue a run');
  if (configPath && o.resume)
    throw new UsageError('give either a config file or --resume RUN_DIR, not both');
  if (o.resume && o.out)
    throw new UsageError('--out does not apply with --resume (the run stays in its directory)');
  if (o.resume && o.backend)
    throw new UsageError(
      '--backend does not apply with --resume (the run continues on the backend it started on, for exact results)',
    );
  return o;
}

export async function trainCommand(
  configPath: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const o = parseTrainInvocation(configPath, raw);
  const progress = progressBar('training', { quiet: Boolean(o.quiet), unit: 'iterations' });
  const evalProgress = progressBar('evaluating', { quiet: Boolean(o.quiet) });
  let outcome: RunOutcome;
  let dir: string;
  const hooks = {
    onWarning: (message: string) => process.stderr.write(`anneal: warning: ${message}\n`),
    stopAfter: o.stopAfter,
    onIteration: (m: { iteration: number; elbo: number; skippedTotal: number }, total: number) =>
      progress.update(
        m.iteration,
        total,
        `ELBO ${m.elbo.toFixed(3)}${m.skippedTotal ? ` | skipped ${m.skippedTotal}` : ''}`,
      ),
    onEvalStep: (k: number, total: number) => {
      progress.stop();
      evalProgress.update(k, total);
    },
  };
  try {
    if (o.resume) {
      dir = o.resume;
      outcome = await trainRun({ resumeDir: dir }, hooks);
    } else {
      const config = loadConfigFile(configPath as string);
      if (o.backend) config.backend = o.backend;
      // The run directory records where the module is, for --resume and evaluation from anywhere.
      if (config.target.module) config.target.module = resolveTargetModule(config.target.module);
      dir = o.out ?? join('runs', basename(configPath as string, extname(configPath as string)));
      outcome = await trainRun({ config, outDir: dir }, hooks);
    }
  } finally {
    progress.stop();
    evalProgress.stop();
  }
  await plotRun(dir);
  const e = outcome.evaluation;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({
        runDir: dir,
        target: targetLabel(outcome.config.target),
        sampler: outcome.config.sampler.kind,
        steps: outcome.config.sampler.steps,
        iterations: outcome.iterations,
        skipped: outcome.skipped,
        completed: outcome.completed,
        trainSeconds: outcome.trainSeconds,
        logZ: e?.logZ ?? null,
        logZStdErr: e?.logZStdErr ?? null,
        ...(e ? logZJson(e) : {}),
        elbo: e?.elbo ?? null,
        ess: e?.essFraction ?? null,
        trueLogZ: e?.trueLogZ ?? null,
      })}\n`,
    );
    return;
  }
  const c = outcome.config;
  const rows: [string, string][] = [
    ['run', dir],
    ['target', targetLabel(c.target)],
    ['sampler', `${c.sampler.kind}, ${c.sampler.steps} steps`],
    [
      'trained',
      `${outcome.iterations} of ${c.train.iterations} iterations (${outcome.skipped} skipped) in ${outcome.trainSeconds.toFixed(1)} s`,
    ],
  ];
  if (e) {
    rows.push(
      ['log Z', logZText(e, `${c.eval.particles} fresh particles; ${stdErrHow(e)}`)],
      ['ELBO', `${e.elbo.toFixed(4)} ± ${e.elboStdErr?.toFixed(4) ?? 'n/a'}`],
      ['ESS', `${e.essFraction.toFixed(3)} of N`],
      [
        'exact log Z',
        e.trueLogZ === null
          ? 'unknown'
          : `${e.trueLogZ.toFixed(4)} (error ${(e.error as number) >= 0 ? '+' : ''}${(e.error as number).toFixed(4)})`,
      ],
    );
  } else {
    rows.push(['status', `stopped early; continue with: anneal train --resume ${shellWord(dir)}`]);
  }
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(''));
}
