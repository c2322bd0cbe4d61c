// Gradient registrations that fix TF.js 4.22 in Node (docs/engine.md):
//  - BatchMatMul: the built-in gradient uses matMul's transpose flags, ~10x slower on wasm; the
//    replacement transposes explicitly and multiplies without flags.
//  - Comparison and logical ops (and isNaN/isInf/isFinite) have no gradient at all; they get zero
//    gradients so that masks built from them can sit inside differentiated code (tf.where's own
//    gradient builds such a mask, so its second-order gradient needs them).
//  - GatherV2's gradient needs UnsortedSegmentSum, which wasm lacks; on wasm it becomes a
//    scatter-add (ScatterNd), with gradients registered for ScatterNd and GatherNd so that it
//    stays differentiable.
//  - Kernels whose gradient reads their own saved OUTPUT (Tanh, Sigmoid, Exp, Softmax, LogSoftmax,
//    Pow) give wrong second-order gradients: the engine records the saved copy on the tape before
//    the kernel's own node, so the copy looks unconnected to the inputs and the path through it is
//    dropped (e.g. d/db of a loss holding grad_z sum(tanh(zW + b)) comes out null). Their
//    replacements save the input and recompute the output inside the gradient.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

let originalMatMulGrad: GradConfig | undefined;
let originalGatherGrad: GradConfig | undefined;
let applied = false;
let matMulFixOn = false;

/** Swaps the last two axes explicitly (a Transpose kernel, not a matMul flag). */
function swapLastTwo(x: Tensor): Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(x, perm);
}

const mm = (a: Tensor, b: Tensor) => tf.matMul(a, b);

const fixedMatMulGrad: GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const [a, b] = saved as [Tensor, Tensor];
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    const T = swapLastTwo;
    if (!transposeA && !transposeB) {
      return { a: () => mm(g, T(b)), b: () => mm(T(a), g) };
    } else if (!transposeA && transposeB) {
      return { a: () => mm(g, b), b: () => mm(T(g), a) };
    } else if (transposeA && !transposeB) {
      return { a: () => mm(b, T(g)), b: () => mm(a, g) };
    }
    return { a: () => mm(T(b), T(g)), b: () => mm(T(g), T(a)) };
  },
};

function scatterGatherGrad(x: Tensor, indices: Tensor, dy: Tensor, axis: number): Tensor {
  // dy has shape x.shape[:axis] + indices.shape + x.shape[axis+1:]; move the index axes to the
  // front, flatten them, and scatter-add rows into x's shape (ScatterNd sums repeated indices).
  // O(m * rest), where the earlier one-hot matMul was O(n * m * rest).
  const n = x.shape[axis] as number;
  const outer = x.shape.slice(0, axis);
  const inner = x.shape.slice(axis + 1);
  const m = indices.size;
  const g = dy.reshape([...outer, m, ...inner]);
  const front =
    axis === 0
      ? g
      : tf.transpose(g, [axis, ...[...Array(g.rank).keys()].filter((i) => i !== axis)]);
  const rest = [...outer, ...inner];
  const summed = tf.scatterND(indices.reshape([m, 1]).toInt(), front.reshape([m, ...rest]), [
    n,
    ...rest,
  ]);
  if (axis === 0) return summed;
  const permOut = [...Array(x.rank).keys()].map((i) => (i < axis ? i + 1 : i === axis ? 0 : i));
  return tf.transpose(summed, permOut);
}

// ScatterNd and GatherNd are each other's gradient; TF.js registers neither, and the gather
// gradient above must itself be differentiable (second-order training through resampling).
const scatterNdGrad: GradConfig = {
  kernelName: 'ScatterNd',
  inputsToSave: ['indices'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [indices] = saved as [Tensor];
    return {
      indices: () => tf.zerosLike(indices).toFloat(),
      updates: () => tf.gatherND(dy as Tensor, indices),
    };
  },
};

const gatherNdGrad: GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [params, indices] = saved as [Tensor, Tensor];
    return {
      params: () => tf.scatterND(indices, dy as Tensor, params.shape),
      indices: () => tf.zerosLike(indices).toFloat(),
    };
  },
};

const fixedGatherGrad: GradConfig = {
  kernelName: 'GatherV2',
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, indices] = saved as [Tensor, Tensor];
    const batchDims = Number(attrs.batchDims ?? 0);
    if (tf.getBackend() !== 'wasm' || batchDims !== 0) {
      if (!originalGatherGrad) throw new Error('GatherV2 gradient is not registered');
      return originalGatherGrad.gradFunc(dy, saved, attrs);
    }
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    return {
      x: () => scatterGatherGrad(x, indices, dy as Tensor, axis),
      indices: () => tf.zerosLike(indices).toFloat(),
    };
  },
};

