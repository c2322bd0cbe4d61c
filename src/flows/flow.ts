// A normalizing flow: a diagonal Gaussian base distribution pushed through a stack of bijections,
// with its parameters in a ParamStore (checkpoints, freezing and the trainer work as for the
// annealed samplers). Sampling gives exact log q; `sampleWithScore` also carries grad_x log q
// through every layer (fast path gradients).
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { DiagGaussian } from '../distributions/diagGaussian.js';
import { UniformTorus } from '../distributions/uniformTorus.js';
import { plaquetteMatrix } from '../targets/u1.js';
import { ParamStore } from '../nets/params.js';
import { FlowError, type Bijection } from './bijection.js';
import { AdditiveCoupling, AffineCoupling, alternatingMask } from './coupling.js';
import { GlobalScale } from './scale.js';
import { CONDITIONER_DEFAULTS, type ConditionerConfig } from './conditioner.js';
import { GaugeCoupling } from './gauge.js';

export const FLOW_KINDS = ['realnvp', 'nice', 'z2-nice', 'u1-gauge'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

export interface FlowConfig {
  kind: FlowKind;
  /** Coupling layers (default 8), with alternating masks. */
  layers: number;
  conditioner: ConditionerConfig;
  /**
   * Lattice targets: the lattice width X, for checkerboard masks ((t + x + layer) even) instead of
   * alternating coordinates; null (default) for alternating.
   */
  checkerboardWidth: number | null;
  /** 'u1-gauge': NCP mixture components of each plaquette transform (default 6). */
  circularComponents: number;
}

export const FLOW_DEFAULTS: Omit<FlowConfig, 'kind'> = {
  layers: 8,
  conditioner: CONDITIONER_DEFAULTS,
  checkerboardWidth: null,
  circularComponents: 6,
};

/** What a flow pushes forward: a standard Gaussian, or uniform angles for gauge flows. */
export type FlowBase = DiagGaussian | UniformTorus;

/** Checkerboard mask on a lattice of width X, flattened row-major. */
export function checkerboardMask(dim: number, width: number, layer: number): number[] {
  return Array.from({ length: dim }, (_, i) =>
    (Math.floor(i / width) + (i % width) + layer) % 2 === 0 ? 1 : 0,
  );
}

/**
 * A coupling normalizing flow: `sample(n, rng)` gives draws with their log density, `logProb(x)`
 * the density of given points. Train it through a FlowModel and a Trainer.
 *
 * @example
 * ```ts
 * const flow = new Flow(2, { kind: 'realnvp', layers: 6 }, Rng.fromSeed(0));
 * const { x, logQ } = flow.sample(100, Rng.fromSeed(1));
 * ```
 */
export class Flow {
  readonly params = new ParamStore();
  readonly layers: Bijection[];
  readonly base: FlowBase;
  private readonly owned: Tensor2D[] = [];

  constructor(
    readonly dim: number,
    config: Partial<Omit<FlowConfig, 'conditioner'>> & {
      kind: FlowKind;
      conditioner?: Partial<ConditionerConfig>;
    },
    rng: Rng,
  ) {
    const c = {
      ...FLOW_DEFAULTS,
      ...config,
      conditioner: { ...CONDITIONER_DEFAULTS, ...config.conditioner },
    };
    if (!Number.isInteger(dim) || dim < 2)
      throw new FlowError(`a coupling flow needs dim >= 2, got ${dim}`);
    if (!Number.isInteger(c.layers) || c.layers < 1)
      throw new FlowError(`layers must be a positive integer, got ${c.layers}`);
    if (!(FLOW_KINDS as readonly string[]).includes(c.kind)) {
      throw new FlowError(`unknown flow '${c.kind as string}'; valid: ${FLOW_KINDS.join(', ')}`);
    }
    if (c.kind === 'u1-gauge') {
      // Link angles of an L x L lattice (dim 2 L^2), uniform base: layer l updates direction
      // l mod 2 with stripe offset floor(l / 2) mod 4, so 8 layers visit every combination.
      const lattice = Math.round(Math.sqrt(dim / 2));
      if (2 * lattice * lattice !== dim) {
        throw new FlowError(`a u1-gauge flow needs dim = 2 L^2 (link angles), got ${dim}`);
      }
      this.base = new UniformTorus(dim);
      const incidence = tf.keep(
        tf.tensor2d(Float32Array.from(plaquetteMatrix(lattice)), [dim, dim / 2]),
      );
      this.owned.push(incidence);
      this.layers = Array.from(
        { length: c.layers },
        (_, l): Bijection =>
          new GaugeCoupling(
            this.params,
            `layer${l}`,
            lattice,
            (l % 2) as 0 | 1,
            Math.floor(l / 2) % 4,
            incidence,
            c.circularComponents,
            c.conditioner,
            rng,
          ),
      );
      return;
    }
    this.base = DiagGaussian.isotropic(dim, 1);
    const width = c.checkerboardWidth;
    if (width !== null && (!Number.isInteger(width) || width < 2 || dim % width !== 0)) {
      throw new FlowError(
        `checkerboard width ${width} must be an integer >= 2 dividing dim ${dim}`,
      );
    }
    const mask = (l: number) =>
      width === null ? alternatingMask(dim, l) : checkerboardMask(dim, width, l);
    // Z2-equivariant NICE (phi^4): additive couplings with odd (bias-free) conditioners and a
    // final global scaling, so that T(-z) = -T(z).
    const z2 = c.kind === 'z2-nice';
    const conditioner = z2 ? { ...c.conditioner, bias: false } : c.conditioner;
    const Layer = c.kind === 'realnvp' ? AffineCoupling : AdditiveCoupling;
    this.layers = Array.from(
      { length: c.layers },
      (_, l): Bijection => new Layer(this.params, `layer${l}`, dim, mask(l), conditioner, rng),
    );
    if (z2) this.layers.push(new GlobalScale(this.params, 'scale.log', dim));
  }

  /** x = T(z) for base draws z, with log q(x) = log base(z) - sum log|det|. */
  pushForward(z: Tensor2D): { x: Tensor2D; logQ: Tensor1D } {
    return tf.tidy(() => {
      let x = z;
      let logQ = this.base.logProb(z);
      for (const layer of this.layers) {
        const { y, logDet } = layer.forward(x);
        x = y;
        logQ = tf.sub(logQ, logDet) as Tensor1D;
      }
      return { x, logQ };
    });
  }

  sample(n: number, rng: Rng): { x: Tensor2D; logQ: Tensor1D } {
    return tf.tidy(() => this.pushForward(this.base.sample(n, rng)));
  }

  /** z = T^-1(x), the base point of x. */
  pullBack(x: Tensor2D): Tensor2D {
    return tf.tidy(() => {
      let z = x;
      for (let l = this.layers.length - 1; l >= 0; l--) {
        const r = (this.layers[l] as Bijection).inverse(z);
        z = r.x;
      }
      return z;
    });
  }

  /** log q(x) by the inverse pass. */
  logProb(x: Tensor2D): Tensor1D {
    return tf.tidy(() => {
      let z = x;
      let logDetSum = tf.zeros([x.shape[0]]) as Tensor1D;
      for (let l = this.layers.length - 1; l >= 0; l--) {
        const { x: prev, logDet } = (this.layers[l] as Bijection).inverse(z);
        z = prev;
        logDetSum = tf.add(logDetSum, logDet) as Tensor1D;
      }
      return tf.add(this.base.logProb(z), logDetSum) as Tensor1D;
    });
  }

  /**
   * The fast path-gradient pass (Vaitl et al. 2024, Alg. 1): x = T(z), log q(x) and
   * grad_x log q(x), the score carried layer by layer from the base's. Constants for autodiff:
   * call it outside the training tape.
   */
  pushForwardWithScore(z: Tensor2D): { x: Tensor2D; logQ: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      let x = z;
      let logQ = this.base.logProb(z);
      let score = this.base.score(z);
      for (const layer of this.layers) {
        const r = layer.forwardWithScore(x, score);
        x = r.y;
        score = r.score;
        logQ = tf.sub(logQ, r.logDet) as Tensor1D;
      }
      return { x, logQ, score };
    });
  }

  /**
   * The forward-KL form of the fast pass: z = T^-1(x), log q(x), and the score at z of the target
   * pulled back to the base, grad_z [log p(T(z)) + log|det dT/dz|], carried layer by layer from
   * `score` = grad_x log p(x). Constants for autodiff: call it outside the training tape.
   */
  pullBackWithScore(
    x: Tensor2D,
    score: Tensor2D,
  ): { z: Tensor2D; logQ: Tensor1D; score: Tensor2D } {
    return tf.tidy(() => {
      let z = x;
      let carried = score;
      let logDetSum = tf.zeros([x.shape[0]]) as Tensor1D;
      for (let l = this.layers.length - 1; l >= 0; l--) {
        const r = (this.layers[l] as Bijection).inverseWithScore(z, carried);
        z = r.x;
        carried = r.score;
        logDetSum = tf.add(logDetSum, r.logDet) as Tensor1D;
      }
      return { z, logQ: tf.add(this.base.logProb(z), logDetSum) as Tensor1D, score: carried };
    });
  }

  dispose(): void {
    for (const layer of this.layers) (layer as { dispose?: () => void }).dispose?.();
    this.params.dispose();
    this.base.dispose();
    tf.dispose(this.owned);
  }
}
