// One Adam step over named gradients. Where the fused native kernels can run, each variable is
// updated by one native kernel with TF.js's arithmetic, and the optimizer's own slots (moments,
// beta powers, iteration count) are kept exactly as TF.js keeps them, so checkpoints written by
// either path load in the other. Elsewhere it is TF.js's AdamOptimizer.applyGradients.
import {
  tf,
  fusedAdamUpdate,
  fusedAvailable,
  type Tensor,
  type Variable,
} from '../engine/index.js';

/** The fields of TF.js's AdamOptimizer that its applyGradients reads and writes. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
  incrementIterations(): void;
}

/**
 * Applies gradients (scaled by `scale` first, for global-norm clipping) with the optimizer's
 * current learning rate.
 */
export function applyAdam(
  optimizer: tf.AdamOptimizer,
  grads: { name: string; tensor: Tensor }[],
  scale = 1,
): void {
  const dtypesOk = grads.every((g) => g.tensor.dtype === 'float32');
  if (!dtypesOk || !fusedAvailable()) {
    const scaled = grads.map(({ name, tensor }) => ({
      name,
      tensor: scale === 1 ? tensor : tf.mul(tensor, scale),
    }));
    optimizer.applyGradients(scaled);
    if (scale !== 1) tf.dispose(scaled.map((g) => g.tensor));
    return;
  }
  const o = optimizer as unknown as AdamInternals;
  const registered = tf.engine().registeredVariables;
  // As TF.js: 1 - beta^t in float32, moments created on first use, positionally.
  const oneMinusAccBeta1 = Math.fround(1 - (o.accBeta1.dataSync()[0] as number));
  const oneMinusAccBeta2 = Math.fround(1 - (o.accBeta2.dataSync()[0] as number));
  grads.forEach(({ name, tensor }, i) => {
    const value = registered[name] as Variable;
    const slot = (suffix: string) => ({
      originalName: `${name}/${suffix}`,
      variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
    });
    o.accumulatedFirstMoment[i] ??= slot('m');
    o.accumulatedSecondMoment[i] ??= slot('v');
    fusedAdamUpdate(
      value,
      (o.accumulatedFirstMoment[i] as { variable: Variable }).variable,
      (o.accumulatedSecondMoment[i] as { variable: Variable }).variable,
      tensor,
      {
        learningRate: o.learningRate,
        beta1: o.beta1,
        beta2: o.beta2,
        epsilon: o.epsilon,
        oneMinusAccBeta1,
        oneMinusAccBeta2,
        gradScale: scale,
      },
    );
  });
  tf.tidy(() => {
    o.accBeta1.assign(tf.mul(o.accBeta1, o.beta1));
    o.accBeta2.assign(tf.mul(o.accBeta2, o.beta2));
  });
  o.incrementIterations();
}
