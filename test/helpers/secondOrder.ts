// The gradient of a target's score, checked against float64 finite differences on the host:
// samplers differentiate through the score (training backpropagates through every ULA/UHA move),
// so the second-order gradient must be right, not merely finite.
import assert from 'node:assert/strict';
import { tf, type Tensor, type Tensor2D } from '../../src/engine/index.js';
import type { Target } from '../../src/targets/target.js';

/**
 * Checks autodiff of sum_i |score(z_i)|^2 with respect to z (which runs through the target's
 * score, closed form or not) against central differences in float64 of the host score
 * `hostScore` (itself exact, or float64 finite differences of the host log density). Tolerance:
 * relative to the larger magnitude, over a floor for float32 rounding in the autodiff pass.
 */
export function assertScoreGradient(
  target: Target,
  z: Tensor2D,
  hostScore: (p: number[]) => number[],
  label: string,
  options: { h?: number; rtol?: number } = {},
): void {
  const h = options.h ?? 1e-4;
  const rtol = options.rtol ?? 1e-2;
  const auto = tf.tidy(() =>
    tf
      .grad((x: Tensor) => tf.sum(tf.square(target.score!(x as Tensor2D))))(z)
      .arraySync(),
  ) as number[][];
  const points = z.arraySync() as number[][];
  const squares = (p: number[]) => hostScore(p).reduce((a, g) => a + g * g, 0);
  points.forEach((p, i) => {
    const scale = Math.sqrt(squares(p));
    p.forEach((_, j) => {
      const up = [...p];
      const down = [...p];
      up[j]! += h;
      down[j]! -= h;
      const fd = (squares(up) - squares(down)) / (2 * h);
      const ad = auto[i]![j]!;
      assert.ok(
        Math.abs(fd - ad) <= rtol * Math.max(Math.abs(fd), Math.abs(ad)) + 1e-4 * (1 + scale),
        `${label}: d|score|^2/dz[${i}, ${j}] autodiff ${ad} vs float64 finite difference ${fd}`,
      );
    });
  });
}
