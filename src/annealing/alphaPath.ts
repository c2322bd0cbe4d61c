// The geometric path from q to g = p^alpha q^(1 - alpha): annealed importance sampling towards g,
// the density that minimizes the variance of importance weights for the alpha-divergence
// D_alpha(p || q) (alpha = 2 gives g = p^2 / q, the target of flow annealed importance sampling
// bootstrap, FAB). Every point carries log q and log p already, so g costs no extra pass:
//   log gamma_beta = (1 - beta) log q + beta log g,  log g = alpha log p + (1 - alpha) log q.
// The chain's weights then estimate Z_g = integral of p~^alpha q^(1 - alpha), and alpha = 1 gives
// back the ordinary path to p.
import { tf, type Tensor1D, type Tensor2D } from '../engine/index.js';
import type { Distribution } from '../distributions/distribution.js';
import type { Target } from '../targets/target.js';
import { AnnealingPath, type ParticleState } from './path.js';

export class AlphaPathError extends Error {
  override name = 'AlphaPathError';
}

/**
 * AnnealingPath whose far end is p^alpha q^(1 - alpha) (q the initial distribution, p the
 * target): a state's `logTarget` and `scoreTarget` hold log g and its score, so kernels, weights
 * and diagnostics see an ordinary path. Always runs on the reference (TF.js) kernels.
 */
export class AlphaPath extends AnnealingPath {
  constructor(
    initial: Distribution,
    target: Target,
    readonly alpha: number,
  ) {
    super(initial, target);
    if (!(Number.isFinite(alpha) && alpha >= 1))
      throw new AlphaPathError(`alpha must be a finite number >= 1, got ${alpha}`);
  }

  // The native kernels know p alone, not g.
  override fused(): null {
    return null;
  }

  override fusedUnavailable(): string {
    return `the path ends at p^${this.alpha} q^${1 - this.alpha}, which has no native form`;
  }

  override evaluate(z: Tensor2D): ParticleState {
    const s = super.evaluate(z);
    if (this.alpha === 1) return s;
    const a = this.alpha;
    const mixed = tf.tidy(() => ({
      logTarget: tf.add(tf.mul(a, s.logTarget), tf.mul(1 - a, s.logInitial)) as Tensor1D,
      scoreTarget: tf.add(tf.mul(a, s.scoreTarget), tf.mul(1 - a, s.scoreInitial)) as Tensor2D,
    }));
    s.logTarget.dispose();
    s.scoreTarget.dispose();
    return { ...s, ...mixed };
  }
}
