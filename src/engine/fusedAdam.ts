// Adam's update of one parameter as one native kernel (native/src/fused_adam.cc), with the arithmetic
// of TF.js's AdamOptimizer, in place of about fifteen small kernels per variable.
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { runFusedOp } from './fused.js';
import { NATIVE_OP } from './nativeIds.js';

export interface AdamStepSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t, as float32 values (TF.js computes them in float32). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  /** Factor applied to the gradient first (global-norm clipping); 1 for none. */
  gradScale: number;
}

const ADAM_OP = NATIVE_OP.Adam;

/** Updates value and its moment estimates m, v in place from one gradient. */
export function fusedAdamUpdate(
  value: Variable,
  m: Variable,
  v: Variable,
  gradient: Tensor,
  s: AdamStepSettings,
): void {
  const shape = [...value.shape];
  const outs = runFusedOp(
    ADAM_OP,
    [value.size],
    [
      s.learningRate,
      s.beta1,
      s.beta2,
      s.epsilon,
      s.oneMinusAccBeta1,
      s.oneMinusAccBeta2,
      s.gradScale,
    ],
    [],
    [value, m, v, gradient],
    [shape, shape, shape],
  );
  const [nextValue, nextM, nextV] = outs as [Tensor, Tensor, Tensor];
  value.assign(nextValue);
  m.assign(nextM);
  v.assign(nextV);
  nextValue.dispose();
  nextM.dispose();
  nextV.dispose();
}
