// The log-weights of fixed ULA-family paths (ula, ula-mcd, cmcd) under the current parameters, for
// the log-variance objective: the paths are drawn off the gradient tape, then each step's forward
// and backward Gaussian densities are evaluated again with the parameters on the tape, so the
// gradient reaches the step sizes, the schedule, the initial distribution and the network without
// backpropagating through the chain. With the parameters the paths were drawn with, the result
// equals the chain's own log-weights: log pi(z_K) - log q(z_0) + sum_k [log B_k - log F_k].
import {
  tf,
  sumSquares,
  type Scalar,
  type Tensor1D,
  type Tensor2D,
  type Tensor3D,
} from '../engine/index.js';
import type { Distribution } from '../distributions/distribution.js';
import type { Target } from '../targets/target.js';
import { targetLogProbAndScore } from '../targets/score.js';
import type { BackwardCorrection } from './kernels/ula.js';

/** Paths drawn off the tape: the particles at every step and what the target says about them. */
export interface DrawnPaths {
  /** [K + 1, N, dim]: z_0 .. z_K. */
  frames: Tensor3D;
  /** grad log pi at every frame. */
  scores: Tensor2D[];
  /** log pi(z_K). */
  logTargetLast: Tensor1D;
}

/** Evaluates the target along a traced run's frames (off the tape); the frames are kept. */
export function drawnPaths(frames: Tensor3D, target: Target): DrawnPaths {
  const [steps1, n, d] = frames.shape;
  const scores: Tensor2D[] = [];
  let logTargetLast: Tensor1D | null = null;
  for (let k = 0; k < steps1; k++) {
    const frame = tf.tidy(() => tf.reshape(tf.slice(frames, [k, 0, 0], [1, n, d]), [n, d]));
    const { logProb, score } = targetLogProbAndScore(target, frame as Tensor2D);
    scores.push(score);
    if (k === steps1 - 1) logTargetLast = logProb;
    else logProb.dispose();
    frame.dispose();
  }
  return { frames, scores, logTargetLast: logTargetLast as Tensor1D };
}

export function disposePaths(paths: DrawnPaths): void {
  tf.dispose([paths.frames, ...paths.scores, paths.logTargetLast]);
}

export interface ReplayParams {
  initial: Distribution;
  /** [K + 1] betas, 0 .. 1. */
  betas: Tensor1D;
  /** [K] step sizes. */
  stepSizes: Tensor1D;
  /** MCD's backward correction r(z, k) (added to the backward drift). */
  correction?: BackwardCorrection;
  /** CMCD's control u(z, k) (added to the forward drift at k - 1, subtracted at k backward). */
  control?: BackwardCorrection;
}

/** The log-weights [N] of the drawn paths under `p` (on the tape where one records). */
export function replayLogWeights(paths: DrawnPaths, p: ReplayParams): Tensor1D {
  return tf.tidy(() => {
    const [steps1, n, d] = paths.frames.shape;
    const frame = (k: number) =>
      tf.reshape(tf.slice(paths.frames, [k, 0, 0], [1, n, d]), [n, d]) as Tensor2D;
    const scalarAt = (t: Tensor1D, k: number) => tf.reshape(tf.slice(t, [k], [1]), []) as Scalar;
    let previous = frame(0);
    let logW: Tensor1D = tf.sub(paths.logTargetLast, p.initial.logProb(previous));
    for (let k = 1; k < steps1; k++) {
      const current = frame(k);
      const beta = scalarAt(p.betas, k);
      const delta = scalarAt(p.stepSizes, k - 1);
      // grad log gamma_beta = beta grad log pi + (1 - beta) grad log q
      const drift = (z: Tensor2D, j: number) =>
        tf.add(
          tf.mul(beta, paths.scores[j] as Tensor2D),
          tf.mul(tf.sub(1, beta), p.initial.score(z)),
        );
      let forward = drift(previous, k - 1);
      if (p.control) forward = tf.add(forward, p.control(previous, null, k - 1));
      let backward = drift(current, k);
      if (p.control) backward = tf.sub(backward, p.control(current, null, k));
      if (p.correction) backward = tf.add(backward, p.correction(current, null, k));
      // log B - log F = (|z' - z - delta f|^2 - |z - z' - delta b|^2) / (4 delta)
      const forwardResidual = tf.sub(tf.sub(current, previous), tf.mul(delta, forward));
      const backwardResidual = tf.sub(tf.sub(previous, current), tf.mul(delta, backward));
      logW = tf.add(
        logW,
        tf.div(tf.sub(sumSquares(forwardResidual), sumSquares(backwardResidual)), tf.mul(4, delta)),
      ) as Tensor1D;
      previous = current;
    }
    return logW;
  });
}
