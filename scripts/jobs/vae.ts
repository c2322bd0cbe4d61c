// One variant of scripts/vae-compare.ts (a VAE trained with one objective): trains it into its own
// run directory and evaluates it. A job module, so the script can share its variants out over
// worker threads (--workers); every variant starts from its config's seed.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseVaeRunConfig } from '../../src/models/vaeConfig.js';
import { trainVaeRun, type VaeRunOutcome } from '../../src/models/vaeRun.js';
import { TrainingDivergedError } from '../../src/train/trainer.js';

export interface VaeVariant {
  label: string;
  /** The run config as parseVaeRunConfig reads it, and the file it came from (for messages). */
  config: unknown;
  source: string;
  dir: string;
}

/** A variant's outcome; `failure` says why a run that stopped early has no evaluation. */
export type VariantOutcome = VaeRunOutcome & { failure?: string };

export async function runJob(v: VaeVariant): Promise<VariantOutcome> {
  const config = parseVaeRunConfig(v.config, v.source);
  const kept = `${v.dir}/variant-outcome.json`;
  if (existsSync(kept)) {
    const outcome = JSON.parse(readFileSync(kept, 'utf8')) as VaeRunOutcome;
    if (outcome.completed && JSON.stringify(outcome.config) === JSON.stringify(config)) {
      process.stderr.write(`[${v.label}] done before in ${v.dir}; reusing its outcome\n`);
      return outcome;
    }
  }
  rmSync(v.dir, { recursive: true, force: true });
  process.stderr.write(`[${v.label}] training into ${v.dir}\n`);
  const started = performance.now();
  let outcome: VaeRunOutcome;
  try {
    outcome = await trainVaeRun({ config, outDir: v.dir });
  } catch (error) {
    // A diverged variant is a row of the table that says so; the other variants still run.
    if (!(error instanceof TrainingDivergedError)) throw error;
    const failure = error.message.split('\n')[0] as string;
    process.stderr.write(`[${v.label}] ${failure}\n`);
    const trainSeconds = (performance.now() - started) / 1000;
    return {
      config,
      iterations: 0,
      skipped: 0,
      completed: false,
      evaluation: null,
      trainSeconds,
      failure,
    };
  }
  if (outcome.completed) writeFileSync(kept, `${JSON.stringify(outcome)}\n`);
  const e = outcome.evaluation;
  process.stderr.write(
    `[${v.label}] ${outcome.trainSeconds.toFixed(0)} s; own bound ${e?.elbo.toFixed(2)}, IWAE ${e?.iwae.toFixed(2)}, AIS ${e?.ais?.mean.toFixed(2)}\n`,
  );
  return outcome;
}
