// Coupling layers (Dinh et al.): a binary mask m keeps some coordinates and transforms the others
// conditioned on the kept ones. Affine (RealNVP): y = x * exp(s(x m)) + t(x m) on the transformed
// part, log|det| = sum s. Additive (NICE): y = x + t(x m), volume-preserving. s and t are masked to
// the transformed coordinates, so the whole layer works on full rows without column slicing.
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import type { ParamStore } from '../nets/params.js';
import { FlowError, type Bijection } from './bijection.js';
import { Conditioner, type ConditionerConfig } from './conditioner.js';

/** Alternating masks: layer l keeps coordinates i with (i + l) even. */
export function alternatingMask(dim: number, layer: number): number[] {
  return Array.from({ length: dim }, (_, i) => ((i + layer) % 2 === 0 ? 1 : 0));
}

abstract class Coupling implements Bijection {
  abstract readonly name: string;
  protected readonly mask: Tensor1D;
  protected readonly free: Tensor1D;
  protected readonly net: Conditioner;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly dim: number,
    mask: number[],
    heads: string[],
    config: ConditionerConfig,
    rng: Rng,
  ) {
    if (mask.length !== dim || mask.some((m) => m !== 0 && m !== 1)) {
      throw new FlowError(`a coupling mask must be ${dim} zeros and ones, got [${mask}]`);
    }
    if (!mask.includes(0) || !mask.includes(1)) {
      throw new FlowError('a coupling mask must keep some coordinates and transform the others');
    }
    this.mask = tf.keep(tf.tensor1d(mask));
    this.free = tf.keep(tf.tensor1d(mask.map((m) => 1 - m)));
    this.net = new Conditioner(store, prefix, dim, heads, config, rng);
  }

  /** Log-scale and shift on the transformed coordinates (zero on the kept ones). */
  protected abstract shiftScale(x: Tensor2D): { s: Tensor2D | null; t: Tensor2D };

  forward(x: Tensor2D): { y: Tensor2D; logDet: Tensor1D } {
    return tf.tidy(() => {
      const { s, t } = this.shiftScale(x);
      const y = (s ? tf.add(tf.mul(x, tf.exp(s)), t) : tf.add(x, t)) as Tensor2D;
      const logDet = (s ? tf.sum(s, -1) : tf.zeros([x.shape[0]])) as Tensor1D;
      return { y, logDet };
    });
  }

  inverse(y: Tensor2D): { x: Tensor2D; logDet: Tensor1D } {
    return tf.tidy(() => {
      // The kept coordinates are unchanged, so the conditioner sees the same input as forward.
      const { s, t } = this.shiftScale(y);
      const x = (s ? tf.mul(tf.sub(y, t), tf.exp(tf.neg(s))) : tf.sub(y, t)) as Tensor2D;
      const logDet = (s ? tf.neg(tf.sum(s, -1)) : tf.zeros([y.shape[0]])) as Tensor1D;
      return { x, logDet };
    });
  }

  /**
   * The conditioner on the kept coordinates of `x` (the same before and after the map): masked
   * log-scale s (null for additive couplings) and shift t, and a VJP through the conditioner, for
   * `use` inside one scope; the pass's saved activations are freed afterwards.
   */
  private withPass<T extends tf.TensorContainer>(
    x: Tensor2D,
    use: (
      s: Tensor2D | null,
      t: Tensor2D,
      vjp: (cotangents: Record<string, Tensor2D>) => Tensor2D,
    ) => T,
  ): T {
    const pass = this.net.applyWithVjp(tf.tidy(() => tf.mul(x, this.mask) as Tensor2D));
    try {
      return tf.tidy(() => {
        const s = pass.out['s'] ? (tf.mul(pass.out['s'], this.free) as Tensor2D) : null;
        const t = tf.mul(pass.out['t'] as Tensor2D, this.free) as Tensor2D;
        return use(s, t, pass.vjp);
      });
    } finally {
      tf.dispose(Object.values(pass.out));
      pass.release();
    }
  }

  forwardWithScore(
    x: Tensor2D,
    score: Tensor2D,
  ): { y: Tensor2D; logDet: Tensor1D; score: Tensor2D } {
    return this.withPass(x, (s, t, vjp) => {
      const y = (s ? tf.add(tf.mul(x, tf.exp(s)), t) : tf.add(x, t)) as Tensor2D;
      const logDet = (s ? tf.sum(s, -1) : tf.zeros([x.shape[0]])) as Tensor1D;
      // With J = [[I, 0], [C, D]] (kept, transformed), D = diag(exp s), C = d y_b / d x_a:
      // the score at y is u = D^-1 g_b on the transformed part and g_a - C^T u - grad_a sum s
      // on the kept part. C^T u + grad_a sum s is one VJP through the conditioner, with
      // cotangent (1 + g x) on the s head and u on the t head (masked to the transformed part).
      const u = tf.mul(tf.mul(score, this.free), s ? tf.exp(tf.neg(s)) : 1) as Tensor2D;
      const cotangents: Record<string, Tensor2D> = { t: u };
      if (s) cotangents['s'] = tf.mul(tf.add(1, tf.mul(score, x)), this.free) as Tensor2D;
      const kept = tf.mul(tf.sub(score, vjp(cotangents)), this.mask);
      return { y, logDet, score: tf.add(u, kept) as Tensor2D };
    });
  }

  inverseWithScore(
    y: Tensor2D,
    score: Tensor2D,
  ): { x: Tensor2D; logDet: Tensor1D; score: Tensor2D } {
    // The kept coordinates are unchanged, so the conditioner sees the forward map's input.
    return this.withPass(y, (s, t, vjp) => {
      const shifted = tf.sub(y, t); // x_b exp(s) on the transformed part
      const x = (s ? tf.mul(shifted, tf.exp(tf.neg(s))) : shifted) as Tensor2D;
      const logDet = (s ? tf.neg(tf.sum(s, -1)) : tf.zeros([y.shape[0]])) as Tensor1D;
      // J^T g + grad_x sum s with J = [[I, 0], [C, D]]: D g_b on the transformed part;
      // g_a + C^T g_b + grad_a sum s on the kept part, one VJP through the conditioner with
      // cotangent (1 + g x_b exp(s)) on the s head and g_b on the t head.
      const g = tf.mul(score, this.free) as Tensor2D;
      const transformed = s ? tf.mul(g, tf.exp(s)) : g;
      const cotangents: Record<string, Tensor2D> = { t: g };
      if (s) cotangents['s'] = tf.mul(tf.add(1, tf.mul(g, shifted)), this.free) as Tensor2D;
      const kept = tf.mul(tf.add(score, vjp(cotangents)), this.mask);
      return { x, logDet, score: tf.add(transformed, kept) as Tensor2D };
    });
  }

  dispose(): void {
    this.mask.dispose();
    this.free.dispose();
  }
}

