// A target's log density and score in one call, from whatever the target offers: a joint
// closed form, a closed-form score, or autodiff of its log density.
import { tf, type Tensor1D, type Tensor2D } from '../engine/index.js';
import type { Target } from './target.js';

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
