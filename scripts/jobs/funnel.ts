// One sampler of scripts/funnel-table.ts: evaluates the untrained sampler, trains it from its
// config into a fresh run directory, and returns both evaluations. A job module, so the script can
// share its samplers out over worker threads (--workers); each starts from its config's seed.
import { rmSync } from 'node:fs';
import { Rng } from '../../src/engine/index.js';
import { evaluateSampler, type SamplerEvaluation } from '../../src/eval/evaluateSampler.js';
import { parseRunConfig } from '../../src/train/config.js';
import { buildRun, trainRun } from '../../src/runs/samplerRun.js';
import type { FunnelEvaluation, FunnelRow } from '../render/funnel.js';

export interface FunnelCell {
  kind: string;
  /** The run config as parseRunConfig reads it, and the file it came from. */
  config: unknown;
  source: string;
  outDir: string;
}

export type FunnelResult = FunnelRow;

/** The numbers the table shows (no per-step diagnostics). */
function shown(e: SamplerEvaluation): FunnelEvaluation {
  return {
    logZ: e.logZ,
    logZStdErr: e.logZStdErr,
    elbo: e.elbo,
    elboStdErr: e.elboStdErr,
    essFraction: e.essFraction,
    essCount: e.essCount,
    logZStdErrReliable: e.logZStdErrReliable,
  };
}

export async function runJob(cell: FunnelCell): Promise<FunnelResult> {
  const config = parseRunConfig(cell.config, cell.source);
  // The untrained sampler, evaluated exactly as the trained one will be.
  const fresh = await buildRun(config);
  let before: SamplerEvaluation;
  try {
    before = evaluateSampler(fresh.sampler, {
      particles: config.eval.particles,
      batches: config.eval.batches,
      rng: Rng.fromSeed(config.eval.seed),
    });
  } finally {
    fresh.trainer.dispose();
    fresh.sampler.dispose();
    fresh.target.dispose?.();
  }
  rmSync(cell.outDir, { recursive: true, force: true });
  process.stderr.write(`training ${cell.kind} for ${config.train.iterations} iterations ...\n`);
  const outcome = await trainRun({ config, outDir: cell.outDir });
  if (!outcome.evaluation) throw new Error(`${cell.kind}: the run has no evaluation`);
  return {
    kind: cell.kind,
    config: cell.source,
    before: shown(before),
    after: shown(outcome.evaluation),
    iterations: outcome.iterations,
    trainSeconds: outcome.trainSeconds,
  };
}
