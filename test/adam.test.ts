// The fused native Adam step against TF.js's AdamOptimizer: the same parameters, moments, beta
// powers, iteration count and slot names after several clipped steps, and optimizer state that
// moves between the two paths. Skipped, with the reason, where the native addon is not built.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  tf,
  Rng,
  initEngine,
  liveTensorCount,
  nativeStatus,
  useNativeKernels,
  type Tensor,
  type Variable,
} from '../src/engine/index.js';
import { loadNative } from '../src/engine/native.js';
import { applyAdam } from '../src/train/adam.js';

const skip = loadNative() ? false : `native addon not available: ${nativeStatus()}`;

interface Run {
  values: number[][];
  weights: { name: string; values: number[] }[];
  iterations: number;
}

/** Three variables trained for `steps` steps on a quadratic loss, gradients scaled by 0.7. */
async function train(steps: number, native: boolean, prefix: string): Promise<Run> {
  await useNativeKernels(native);
  const rng = Rng.fromSeed(4);
  const starts = [rng.normal([5, 3]), rng.normal([7]), rng.normal([])];
  const vars = starts.map((t, i) => tf.variable(t, true, `${prefix}${'abc'[i]}`));
  tf.dispose(starts);
  const targets = vars.map((v) => rng.normal(v.shape));
  const optimizer = tf.train.adam(0.05);
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(
      () =>
        tf.addN(
          vars.map((v, i) => tf.sum(tf.square(tf.sub(v, targets[i] as Tensor)))),
        ) as tf.Scalar,
      vars,
    );
    applyAdam(
      optimizer,
      Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
      0.7,
    );
    tf.dispose([value, ...Object.values(grads)]);
  }
  const saved = await optimizer.getWeights();
  const weights = saved.map((w) => ({
    name: w.name.replace(prefix, ''),
    values: Array.from(w.tensor.dataSync()),
  }));
  (saved[0] as { tensor: Tensor }).tensor.dispose(); // the iteration count
  const run = {
    values: vars.map((v) => Array.from(v.dataSync())),
    weights,
    iterations: (optimizer as unknown as { iterations: number }).iterations,
  };
  optimizer.dispose();
  tf.dispose([...vars, ...targets]);
  await useNativeKernels(true);
  return run;
}

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1e-6 + Math.abs(b[i] as number));
    assert.ok(e <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

describe('fused Adam', { skip }, () => {
  before(async () => {
    await initEngine({ backend: 'wasm', native: true });
  });
  after(async () => {
    await useNativeKernels(true);
  });

  it("matches TF.js's AdamOptimizer step for step (parameters, moments, iterations)", async () => {
    const fused = await train(12, true, 'adam_f_');
    const reference = await train(12, false, 'adam_r_');
    assert.equal(fused.iterations, reference.iterations);
    assert.deepEqual(
      fused.weights.map((w) => w.name),
      reference.weights.map((w) => w.name),
    );
    fused.values.forEach((v, i) => close(v, reference.values[i] as number[], 1e-5, `value ${i}`));
    fused.weights.forEach((w, i) =>
      close(w.values, (reference.weights[i] as { values: number[] }).values, 1e-5, w.name),
    );
  });

  it('state saved on one path continues on the other', async () => {
    const rng = Rng.fromSeed(9);
    const init = rng.normal([4]);
    const v = tf.variable(init, true, 'adam_x') as Variable;
    init.dispose();
    const target = rng.normal([4]);
    const step = (optimizer: tf.AdamOptimizer) => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar,
        [v],
      );
      applyAdam(optimizer, [{ name: 'adam_x', tensor: grads.adam_x as Tensor }]);
      tf.dispose([value, grads.adam_x as Tensor]);
    };
    const start = Array.from(v.dataSync());
    // Straight: 6 native steps.
    const straight = tf.train.adam(0.1);
    for (let s = 0; s < 6; s++) step(straight);
    const expected = Array.from(v.dataSync());
    straight.dispose();
    // 3 native steps, state moved into a new optimizer, 3 steps on TF.js's path.
    v.assign(tf.tensor1d(start));
    const first = tf.train.adam(0.1);
    for (let s = 0; s < 3; s++) step(first);
    const saved = await first.getWeights();
    const second = tf.train.adam(0.1);
    await second.setWeights(saved);
    (saved[0] as { tensor: Tensor }).tensor.dispose(); // the iteration count TF.js wrote
    first.dispose();
    await useNativeKernels(false);
    for (let s = 0; s < 3; s++) step(second);
    await useNativeKernels(true);
    close(Array.from(v.dataSync()), expected, 1e-5, 'resumed value');
    second.dispose();
    tf.dispose([v, target]);
  });

  it('frees every tensor it creates', async () => {
    const before = liveTensorCount();
    await train(3, true, 'adam_m_');
    assert.equal(liveTensorCount(), before);
  });
});
