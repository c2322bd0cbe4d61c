// One cell of scripts/mcd-table.ts (a target, a sampler and a number of steps): trains the sampler
// on the ELBO and evaluates it with fresh particles. A job module, so the script can share its cells
// out over worker threads (--workers); every cell draws from its own seed's streams.
import type { LearnedSamplerName } from '../../src/annealing/learned.js';
import { createTarget } from '../../src/targets/registry.js';
import { trainAndEvaluate } from '../../src/train/trainAndEvaluate.js';
import type { McdRow } from '../render/mcd.js';

export type { McdRow };

export interface McdCell {
  target: string;
  kind: LearnedSamplerName;
  steps: number;
  iterations: number;
  trainParticles: number;
  evalParticles: number;
  lr: number;
  seed: number;
  /** Mixture means lie in [-mixtureLoc, mixtureLoc]^d. */
  mixtureLoc: number;
  /** Mixture dimension (absent: the registry's default). */
  mixtureDim?: number;
  /** Scale of the mixtures' initial N(0, s^2 I) (absent: 2). */
  mixtureInitialScale?: number;
  /** Parameter groups every sampler keeps fixed. */
  frozen?: ('initial' | 'schedule')[];
  /** Initial step size (absent: 0.05 for UHA kinds, 0.01 for ULA kinds). */
  stepSize?: number;
}

export const isMixture = (name: string) => name === 'gmm8' || name === 'student-t8';

export function runJob(cell: McdCell): McdRow {
  // Mixtures start from N(0, 2^2 I), which covers their means; logistic regression from its prior.
  const mixture = isMixture(cell.target);
  const target = createTarget(
    cell.target,
    mixture ? { loc: cell.mixtureLoc, ...(cell.mixtureDim ? { dim: cell.mixtureDim } : {}) } : {},
  );
  const frozen = cell.frozen ?? [];
  try {
    process.stderr.write(`${cell.target} ${cell.kind} K=${cell.steps} ...\n`);
    const r = trainAndEvaluate({
      target,
      sampler: {
        kind: cell.kind,
        steps: cell.steps,
        stepSize: cell.stepSize ?? (cell.kind.startsWith('uha') ? 0.05 : 0.01),
        initialScale: mixture ? (cell.mixtureInitialScale ?? 2) : 1,
        learn: {
          stepSizes: true,
          schedule: !frozen.includes('schedule'),
          initial: !frozen.includes('initial'),
          eta: true,
          mass: true,
          scoreNet: true,
        },
      },
      trainIterations: cell.iterations,
      trainParticles: cell.trainParticles,
      learningRate: cell.lr,
      particles: cell.evalParticles,
      seed: cell.seed,
    });
    process.stderr.write(
      `${cell.target} ${cell.kind} K=${cell.steps}: log Z ${r.logZ.toFixed(3)}, ${r.trained.iterations} it. in ${r.trained.seconds.toFixed(1)} s\n`,
    );
    return {
      target: cell.target,
      dim: target.dim,
      sampler: cell.kind,
      steps: cell.steps,
      logZ: r.logZ,
      logZStdErr: r.logZStdErr,
      elbo: r.elbo,
      elboStdErr: r.elboStdErr,
      ess: r.essFraction,
      essCount: r.essCount,
      logZStdErrReliable: r.logZStdErrReliable,
      trueLogZ: r.trueLogZ,
      skipped: r.trained.skipped,
      trainSeconds: r.trained.seconds,
      evalSeconds: r.seconds,
      seed: cell.seed,
    };
  } finally {
    target.dispose?.();
  }
}
