// A target's log density and score in one call, from whatever the target offers: a joint
// closed form, a closed-form score, or autodiff of its log density.
import {
  compileDensity,
  densityProgramUnavailable,
  runDensityProgram,
  tf,
  type DensityProgram,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import { TargetError, type Target } from './target.js';

/**
 * Each autodiff target's compiled density (engine/densityProgram.ts), or why it has none; tried
 * once per target, on its first evaluation off any gradient tape.
 */
const compiled = new WeakMap<Target, DensityProgram | string>();

/** Why a target's value and score run op by op rather than as a compiled density, or null. */
export function densityProgramRefusal(target: Target): string | null {
  const entry = compiled.get(target);
  return entry === undefined ? 'not compiled yet' : typeof entry === 'string' ? entry : null;
}

/**
 * log pi(z) and grad log pi(z): the target's closed form when it has one; else, off any gradient
 * tape, its log density compiled into one native pass (traced and checked against autodiff at its
 * first evaluation); else autodiff.
 */
export function targetLogProbAndScore(
  target: Target,
  z: Tensor2D,
): { logProb: Tensor1D; score: Tensor2D } {
  return tf.tidy(() => {
    if (target.logProbAndScore) return target.logProbAndScore(z);
    if (target.score) return { logProb: target.logProb(z), score: target.score(z) };
    const unavailable = densityProgramUnavailable();
    const program = compiled.get(target);
    if (!unavailable && typeof program === 'object') return runDensityProgram(program, z);
    const reference = autodiff(target, z);
    if (!unavailable && program === undefined && z.shape[0] >= 2) {
      const result = compileDensity((x) => target.logProb(x), z, reference);
      if ('program' in result) {
        compiled.set(target, result.program);
        return { logProb: result.logProb, score: result.score };
      }
      compiled.set(target, result.refused);
    }
    return reference;
  });
}

/**
 * log pi(z) alone: from the target's compiled density where it has one (the gradient comes along
 * at no extra pass), else its own logProb.
 */
export function targetLogProb(target: Target, z: Tensor2D): Tensor1D {
  if (!target.logProbAndScore && !target.score && !densityProgramUnavailable()) {
    const program = compiled.get(target);
    if (typeof program === 'object') return tf.tidy(() => runDensityProgram(program, z).logProb);
  }
  return target.logProb(z);
}

/** Four particles away from zero and from each other, for a target not yet evaluated. */
function probe(dim: number): Tensor2D {
  return tf.tensor2d(
    Array.from({ length: 4 * dim }, (_, i) => 0.3 + 0.17 * (i % 7) - 0.11 * (i % 13)),
    [4, dim],
  );
}

/**
 * How the target's score is computed, for a report line: null for a closed form; else whether its
 * log density runs as a compiled density or op by op under TF.js's autodiff, and why.
 */
export function describeScore(target: Target): string | null {
  if (target.logProbAndScore || target.score) return null;
  const unavailable = densityProgramUnavailable();
  if (unavailable) return `TF.js autodiff, op by op (${unavailable})`;
  if (!compiled.has(target)) {
    try {
      tf.tidy(() => {
        targetLogProbAndScore(target, probe(target.dim));
      });
    } catch {
      // The target's own failure surfaces where the run evaluates it, not in a report line.
    }
  }
  const entry = compiled.get(target);
  if (entry === undefined) return 'TF.js autodiff, op by op';
  return typeof entry === 'string'
    ? `TF.js autodiff, op by op (not compiled: ${entry})`
    : `compiled density, value and gradient in one native pass (${entry.instructions} instructions)`;
}

/** { score } for a result object where describeScore has something to say, else {}. */
export function scoreField(target: Target): { score?: string } {
  const score = describeScore(target);
  return score ? { score } : {};
}

function autodiff(target: Target, z: Tensor2D): { logProb: Tensor1D; score: Tensor2D } {
  return tf.tidy(() => {
    // The sum's gradient is the per-particle score because particles do not interact. The
    // per-particle values are kept from the same forward pass.
    let logProb: Tensor1D | undefined;
    const { value, grad } = tf.valueAndGrad((x: Tensor2D) => {
      logProb = tf.keep(target.logProb(x));
      return tf.sum(logProb);
    })(z);
    value.dispose();
    // The kept tensor escapes every scope; hand back a scoped copy so that callers' tidies (and
    // gradient tapes) own it like any other result. Identity's gradient needs no saved input.
    const owned = (logProb as Tensor1D).clone();
    (logProb as Tensor1D).dispose();
    return { logProb: owned, score: grad as Tensor2D };
  });
}

/** Targets whose second-order gradients were found to work (checked once each). */
const twiceDifferentiable = new WeakSet<Target>();

/**
 * Refuses, in one line naming the op, a target whose score cannot be differentiated once more:
 * training a learned sampler differentiates the chain, and so the target's score, with respect to
 * the sampler's parameters. TF.js lacks gradients of some ops (cumprod, stridedSlice) and the wasm
 * engine some kernels (unsortedSegmentSum); without this check a user's target would fail at the
 * first iteration with the engine's words. `owner` prefixes the message (e.g. the module's path).
 */
export function checkSecondOrderGradients(target: Target, owner = `target '${target.name}'`): void {
  if (twiceDifferentiable.has(target)) return;
  const d = target.dim;
  try {
    tf.tidy(() => {
      // Two particles away from zero and from each other, where masks and branches are generic.
      const z = tf.tensor2d(
        Array.from({ length: 2 * d }, (_, i) => 0.3 + 0.17 * (i % 7) - 0.11 * i),
        [2, d],
      );
      const g = tf.grad((x: tf.Tensor) => {
        const { logProb, score } = targetLogProbAndScore(target, x as Tensor2D);
        return tf.add(tf.sum(logProb), tf.sum(tf.square(score)));
      })(z);
      g.dataSync();
    });
  } catch (error) {
    if (error instanceof TargetError || (error as Error).name === 'TargetModuleError') throw error;
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    const missing = /gradient function not found for (\w+)/.exec(message)?.[1];
    const kernel = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(message);
    const why = missing
      ? `TF.js has no gradient for the op ${missing} that it uses`
      : kernel
        ? `the ${kernel[2] ?? ''} engine has no ${kernel[1] ?? ''} kernel, which its gradient needs`
        : `differentiating its score failed (${message})`;
    throw new TargetError(
      `${owner}: training a learned sampler differentiates the target's score, and ${why}; write logProb with other ops, or give the target a closed-form score`,
    );
  }
  twiceDifferentiable.add(target);
}