const unary = (kernelName: string, grad: (x: Tensor, dy: Tensor) => Tensor): GradConfig => ({
  kernelName,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    return { x: () => grad(x, dy as Tensor) };
  },
});

const OUTPUT_RECOMPUTING_GRADS: GradConfig[] = [
  unary('Tanh', (x, dy) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x))))),
  unary('Sigmoid', (x, dy) => {
    const y = tf.sigmoid(x);
    return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
  }),
  unary('Exp', (x, dy) => tf.mul(dy, tf.exp(x))),
  {
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => {
      const [logits] = saved as [Tensor];
      const dim = attrs.dim as number;
      return {
        logits: () => {
          const y = tf.softmax(logits, dim);
          const g = tf.mul(dy as Tensor, y);
          return tf.sub(g, tf.mul(tf.sum(g, [dim], true), y));
        },
      };
    },
  },
  {
    kernelName: 'LogSoftmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => {
      const [logits] = saved as [Tensor];
      const axis = attrs.axis as number;
      return {
        logits: () =>
          tf.sub(dy as Tensor, tf.mul(tf.sum(dy as Tensor, axis, true), tf.softmax(logits, axis))),
      };
    },
  },
  {
    kernelName: 'Pow',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const reduceTo = (t: Tensor, shape: number[]) => {
        const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
        return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
      };
      return {
        a: () => {
          const bf = tf.cast(b, 'float32');
          return reduceTo(tf.mul(g, tf.mul(bf, tf.pow(a, tf.sub(bf, 1)))), a.shape);
        },
        b: () => {
          const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
          return reduceTo(tf.mul(g, tf.mul(tf.pow(a, b), logA)), b.shape);
        },
      };
    },
  },
];

const COMPARISON_KERNELS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'];

function registerOver(config: GradConfig): void {
  if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
  tf.registerGradient(config);
}

/** Installs all fixes once (idempotent). */
export function applyGradientFixes(): void {
  if (applied) return;
  applied = true;
  originalMatMulGrad = tf.getGradient('BatchMatMul');
  originalGatherGrad = tf.getGradient('GatherV2');
  setMatMulGradientFix(true);
  registerOver(fixedGatherGrad);
  registerOver(scatterNdGrad);
  registerOver(gatherNdGrad);
  for (const config of OUTPUT_RECOMPUTING_GRADS) registerOver(config);
  for (const kernelName of COMPARISON_KERNELS) {
    registerOver({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as [Tensor, Tensor];
        return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
      },
    });
  }
  // Boolean-valued ops have no gradient in TF.js, yet the second-order gradients of tf.where,
  // clipByValue and masks users write (isNaN, logicalAnd) pass through them: zeros, as for
  // comparisons.
  for (const kernelName of ['LogicalAnd', 'LogicalOr']) {
    registerOver({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as [Tensor, Tensor];
        return { a: () => tf.zerosLike(a).toFloat(), b: () => tf.zerosLike(b).toFloat() };
      },
    });
  }
  for (const kernelName of ['LogicalNot', 'IsNan', 'IsInf', 'IsFinite']) {
    registerOver({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy, saved) => {
        const [x] = saved as [Tensor];
        return { x: () => tf.zerosLike(x).toFloat() };
      },
    });
  }
  // Index-valued ops have no gradient; TF.js has none registered, and a tape that reaches one
  // (resampling indices computed from weights) would fail even where the indices are constants.
  registerOver({
    kernelName: 'SearchSorted',
    inputsToSave: ['sortedSequence', 'values'],
    gradFunc: (_dy, saved) => {
      const [s, v] = saved as [Tensor, Tensor];
      return { sortedSequence: () => tf.zerosLike(s), values: () => tf.zerosLike(v) };
    },
  });
}

/** Turns the explicit-transpose matMul gradient on or off (off = TF.js's own, for benchmarks). */
export function setMatMulGradientFix(on: boolean): void {
  if (!applied) applyGradientFixes();
  if (on === matMulFixOn && tf.getGradient('BatchMatMul')) return;
  if (on) registerOver(fixedMatMulGrad);
  else if (originalMatMulGrad) registerOver(originalMatMulGrad);
  matMulFixOn = on;
}

export function matMulGradientFixEnabled(): boolean {
  return matMulFixOn;
}
