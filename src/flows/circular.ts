// Circle diffeomorphisms for angles in [0, 2 pi): a convex mixture of non-compact projections
// (NCP, Rezende et al. 2020; the U(1) flows of Kanwar et al. 2020) followed by a rotation.
// One NCP with scale a > 0 is g_a(p) = pi + 2 atan(a tan((p - pi) / 2)): increasing, fixing 0, pi
// and 2 pi, with g_a'(p) = a / (cos^2 w + a^2 sin^2 w), w = (p - pi) / 2. A convex mixture of
// such maps is again an increasing bijection of [0, 2 pi]; its inverse is found by bisection and
// refined by one Newton step written so that autodiff sees the implicit-function derivative
// (the bisection itself carries no gradient).
import {
  tf,
  addMany,
  stopGradient,
  withoutGradient,
  type Tensor,
  type Tensor2D,
} from '../engine/index.js';

export const TWO_PI = 2 * Math.PI;

/** x mod 2 pi in [0, 2 pi); the floor has zero gradient, so d/dx is 1. */
export function wrapAngle<T extends Tensor>(x: T): T {
  return tf.sub(x, tf.mul(TWO_PI, tf.floor(tf.div(x, TWO_PI)))) as T;
}

/** x wrapped to [-pi, pi): a difference of angles taken the short way round. */
function wrapDifference<T extends Tensor>(x: T): T {
  return tf.sub(x, tf.mul(TWO_PI, tf.round(tf.div(x, TWO_PI)))) as T;
}

/**
 * Mixture parameters per angle, one [N, M] tensor per component for K components over M angles:
 * log scales and unnormalized mixture logits. (Lists of same-shape tensors, not one [N, K, M]
 * tensor: broadcasting across a middle axis is several times slower on wasm.)
 */
export interface NcpMixture {
  logScale: Tensor2D[];
  logits: Tensor2D[];
}

/** What one evaluation needs, computed once per mixture: scales, squared scales and weights. */
interface Prepared {
  scale: Tensor2D[];
  scale2: Tensor2D[];
  weight: Tensor2D[];
}

function prepare(m: NcpMixture): Prepared {
  if (m.logScale.length === 0 || m.logScale.length !== m.logits.length) {
    throw new RangeError('an NCP mixture needs as many logits as log scales, at least one');
  }
  const scale = m.logScale.map((l) => tf.exp(l) as Tensor2D);
  // Softmax over the component list, shifted by the largest logit.
  const top = m.logits.reduce((a, b) => tf.maximum(a, b) as Tensor2D);
  const e = m.logits.map((l) => tf.exp(tf.sub(l, top)) as Tensor2D);
  const total = addMany(e);
  return {
    scale,
    scale2: scale.map((a) => tf.square(a) as Tensor2D),
    weight: e.map((v) => tf.div(v, total) as Tensor2D),
  };
}

function evaluate(p: Tensor2D, c: Prepared, withDerivative: boolean) {
  const w = tf.mul(tf.sub(p, Math.PI), 0.5);
  const sin = tf.sin(w);
  const cos = tf.cos(w);
  // atan2 (cos w >= 0 here) instead of atan(a tan w): no overflow at w = +-pi/2.
  const angle = addMany(c.scale.map((a, k) => tf.mul(c.weight[k]!, tf.atan2(tf.mul(a, sin), cos))));
  const value = tf.add(Math.PI, tf.mul(2, angle)) as Tensor2D;
  if (!withDerivative) return { value, derivative: null };
  const cos2 = tf.square(cos);
  const sin2 = tf.square(sin);
  const derivative = addMany(
    c.scale.map((a, k) =>
      tf.div(tf.mul(c.weight[k]!, a), tf.add(cos2, tf.mul(c.scale2[k]!, sin2))),
    ),
  ) as Tensor2D;
  return { value, derivative };
}

/** h(p) and h'(p) for angles p [N, M] in [0, 2 pi]. */
export function ncpMixture(p: Tensor2D, m: NcpMixture): { value: Tensor2D; derivative: Tensor2D } {
  return tf.tidy(() => {
    const r = evaluate(p, prepare(m), true);
    return { value: r.value, derivative: r.derivative as Tensor2D };
  });
}

const BISECTION_STEPS = 24;

/**
 * p with h(p) = t (mod 2 pi) for t [N, M]. `hint` (a known preimage, e.g. from the forward pass)
 * replaces the bisection. Either way the value is refined by one Newton step whose starting point
 * is a constant for autodiff, so gradients w.r.t. t and the mixture are the implicit ones:
 * dp/dt = 1 / h'(p).
 */
export function ncpMixtureInverse(t: Tensor2D, m: NcpMixture, hint?: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    let start: Tensor2D;
    if (hint) {
      start = stopGradient(hint) as Tensor2D;
    } else {
      // Off the tape: under tf.grad the bisection's intermediates would otherwise all be kept.
      const k = m.logScale.length;
      start = withoutGradient([t, ...m.logScale, ...m.logits], (tv, ...params) => {
        const frozen = prepare({
          logScale: params.slice(0, k) as Tensor2D[],
          logits: params.slice(k) as Tensor2D[],
        });
        const goal = wrapAngle(tv as Tensor2D);
        let lo = tf.zerosLike(goal) as Tensor2D;
        let hi = tf.fill(goal.shape, TWO_PI) as Tensor2D;
        for (let i = 0; i < BISECTION_STEPS; i++) {
          const next = tf.tidy(() => {
            const mid = tf.mul(tf.add(lo, hi), 0.5) as Tensor2D;
            // below = 1 where h(mid) < t: arithmetic blends instead of tf.where (slow on wasm).
            const below = tf.cast(tf.less(evaluate(mid, frozen, false).value, goal), 'float32');
            return [
              tf.add(lo, tf.mul(below, tf.sub(mid, lo))),
              tf.add(mid, tf.mul(below, tf.sub(hi, mid))),
            ] as Tensor2D[];
          });
          tf.dispose([lo, hi]);
          [lo, hi] = next as [Tensor2D, Tensor2D];
        }
        const result = tf.mul(tf.add(lo, hi), 0.5) as Tensor2D;
        tf.dispose([lo, hi, goal, ...frozen.scale, ...frozen.scale2, ...frozen.weight]);
        return result;
      });
    }
    const at = ncpMixture(start, m);
    // The residual is taken the short way round: t and h(start) may sit on either side of 0 = 2 pi.
    const residual = wrapDifference(tf.sub(at.value, t));
    return tf.sub(start, tf.div(residual, stopGradient(at.derivative))) as Tensor2D;
  });
}
