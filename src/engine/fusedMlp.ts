// The posterior of a tanh-MLP Bernoulli decoder as one native kernel with a native gradient
// (native/src/fused_mlp.cc): log p(x, z) = log Bern(x | sigmoid(f(z))) + log N(z; 0, I) and its
// z-score from one forward pass and one backward sweep, and as its gradient the vector-Jacobian
// product of both with respect to z and every weight: the second-order sweep that training
// through a chain of scores needs. It replaces about a hundred TF.js kernels per evaluation and
// as many again for the gradient. The gradient itself is not differentiable, so a caller whose
// evaluation sits inside nested tapes (third order) must use TF.js ops: see nativeOpsAvailable.
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

export interface DenseParams {
  w: Tensor;
  b: Tensor;
}

const specs = new Map<number, NativeOpSpec>();

function specFor(layers: number): NativeOpSpec {
  let spec = specs.get(layers);
  if (!spec) {
    const params = [...Array(layers).keys(), 'o'].flatMap((i) => [`w${i}`, `b${i}`]);
    spec = {
      name: `AnnealMlpBernoulli${layers}`,
      forward: NATIVE_OP.MlpBernoulli,
      backward: NATIVE_OP.MlpBernoulliGrad,
      inputs: ['z', ...params, 'x'],
      noGradient: ['x'],
      // The forward pass's activations, logits and sweep values, kept for the gradient.
      saved: { visible: 2, count: 1 },
      outShapes: (s, ints) => {
        const [n, d] = s.z as [number, number];
        const widths = Array.from(ints.slice(3, 3 + layers));
        const perRow = (ints[3 + layers] as number) + 2 * widths.reduce((a, b) => a + b, 0);
        return [[n], [n, d], [n * perRow]];
      },
    };
    specs.set(layers, spec);
  }
  return spec;
}

/**
 * log p(x, z) [N] and d log p / dz [N, d] for latents z [N, d] and data x [N, D], where the
 * decoder's logits are h_L Wo + bo with h_0 = z and h_i = tanh(h_{i-1} W_i + b_i).
 */
export function fusedMlpBernoulliPosterior(
  z: Tensor2D,
  hidden: readonly DenseParams[],
  head: DenseParams,
  x: Tensor2D,
): { logProb: Tensor1D; score: Tensor2D } {
  const spec = specFor(hidden.length);
  const inputs: Record<string, Tensor> = { z, x };
  const widths = [z.shape[1]];
  [...hidden, head].forEach((p, i) => {
    const key = i < hidden.length ? `${i}` : 'o';
    const [fanIn, fanOut] = p.w.shape as [number, number];
    if (fanIn !== widths[widths.length - 1] || p.b.shape.length !== 1 || p.b.shape[0] !== fanOut)
      throw new RangeError(
        `MLP posterior: layer ${key} has shapes [${p.w.shape}] and [${p.b.shape}]`,
      );
    widths.push(fanOut);
    inputs[`w${key}`] = p.w;
    inputs[`b${key}`] = p.b;
  });
  if (x.shape[0] !== z.shape[0] || x.shape[1] !== widths[widths.length - 1])
    throw new RangeError(`MLP posterior: data [${x.shape}] for latents [${z.shape}]`);
  const [logProb, score] = runNativeOp(spec, inputs, [z.shape[0], hidden.length, ...widths]) as [
    Tensor1D,
    Tensor2D,
  ];
  return { logProb, score };
}