/** RealNVP affine coupling: y_b = x_b exp(s(x_a)) + t(x_a). */
export class AffineCoupling extends Coupling {
  readonly name = 'affine-coupling';

  constructor(
    store: ParamStore,
    prefix: string,
    dim: number,
    mask: number[],
    config: ConditionerConfig,
    rng: Rng,
  ) {
    super(store, prefix, dim, mask, ['s', 't'], config, rng);
  }

  protected shiftScale(x: Tensor2D): { s: Tensor2D; t: Tensor2D } {
    return tf.tidy(() => {
      const out = this.net.apply(tf.mul(x, this.mask) as Tensor2D);
      return {
        s: tf.mul(out['s'] as Tensor2D, this.free) as Tensor2D,
        t: tf.mul(out['t'] as Tensor2D, this.free) as Tensor2D,
      };
    });
  }
}

/** NICE additive coupling: y_b = x_b + t(x_a); log|det| = 0. */
export class AdditiveCoupling extends Coupling {
  readonly name = 'additive-coupling';

  constructor(
    store: ParamStore,
    prefix: string,
    dim: number,
    mask: number[],
    config: ConditionerConfig,
    rng: Rng,
  ) {
    super(store, prefix, dim, mask, ['t'], config, rng);
  }

  protected shiftScale(x: Tensor2D): { s: null; t: Tensor2D } {
    const t = tf.tidy(() => {
      const out = this.net.apply(tf.mul(x, this.mask) as Tensor2D);
      return tf.mul(out['t'] as Tensor2D, this.free) as Tensor2D;
    });
    return { s: null, t };
  }
}
