// `anneal logz` with the `auto` sampler (the default): adaptive SMC with nothing to set
// (eval/autoLogZ.ts), its own options refused where another sampler is asked for and the other
// samplers' options refused here, the posterior draws written with --samples.
import {
  autoLogZ,
  AUTO_DEFAULTS,
  type AutoLogZEstimate,
  type AutoLogZOptions,
  type AutoReport,
} from '../eval/autoLogZ.js';
import { autoLogZOnWorkers } from '../parallel/autoSystems.js';
import { buildTarget } from '../runs/request.js';
import { UsageError } from './errors.js';
import { checkSamplesPath, writeSamples } from './samplesFile.js';
import type { LogzOptions } from './logzOptions.js';
import { progressBar } from './progress.js';

/** Options that only the auto sampler takes. */
export const AUTO_ONLY_OPTIONS = [
  'targetSe',
  'maxSeconds',
  'wasteFree',
  'start',
  'move',
  'systems',
] as const;

/** What auto chooses itself: these options belong to the fixed and learned samplers. */
const NOT_FOR_AUTO = [
  'steps',
  'stepSize',
  'leapfrog',
  'eta',
  'schedule',
  'batches',
  'trainIters',
  'trainParticles',
  'lr',
  'resampling',
  'essThreshold',
  'temperature',
  'initFlow',
] as const;

const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Refuses, in one line, options that do not apply to the sampler asked for. */
export function refuseAutoMismatch(o: LogzOptions, given: ReadonlySet<string>): void {
  if (o.sampler === 'auto') {
    const ignored = NOT_FOR_AUTO.filter((name) => given.has(name));
    if (ignored.length)
      throw new UsageError(
        `the auto sampler chooses its own steps, step sizes, schedule and resampling; ${ignored.map(flag).join(', ')} ${ignored.length > 1 ? 'apply' : 'applies'} to the fixed and learned samplers (give --sampler)`,
      );
    return;
  }
  const autoOnly = AUTO_ONLY_OPTIONS.filter((name) => given.has(name));
  if (autoOnly.length)
    throw new UsageError(
      `${autoOnly.map(flag).join(', ')} ${autoOnly.length > 1 ? 'apply' : 'applies'} to the auto sampler (the default), not ${o.sampler}`,
    );
}

/** --waste-free as the library takes it: off, on (default chain length) or a chain length. */
function wasteFreeOf(o: LogzOptions): boolean | number {
  return o.wasteFree ?? false;
}

/** Runs the auto sampler for `anneal logz`. */
export async function autoCommand(
  o: LogzOptions,
  given: ReadonlySet<string>,
  targetRequest: Parameters<typeof buildTarget>[0],
  quiet: boolean,
): Promise<AutoLogZEstimate & { dim: number }> {
  if (o.samples !== undefined) checkSamplesPath(o.samples);
  const target = await buildTarget(targetRequest);
  const progress = progressBar(`auto on ${target.name}`, { quiet, unit: 'systems' });
  try {
    const particles = given.has('particles') ? o.particles : AUTO_DEFAULTS.particles;
    const options: AutoLogZOptions = {
      target,
      particles,
      ...(o.systems !== undefined ? { systems: o.systems } : {}),
      ...(o.targetSe !== undefined ? { targetStdErr: o.targetSe } : {}),
      ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
      ...(o.start !== undefined ? { start: o.start } : {}),
      ...(o.move !== undefined ? { move: o.move } : {}),
      wasteFree: wasteFreeOf(o),
      initial: { mean: o.initMean, scale: o.initScale },
      seed: o.seed,
      returnSamples: o.samples !== undefined,
      onProgress: (p) =>
        progress.update(
          p.systems,
          p.planned,
          p.phase === 'systems'
            ? `SE ${p.stdErr === null ? '-' : p.stdErr.toFixed(4)}`
            : p.phase === 'fit'
              ? 'fitting the start'
              : 'pilot system',
        ),
    };
    // Worker threads build the target from its request; the fit and the pilot run here.
    const result =
      (o.workers ?? 1) > 1
        ? await autoLogZOnWorkers(options, targetRequest, o.workers as number)
        : autoLogZ(options);
    // The fit, pilot and systems streams are the seed's first three children.
    if (o.samples !== undefined && result.samples)
      writeSamples(o.samples, result.samples, { seed: o.seed, used: 3 });
    return { ...result, dim: target.dim };
  } finally {
    progress.stop();
    target.dispose?.();
  }
}

/** The report lines only auto has. */
export function autoRows(a: AutoReport): [string, string][] {
  const family = (plural: boolean) =>
    a.start.df === null
      ? `diagonal Gaussian${plural ? 's' : ''}`
      : `Student-t${plural ? 's' : ''} (${a.start.df} degrees of freedom, diagonal scale)`;
  const widened = a.start.df === null ? ', widened' : '';
  const start = !a.start.fitted
    ? `the initial distribution (${a.start.reason})`
    : a.start.mixture !== null
      ? `mixture of ${a.start.mixture} ${family(true)}, one fitted to each mode the search found, in ${a.start.seconds.toFixed(2)} s${widened}`
      : `${family(false)} fitted to the target in ${a.start.seconds.toFixed(2)} s (ELBO ${(a.start.elbo as number).toFixed(3)})${widened}`;
  const temps = a.temperatures;
  const moves = temps.reduce((s, t) => s + t.moves, 0);
  const acceptance = temps.reduce((s, t) => s + t.acceptance * t.moves, 0) / Math.max(1, moves);
  const stop =
    a.stoppedBy === 'target-se'
      ? `reached the standard error asked for (${a.targetStdErr})`
      : a.stoppedBy === 'time'
        ? `the time limit stopped it before the standard error asked for (${a.targetStdErr}); the estimate stands with the error shown`
        : `ran the ${a.systemLogZ.length} systems asked for`;
  return [
    ['start', start],
    [
      'tuning',
      `${temps.length} temperatures chosen by ESS, ${moves} ${a.move.toUpperCase()} moves${a.chainLength ? ` (waste-free, chains of ${a.chainLength})` : ''}, mean acceptance ${acceptance.toFixed(2)}, pilot ${a.pilotSeconds.toFixed(2)} s`,
    ],
    [
      'systems',
      `${a.systemLogZ.length} independent systems replaying the pilot's choices; ${stop}`,
    ],
  ];
}
