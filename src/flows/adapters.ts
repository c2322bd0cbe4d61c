// A flow in the roles the rest of the library knows: as the initial distribution of an annealed
// sampler (AIS/SMC from a trained flow: the flow does the coarse transport, annealing corrects
// the rest), and as a target (normalized, with exact samples: the MCD paper's flow target). The
// score of the flow density is carried through the couplings from the base's; the flow's
// parameters are constants here (a trained flow is frozen in these roles).
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import type { Distribution } from '../distributions/distribution.js';
import type { Target } from '../targets/target.js';
import type { Flow } from './flow.js';

/**
 * grad_x log q(x): pull x back to the base and carry the base score forward through the couplings
 * (the fast path-gradient recursion), instead of autodiff through the inverse pass — several times
 * faster on wasm, and still differentiable in x for second-order training.
 */
function flowScore(flow: Flow, x: Tensor2D): Tensor2D {
  return tf.tidy(() => flow.pushForwardWithScore(flow.pullBack(x)).score);
}

/**
 * The flow's density as a Distribution; its dispose() frees the flow (call it only when the
 * distribution owns the flow).
 */
export function flowDistribution(flow: Flow): Distribution & { dispose: () => void } {
  return {
    dispose: () => flow.dispose(),
    dim: flow.dim,
    logProb: (z: Tensor2D): Tensor1D => flow.logProb(z),
    score: (z: Tensor2D): Tensor2D => flowScore(flow, z),
    // One inverse and one forward pass for both, where logProb then score would take three.
    logProbAndScore: (z: Tensor2D) =>
      tf.tidy(() => {
        const { logQ, score } = flow.pushForwardWithScore(flow.pullBack(z));
        return { logProb: logQ, score };
      }),
    sample: (n: number, rng: Rng): Tensor2D => {
      const { x, logQ } = flow.sample(n, rng);
      logQ.dispose();
      return x;
    },
  };
}

/** The flow's density as a normalized target with exact samples (log Z = 0). */
export function flowTarget(flow: Flow, name = 'flow'): Target {
  return {
    name,
    dim: flow.dim,
    logZ: 0,
    logProb: (z: Tensor2D): Tensor1D => flow.logProb(z),
    score: (z: Tensor2D): Tensor2D => flowScore(flow, z),
    sample: (n: number, rng: Rng): Tensor2D => flowDistribution(flow).sample(n, rng),
  };
}
