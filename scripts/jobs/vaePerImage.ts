// One cell of scripts/vae-mcd-paired.ts: a VAE variant trained and evaluated as scripts/jobs/vae.ts
// does, returned with its per-image test values (the run's per-image.json), which the paired
// comparison needs and which must travel in the outcome when the cells run as shards elsewhere.
import { readFileSync } from 'node:fs';
import type { VaePerImage } from '../../src/models/vaeRun.js';
import { runJob as runVariant, type VaeVariant, type VariantOutcome } from './vae.js';

export type PerImageOutcome = VariantOutcome & { perImage: VaePerImage | null };

export async function runJob(v: VaeVariant): Promise<PerImageOutcome> {
  const outcome = await runVariant(v);
  if (!outcome.completed) return { ...outcome, perImage: null };
  return {
    ...outcome,
    perImage: JSON.parse(readFileSync(`${v.dir}/per-image.json`, 'utf8')) as VaePerImage,
  };
}
