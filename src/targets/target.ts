import {
  requireEngine,
  tf,
  type NativeTargetSpec,
  type Rng,
  type Tensor1D,
  type Tensor2D,
} from '../engine/index.js';

/**
 * An unnormalized log density over R^dim. Particles are rows: z is [N, dim], logProb is [N].
 * Optional extras make samplers faster (closed-form score) or enable exact checks (logZ, sample).
 */
export interface Target {
  readonly name: string;
  readonly dim: number;
  /** Unnormalized log density log gamma(z), [N, dim] -> [N]. */
  logProb(z: Tensor2D): Tensor1D;
  /** Closed-form grad_z log gamma(z), [N, dim] -> [N, dim], where cheaper than autodiff. */
  score?(z: Tensor2D): Tensor2D;
  /**
   * Both in one pass, where they share work (e.g. a network's forward pass that the score's
   * hand-written backward pass reuses). Preferred over logProb + score when present.
   */
  logProbAndScore?(z: Tensor2D): { logProb: Tensor1D; score: Tensor2D };
  /** Exact samples from the normalized target. */
  sample?(n: number, rng: Rng): Tensor2D;
  /** Exact log normalizer log Z = log integral gamma(z) dz, where known. */
  readonly logZ?: number;
  /**
   * For targets the native kernels know (funnel, Many-Well, isotropic Gaussian mixtures): their
   * kind and parameters, so that fixed-parameter chains run as fused native steps. Absent for
   * everything else, which runs op by op.
   */
  nativeSpec?(): NativeTargetSpec;
  /** Frees the constant tensors the target holds (means, precision matrices, masks). */
  dispose?(): void;
}

export class TargetError extends Error {
  override name = 'TargetError';
}

/** Throws when z is not [N, dim]. */
export function checkParticles(target: { name: string; dim: number }, z: Tensor2D): void {
  if (z.rank !== 2 || z.shape[1] !== target.dim) {
    throw new TargetError(
      `target '${target.name}' expects particles of shape [N, ${target.dim}], got [${z.shape.join(', ')}]`,
    );
  }
}

const checkedTargets = new WeakSet<Target>();

function describeShape(value: unknown): string {
  if (value instanceof tf.Tensor) return `shape [${value.shape.join(', ')}]`;
  return value === null ? 'null' : typeof value === 'object' ? 'a non-tensor object' : typeof value;
}

/**
 * Checks a target at the boundary of the library's entry points, once per target object: the
 * engine is started, name and dim are valid, and logProb (score, logProbAndScore where given)
 * returns the documented shapes on a small batch. A wrong shape would otherwise fail deep inside a
 * sampler with a TF.js message, or broadcast silently into a wrong log Z.
 */
export function checkTarget(target: Target): void {
  requireEngine();
  if (checkedTargets.has(target)) return;
  if (typeof target !== 'object' || target === null)
    throw new TargetError(`a target must be an object with name, dim and logProb`);
  const given = typeof target.name === 'string' && target.name ? target.name : null;
  if (given === null) throw new TargetError(`a target needs a non-empty string name`);
  // A name is echoed in every message about the target: a runaway one is cut short there.
  const name = given.length > 60 ? `${given.slice(0, 60)}...` : given;
  if (!Number.isInteger(target.dim) || target.dim < 1)
    throw new TargetError(`target '${name}': dim must be a positive integer, got ${target.dim}`);
  if (typeof target.logProb !== 'function')
    throw new TargetError(`target '${name}': logProb must be a function [N, dim] -> [N]`);
  if (
    target.logZ !== undefined &&
    !(typeof target.logZ === 'number' && Number.isFinite(target.logZ))
  )
    throw new TargetError(
      `target '${name}': logZ, where given, must be a finite number, got ${typeof target.logZ === 'number' ? target.logZ : typeof target.logZ}`,
    );
  const n = 2;
  const d = target.dim;
  const call = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new TargetError(
        `target '${name}': ${what} failed on particles of shape [${n}, ${d}]: ${message}`,
      );
    }
  };
  // Integer or boolean values would reach the fused kernels (which refuse them in their own
  // words) or truncate a score's gradient without a word.
  const float = (what: string, value: tf.Tensor) => {
    if (value.dtype !== 'float32')
      throw new TargetError(
        `target '${name}': ${what} must return float32 values, got ${value.dtype} (cast with tf.cast(x, 'float32'))`,
      );
  };
  const vector = (what: string, value: unknown) => {
    if (!(value instanceof tf.Tensor) || value.rank !== 1 || value.shape[0] !== n)
      throw new TargetError(
        `target '${name}': ${what} must return shape [N] for particles [N, ${d}]; for N = ${n} it returned ${describeShape(value)}`,
      );
    float(what, value);
  };
  const matrix = (what: string, value: unknown) => {
    if (
      !(value instanceof tf.Tensor) ||
      value.rank !== 2 ||
      value.shape[0] !== n ||
      value.shape[1] !== d
    )
      throw new TargetError(
        `target '${name}': ${what} must return shape [N, ${d}] for particles [N, ${d}]; for N = ${n} it returned ${describeShape(value)}`,
      );
    float(what, value);
  };
  tf.tidy(() => {
    const z = tf.zeros([n, d]) as Tensor2D;
    vector(
      'logProb',
      call('logProb', () => target.logProb(z)),
    );
    if (target.score)
      matrix(
        'score',
        call('score', () => target.score?.(z)),
      );
    if (target.logProbAndScore) {
      const both = call('logProbAndScore', () => target.logProbAndScore?.(z));
      vector('logProbAndScore().logProb', both?.logProb);
      matrix('logProbAndScore().score', both?.score);
    }
  });
  checkedTargets.add(target);
}
