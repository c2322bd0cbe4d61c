// What a result that ran without error says about its own trustworthiness. The library puts these
// in every estimate's `warnings` (so code that never prints still sees them) and the command line
// prints the same lines. Each reading is named with what it averages over.
import { TUNED_DEFAULTS } from '../annealing/tunedSmc.js';
import { meanAcceptance, type StepDiagnostics } from '../annealing/diagnostics.js';
import { stdErrUnreliableReason } from './logWeights.js';
import type { AutoReport } from './logZEstimate.js';

/** Below this mean acceptance (over the steps), the moves hardly moved the particles. */
export const LOW_ACCEPTANCE = 0.05;
/** Above this share of diverged proposals (over every step and particle), the step is too large. */
export const HIGH_DIVERGENCE = 0.01;
/** Below this share of the particles, the effective sample size cannot carry log Z. */
export const LOW_ESS_SHARE = 0.01;
/** A system whose share of the pooled Z is above this carries the estimate alone. */
export const DOMINANT_SHARE = 0.5;

/** What the warnings read of a fixed sampler's result. */
export interface WarningReadings {
  perStep?: readonly StepDiagnostics[] | undefined;
  essCount: number;
  particles: number;
  batches: number;
  logZStdErr: number | null;
  logZStdErrReliable: boolean;
  /** What the standard error was computed over (default 'batches'). */
  logZStdErrOver?: 'particles' | 'batches';
  auto?: AutoReport | undefined;
}

/**
 * The warnings of a result: for the auto sampler, those of autoWarnings; else MH moves almost never
 * accepted (the estimate is then mostly the initial distribution's), many diverged proposals,
 * weights so degenerate that a handful of particles carry log Z, and a standard error that rests on
 * too few effective particles per batch.
 */
export function resultWarnings(r: WarningReadings): string[] {
  if (r.auto) return autoWarnings(r.auto);
  const warnings: string[] = [];
  const steps = r.perStep ?? [];
  const mean = meanAcceptance(steps);
  if (mean !== null) {
    if (mean < LOW_ACCEPTANCE)
      warnings.push(
        `mean acceptance ${mean.toFixed(3)} (below ${LOW_ACCEPTANCE}, averaged over the steps): the moves were almost all rejected, so the estimate mostly reflects the initial distribution; lower the step size`,
      );
  }
  const diverged = steps.map((s) => s.diverged).filter((d): d is number => d !== null);
  if (diverged.length) {
    const total = diverged.reduce((a, b) => a + b, 0);
    const share = total / (diverged.length * r.particles);
    if (share > HIGH_DIVERGENCE)
      warnings.push(
        `${total} proposals diverged (${(100 * share).toFixed(1)}% of all steps' proposals, above ${100 * HIGH_DIVERGENCE}%): the step size is too large for part of the target; lower it`,
      );
  }
  if (r.essCount < LOW_ESS_SHARE * r.particles)
    warnings.push(
      `ESS ${r.essCount.toFixed(1)} of ${r.particles} particles (below ${100 * LOW_ESS_SHARE}%, over all particles): a few particles carry log Z, which is unreliable; use more steps or particles, or a closer initial distribution`,
    );
  else if (r.logZStdErr !== null && !r.logZStdErrReliable) {
    const why = stdErrUnreliableReason(r);
    if (why)
      warnings.push(
        `the standard error rests on ${why}: it is itself too uncertain to say how far off log Z is (likely too small); use more ${/independent batches/.test(why) ? 'batches' : 'particles'}`,
      );
  }
  return warnings;
}

/**
 * Warnings about an auto run: one system carrying most of the estimate (heavy-tailed system
 * estimates, so the error bar rests on one value), or moves that could not decorrelate every
 * coordinate at the last temperature (modes the particles cannot cross between, weighed by the
 * tempering alone; not said of a mixture start, whose components the search placed on the modes).
 */
export function autoWarnings(a: AutoReport): string[] {
  const warnings: string[] = [];
  const z = a.systemLogZ;
  const top = Math.max(...z);
  const total = z.reduce((s, v) => s + Math.exp(v - top), 0);
  if (z.length > 1 && 1 / total > DOMINANT_SHARE)
    warnings.push(
      `one of ${z.length} systems carries ${(100 / total).toFixed(0)}% of the estimate: the systems' estimates are heavy-tailed and the standard error rests on one of them; ask for a smaller target standard error or more particles`,
    );
  const last = a.temperatures[a.temperatures.length - 1];
  // A mixture start already sits on the modes and weighs them; the jump is measured against the
  // whole population's spread, which is then the distance between modes, so it says nothing.
  if (
    last &&
    a.chainLength === null &&
    a.start.mixture === null &&
    last.jump < TUNED_DEFAULTS.jumpTarget
  )
    warnings.push(
      `at the last temperature, ${last.moves} moves left the slowest coordinate correlated with where it started (mean squared jump ${last.jump.toFixed(2)} of its spread over the particles): where the target has modes the moves cannot cross, only the tempering weighs them; compare runs with other seeds or with the configured initial distribution as the start`,
    );
  return warnings;
}
