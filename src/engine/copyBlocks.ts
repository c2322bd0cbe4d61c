// Slice, split, concat and tile as strided block copies in the addon (FusedOp CopyBlock).
// tfjs-backend-wasm runs them as JavaScript loops of one small copy per row, and its Slice first
// copies the whole input out of the heap; its Tile (and so broadcastTo) computes an index per
// element. On the MCD score network's input ([1000, 10] particles, momenta and time features)
// these took 0.1-0.5 ms each, a quarter of a training iteration. Copies are exact, so results
// are bit for bit the original kernels'.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon, WasmBackend } from './native.js';
import { NATIVE_OP } from './nativeIds.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** `rows` runs of `cols` elements, the first at `offset`, each `stride` after the one before. */
export interface Block {
  rows: number;
  cols: number;
  stride: number;
  offset: number;
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * The elements of a row-major array of `shape` selected by `begin` and `size` (a slice) as one
 * block, or null where they are not one (two separated partial axes, as [:, 1:3, :, 2:4]).
 * Trailing whole axes join the columns; the leading axes must run over one contiguous range of
 * their flat index: whole axes, after at most one partial axis, after axes of size 1.
 */
export function sliceBlock(
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): Block | null {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i] as number;
  }
  const offset = begin.reduce((sum, b, i) => sum + b * (strides[i] as number), 0);
  let p = rank - 1;
  while (p >= 0 && size[p] === shape[p]) p--;
  if (p < 0) return { rows: 1, cols: product(size), stride: product(size), offset };
  let j = p - 1;
  while (j >= 0 && size[j] === shape[j]) j--;
  for (let i = 0; i < j; i++) if (size[i] !== 1) return null;
  const cols = (size[p] as number) * (strides[p] as number);
  const rows = product(size.slice(0, p));
  return { rows, cols, stride: p > 0 ? (strides[p - 1] as number) : cols, offset };
}

/** The wasm kernels of the copy ops; `fallback` gives the original kernel for other cases. */
export function copyKernels(
  addon: NativeAddon,
  fallback: (name: string) => KernelFunc,
): Record<string, KernelFunc> {
  const copy = (src: Float32Array, from: Block, dst: Float32Array, to: Block) => {
    if (from.rows * from.cols === 0) return;
    addon.fused(
      NATIVE_OP.CopyBlock,
      Int32Array.of(from.rows, from.cols, from.stride, from.offset, to.stride, to.offset),
      new Float64Array(0),
      [src, dst],
    );
  };
  const heap = (backend: WasmBackend, t: TensorInfo) => backend.typedArrayFromHeap(t);
  const whole = (rows: number, cols: number): Block => ({ rows, cols, stride: cols, offset: 0 });

  const slice = fallback('Slice');
  const splitV = fallback('SplitV');
  const concat = fallback('Concat');
  const tile = fallback('Tile');
  return {
    Slice: (args: KernelArgs) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype !== 'float32') return slice(args);
      const [begin, size] = tf.slice_util.parseSliceParams(
        x as tf.Tensor,
        args.attrs?.begin as number[],
        args.attrs?.size as number[],
      ) as [number[], number[]];
      const block = sliceBlock(x.shape, begin, size);
      if (!block) return slice(args);
      const backend = args.backend as unknown as WasmBackend;
      const out = backend.makeOutput(size, 'float32');
      copy(heap(backend, x), block, heap(backend, out), whole(block.rows, block.cols));
      return out;
    },
    SplitV: (args: KernelArgs) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype !== 'float32') return splitV(args);
      const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0] as number;
      const sizes = tf.backend_util.prepareSplitSize(
        x as tf.Tensor,
        args.attrs?.numOrSizeSplits as number[] | number,
        axis,
      );
      const backend = args.backend as unknown as WasmBackend;
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const size = [...x.shape];
        size[axis] = s;
        const block = sliceBlock(x.shape, begin, size) as Block; // one partial axis: a block
        const out = backend.makeOutput(size, 'float32');
        copy(heap(backend, x), block, heap(backend, out), whole(block.rows, block.cols));
        begin[axis] = (begin[axis] as number) + s;
        return out;
      });
    },
    Concat: (args: KernelArgs) => {
      const inputs = args.inputs as unknown as TensorInfo[];
      if (inputs.length === 0 || inputs.some((t) => t.dtype !== 'float32')) return concat(args);
      const shapes = inputs.map((t) => t.shape);
      const axis = tf.util.parseAxisParam(args.attrs?.axis as number, shapes[0] as number[])[0];
      tf.backend_util.assertParamsConsistent(shapes, axis as number);
      const outShape = tf.backend_util.computeOutShape(shapes, axis as number);
      const backend = args.backend as unknown as WasmBackend;
      const out = backend.makeOutput(outShape, 'float32');
      const begin = new Array<number>(outShape.length).fill(0);
      for (const t of inputs) {
        const to = sliceBlock(outShape, begin, t.shape) as Block; // one partial axis: a block
        copy(heap(backend, t), whole(to.rows, to.cols), heap(backend, out), to);
        begin[axis as number] = (begin[axis as number] as number) + (t.shape[axis as number] ?? 0);
      }
      return out;
    },
    // Repeats of the whole array along the first axis: one block read with stride 0.
    // (Repeats of a row or column are broadcasts, which nativeKernels.ts routes to Tile first.)
    Tile: (args: KernelArgs) => {
      const x = args.inputs.x as TensorInfo;
      const reps = args.attrs?.reps as number[];
      if (x.dtype !== 'float32' || reps.slice(1).some((r) => r !== 1)) return tile(args);
      const backend = args.backend as unknown as WasmBackend;
      const out = backend.makeOutput(
        x.shape.map((d, i) => d * (reps[i] as number)),
        'float32',
      );
      const n = product(x.shape);
      copy(
        heap(backend, x),
        { rows: reps[0] as number, cols: n, stride: 0, offset: 0 },
        heap(backend, out),
        whole(reps[0] as number, n),
      );
      return out;
    },
  };
}
