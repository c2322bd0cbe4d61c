// Gauge-equivariant coupling layers for 2-d U(1) link angles (Kanwar et al. 2020), on the link
// layout of the 'u1' target (index = mu * V + s). A layer with direction mu and offset o:
//  - active plaquettes: sites whose coordinate across mu (e1 for mu = 0, e0 for mu = 1) is o mod 4;
//  - frozen plaquettes: coordinate o + 1 or o + 2 mod 4 — they condition the transform;
//  - each active plaquette P(s) goes through a circular bijection h (an NCP mixture and a rotation,
//    parameters from an MLP on cos/sin of the frozen plaquettes), and the change h(P) - P is put on
//    the one link of P(s) in direction mu (sign +1 for theta_0(s), -1 for theta_1(s)).
// The updated link also sits in one more plaquette (coordinate o - 1 mod 4), which is neither
// active nor frozen, so frozen plaquettes are unchanged and the Jacobian on links is triangular
// with diagonal h'(P): log |det| = sum over active plaquettes of log h'(P). Gauge transformations
// change no plaquette, so the layer commutes with them and a uniform base gives a gauge-invariant
// density. Lattice width must be a multiple of 4.
import { tf, type Rng, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import type { ParamStore } from '../nets/params.js';
import { FlowError, type Bijection } from './bijection.js';
import { ncpMixture, ncpMixtureInverse, wrapAngle, type NcpMixture } from './circular.js';
import { Conditioner, type ConditionerConfig } from './conditioner.js';

/** Site masks of a layer, row-major sites s = t * L + x: [active, frozen] as 0/1 arrays. */
export function gaugeMasks(width: number, mu: 0 | 1, offset: number): [number[], number[]] {
  if (!Number.isInteger(width) || width < 4 || width % 4 !== 0) {
    throw new FlowError(
      `gauge-equivariant couplings need a lattice width divisible by 4, got ${width}`,
    );
  }
  const active: number[] = [];
  const frozen: number[] = [];
  for (let t = 0; t < width; t++) {
    for (let x = 0; x < width; x++) {
      const across = ((((mu === 0 ? x : t) - offset) % 4) + 4) % 4;
      active.push(across === 0 ? 1 : 0);
      frozen.push(across === 1 || across === 2 ? 1 : 0);
    }
  }
  return [active, frozen];
}

export class GaugeCoupling implements Bijection {
  readonly name = 'u1-gauge-coupling';
  readonly dim: number;
  private readonly sites: number;
  private readonly active: Tensor1D;
  private readonly frozen: Tensor1D;
  private readonly net: Conditioner;
  private readonly heads: { scale: string[]; logit: string[] };

  /**
   * @param incidence the lattice's [2V, V] plaquette incidence matrix (shared, owned by the caller)
   * @param components NCP mixture components per plaquette transform
   */
  constructor(
    store: ParamStore,
    prefix: string,
    readonly width: number,
    readonly mu: 0 | 1,
    readonly offset: number,
    private readonly incidence: Tensor2D,
    components: number,
    config: ConditionerConfig,
    rng: Rng,
  ) {
    if (!Number.isInteger(components) || components < 1) {
      throw new FlowError(
        `circular mixture components must be a positive integer, got ${components}`,
      );
    }
    const [active, frozen] = gaugeMasks(width, mu, offset);
    this.sites = width * width;
    this.dim = 2 * this.sites;
    this.active = tf.keep(tf.tensor1d(active));
    this.frozen = tf.keep(tf.tensor1d(frozen));
    const range = Array.from({ length: components }, (_, k) => k);
    this.heads = { scale: range.map((k) => `a${k}`), logit: range.map((k) => `w${k}`) };
    this.net = new Conditioner(
      store,
      prefix,
      this.dim,
      [...this.heads.scale, ...this.heads.logit, 'shift'],
      config,
      rng,
      true,
      this.sites,
    );
  }

  /** Wrapped plaquettes [N, V] of link rows. */
  private plaquettes(links: Tensor2D): Tensor2D {
    return wrapAngle(tf.matMul(links, this.incidence));
  }

  /** The circular transform's parameters from the frozen plaquettes (the same before and after). */
  private transform(plaq: Tensor2D): { mixture: NcpMixture; shift: Tensor2D } {
    const features = tf.concat(
      [tf.mul(tf.cos(plaq), this.frozen), tf.mul(tf.sin(plaq), this.frozen)],
      1,
    );
    const out = this.net.apply(features as Tensor2D);
    const pick = (names: string[]) => names.map((n) => out[n] as Tensor2D);
    return {
      mixture: { logScale: pick(this.heads.scale), logits: pick(this.heads.logit) },
      shift: out['shift'] as Tensor2D,
    };
  }

  /** Link rows moved by a plaquette change delta [N, V] on this layer's direction. */
  private moveLinks(links: Tensor2D, delta: Tensor2D, sign: 1 | -1): Tensor2D {
    const zeros = tf.zerosLike(delta);
    const step = this.mu === 0 ? [tf.mul(delta, sign), zeros] : [zeros, tf.mul(delta, -sign)];
    return wrapAngle(tf.add(links, tf.concat(step, 1))) as Tensor2D;
  }

  forward(x: Tensor2D): { y: Tensor2D; logDet: Tensor1D } {
    return tf.tidy(() => {
      const p = this.plaquettes(x);
      const { mixture, shift } = this.transform(p);
      const h = ncpMixture(p, mixture);
      const delta = tf.mul(tf.sub(tf.add(h.value, shift), p), this.active) as Tensor2D;
      return {
        y: this.moveLinks(x, delta, 1),
        logDet: tf.sum(tf.mul(tf.log(h.derivative), this.active), -1) as Tensor1D,
      };
    });
  }

  /** The inverse; `hint` = the wrapped plaquettes before the forward map, where known. */
  private inverseFrom(y: Tensor2D, hint?: Tensor2D): { x: Tensor2D; logDet: Tensor1D } {
    return tf.tidy(() => {
      const q = this.plaquettes(y);
      const { mixture, shift } = this.transform(q);
      const p = ncpMixtureInverse(tf.sub(q, shift) as Tensor2D, mixture, hint);
      const delta = tf.mul(tf.sub(q, p), this.active) as Tensor2D;
      const h = ncpMixture(p, mixture);
      return {
        x: this.moveLinks(y, delta, -1),
        logDet: tf.neg(tf.sum(tf.mul(tf.log(h.derivative), this.active), -1)) as Tensor1D,
      };
    });
  }

  inverse(y: Tensor2D): { x: Tensor2D; logDet: Tensor1D } {
    return this.inverseFrom(y);
  }

  /**
   * The score at y = f(x): grad_y [log q(x(y)) + log|det dx/dy|], one local VJP through the
   * layer's inverse, which needs no bisection here because the preimage is known. A per-layer
   * recursion as in Alg. 1 (the score is carried forward with the sample), with autodiff for the
   * layer's own Jacobian instead of a hand-written one.
   */
  forwardWithScore(
    x: Tensor2D,
    score: Tensor2D,
  ): { y: Tensor2D; logDet: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      const { y, logDet } = this.forward(x);
      const hint = this.plaquettes(x);
      const carried = tf.grad((yv: Tensor) => {
        const back = this.inverseFrom(yv as Tensor2D, hint);
        return tf.add(tf.sum(tf.mul(score, back.x)), tf.sum(back.logDet));
      })(y) as Tensor2D;
      return { y, logDet, score: carried };
    });
  }

  /**
   * The inverse (by bisection) and the pulled-back score at x = f^-1(y):
   * grad_x [log p(f(x)) + log|det df/dx|], one local VJP through the layer's forward map.
   */
  inverseWithScore(
    y: Tensor2D,
    score: Tensor2D,
  ): { x: Tensor2D; logDet: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      const { x, logDet } = this.inverseFrom(y);
      const carried = tf.grad((xv: Tensor) => {
        const f = this.forward(xv as Tensor2D);
        return tf.add(tf.sum(tf.mul(score, f.y)), tf.sum(f.logDet));
      })(x) as Tensor2D;
      return { x, logDet, score: carried };
    });
  }

  dispose(): void {
    this.active.dispose();
    this.frozen.dispose();
  }
}
