// Reverse-KL gradient estimators for flows (Vaitl et al. 2024). KL(q || p) = E_q[log q(x) - log p(x)]
// with x = T(z), z from the base. Three surrogates whose gradients w.r.t. the flow's parameters are:
//  - 'standard': the reparameterized gradient of mean(log q(x) - log p(x)), including the score
//    term d log q / d theta at fixed x, which has zero mean but adds variance;
//  - 'path-fast': the path gradient E[(grad_x log q - grad_x log p) . dx/dtheta], with grad_x log q
//    carried through the flow in a separate forward pass (Alg. 1) and used as a constant;
//  - 'path-reference': the same path gradient with grad_x log q from autodiff of log q through
//    the inverse flow (Alg. 2, the slower drop-in), for testing and comparison.
// At q = p the path gradient vanishes sample by sample; the standard one only in expectation.
import {
  tf,
  stopGradient,
  type NamedTensorMap,
  type Scalar,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';
import type { Target } from '../targets/target.js';
import { targetLogProbAndScore } from '../targets/score.js';
import { FlowError } from './bijection.js';
import type { Flow } from './flow.js';

export const REVERSE_KL_ESTIMATORS = ['standard', 'path-fast', 'path-reference'] as const;
export type ReverseKlEstimator = (typeof REVERSE_KL_ESTIMATORS)[number];

/**
 * The surrogate to differentiate (inside a tape) for an estimator and base draws z. 'path-fast'
 * needs `fastScore` = grad_x log q(x) from flow.pushForwardWithScore(z), computed before the tape.
 */
export function reverseKlSurrogate(
  flow: Flow,
  target: Target,
  z: Tensor2D,
  estimator: ReverseKlEstimator,
  fastScore?: Tensor2D,
): Scalar {
  return tf.tidy(() => {
    const { x, logQ } = flow.pushForward(z);
    const logP = target.logProb(x);
    if (estimator === 'standard') return tf.mean(tf.sub(logQ, logP)) as Scalar;
    let score: Tensor;
    if (estimator === 'path-fast') {
      if (!fastScore) throw new FlowError("'path-fast' needs the score from pushForwardWithScore");
      score = fastScore;
    } else if (estimator === 'path-reference') {
      // grad_x log q at x held fixed: autodiff through the inverse flow.
      score = stopGradient(
        tf.grad((xs: Tensor) => tf.sum(flow.logProb(xs as Tensor2D)))(stopGradient(x)),
      );
    } else {
      throw new FlowError(
        `unknown estimator '${estimator as string}'; valid: ${REVERSE_KL_ESTIMATORS.join(', ')}`,
      );
    }
    return tf.mean(tf.sub(tf.sum(tf.mul(score, x), -1), logP)) as Scalar;
  });
}

export interface ReverseKlStep {
  /** Monte Carlo estimate of KL(q || p) + log Z on these draws: mean(log q - log p). */
  kl: number;
  /** Gradients w.r.t. the flow's trainable parameters (owned by the caller). */
  grads: NamedTensorMap;
}

/** One reverse-KL gradient for base draws z with the chosen estimator. */
export function reverseKlGradient(
  flow: Flow,
  target: Target,
  z: Tensor2D,
  estimator: ReverseKlEstimator,
): ReverseKlStep {
  // Alg. 1's pass runs before the tape: its score is a constant of the surrogate.
  const pre = estimator === 'path-fast' ? flow.pushForwardWithScore(z) : null;
  const { value, grads } = tf.variableGrads(
    () => reverseKlSurrogate(flow, target, z, estimator, pre?.score),
    flow.params.trainable(),
  );
  // The KL estimate from the draws: the standard surrogate is it; path-fast's pre-pass holds x and
  // log q; path-reference needs one more forward pass.
  let klValue: number;
  if (estimator === 'standard') klValue = value.dataSync()[0] as number;
  else {
    const kl = tf.tidy(() => {
      const { x, logQ } = pre ?? flow.pushForward(z);
      return tf.mean(tf.sub(logQ, target.logProb(x)));
    });
    klValue = kl.dataSync()[0] as number;
    kl.dispose();
  }
  value.dispose();
  if (pre) tf.dispose([pre.x, pre.logQ, pre.score]);
  return { kl: klValue, grads };
}

export const FORWARD_KL_ESTIMATORS = ['ml', 'path-fast', 'path-reference'] as const;
export type ForwardKlEstimator = (typeof FORWARD_KL_ESTIMATORS)[number];

/**
 * What forward 'path-fast' computes before the tape, from target samples x: log q(x) and the
 * surrogate's constant direction at the base points z = T^-1(x), grad_z log p_0(z) - grad_z
 * log q_0(z), where p_0 is the target pulled back to the base: one inverse pass that carries the
 * target's score (Alg. 1's recursion run backwards), no autodiff through the flow.
 */
export interface ForwardPathPrepass {
  logQ: Tensor1D;
  direction: Tensor2D;
}

export function forwardPathPrepass(flow: Flow, target: Target, x: Tensor2D): ForwardPathPrepass {
  return tf.tidy(() => {
    const { z, logQ, score } = flow.pullBackWithScore(x, targetLogProbAndScore(target, x).score);
    return { logQ, direction: tf.sub(score, flow.base.score(z)) as Tensor2D };
  });
}

/**
 * Forward KL(p || q) from target samples x. 'ml' is maximum likelihood, the gradient of
 * -mean log q(x). The path estimators use KL(p || q) = KL(p_0 || q_0), p_0 the target pulled back
 * to the base through T^-1, and take the path gradient of that reverse-KL-like divergence, whose
 * draws are z = T^-1(x): equal to ML's gradient in expectation, zero sample by sample at q = p.
 * 'path-fast' differentiates sg(direction) . T^-1_theta(x) with the direction from
 * forwardPathPrepass (before the tape). 'path-reference' is the same gradient in the data space
 * (Alg. 3, GDReG): sg(grad_x log q(x) - grad_x log p(x)) . T_theta(z) with z held fixed and
 * grad_x log q by autodiff through the inverse flow, for testing and comparison.
 */
export function forwardKlSurrogate(
  flow: Flow,
  target: Target,
  x: Tensor2D,
  estimator: ForwardKlEstimator,
  prepass?: ForwardPathPrepass,
): Scalar {
  return tf.tidy(() => {
    if (estimator === 'ml') return tf.neg(tf.mean(flow.logProb(x))) as Scalar;
    if (estimator === 'path-fast') {
      if (!prepass) throw new FlowError("forward 'path-fast' needs forwardPathPrepass(x)");
      return tf.div(tf.sum(tf.mul(prepass.direction, flow.pullBack(x))), x.shape[0]) as Scalar;
    }
    let direction: Tensor;
    let z: Tensor;
    if (estimator === 'path-reference') {
      const xFixed = stopGradient(x);
      direction = stopGradient(
        tf.grad((xs: Tensor) =>
          tf.sum(tf.sub(flow.logProb(xs as Tensor2D), target.logProb(xs as Tensor2D))),
        )(xFixed),
      );
      z = stopGradient(flow.pullBack(xFixed));
    } else {
      throw new FlowError(
        `unknown estimator '${estimator as string}'; valid: ${FORWARD_KL_ESTIMATORS.join(', ')}`,
      );
    }
    const { x: moved } = flow.pushForward(z as Tensor2D);
    return tf.div(tf.sum(tf.mul(direction, moved)), x.shape[0]) as Scalar;
  });
}

/** One forward-KL gradient for target samples x; `nll` is -mean log q(x) on them. */
export function forwardKlGradient(
  flow: Flow,
  target: Target,
  x: Tensor2D,
  estimator: ForwardKlEstimator,
): { nll: number; grads: NamedTensorMap } {
  const pre = estimator === 'path-fast' ? forwardPathPrepass(flow, target, x) : null;
  const { value, grads } = tf.variableGrads(
    () => forwardKlSurrogate(flow, target, x, estimator, pre ?? undefined),
    flow.params.trainable(),
  );
  // The NLL of the samples: ML's surrogate is it, path-fast's pre-pass holds log q(x).
  const nll =
    estimator === 'ml'
      ? value.clone()
      : tf.tidy(() => tf.neg(tf.mean(pre ? pre.logQ : flow.logProb(x))));
  value.dispose();
  const nllValue = nll.dataSync()[0] as number;
  nll.dispose();
  if (pre) tf.dispose([pre.logQ, pre.direction]);
  return { nll: nllValue, grads };
}
