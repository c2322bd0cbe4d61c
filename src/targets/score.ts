// A target's log density and score in one call, from whatever the target offers: a joint
// closed form, a closed-form score, or autodiff of its log density.
import { tf, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { TargetError, type Target } from './target.js';

/** log pi(z) and grad log pi(z): the target's closed form when it has one, else autodiff. */
export function targetLogProbAndScore(
  target: Target,
  z: Tensor2D,
): { logProb: Tensor1D; score: Tensor2D } {
  return tf.tidy(() => {
    if (target.logProbAndScore) return target.logProbAndScore(z);
    if (target.score) return { logProb: target.logProb(z), score: target.score(z) };
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
