// Tracing a log density written in TF.js ops into density instructions (densityIr.ts). The
// function runs once, as usual, on real particles, while every kernel TF.js dispatches is watched:
// kernels whose inputs do not depend on the particles are constants (their values are read off),
// the others become nodes. Particles are rows and must stay rows: an op that mixes particles, a
// per-particle constant, an op without a rule here, or a read of particle-dependent values on the
// host (data-dependent branching) ends the trace with the reason, and the density keeps running
// op by op.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { DensityBuilder, type BinaryOp, type Ref, type UnaryOp } from './densityIr.js';

export type DensityTrace = { builder: DensityBuilder; output: Ref } | { refused: string };

class Refusal extends Error {}

const refuse = (why: string): never => {
  throw new Refusal(why);
};

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const BINARY: Record<string, BinaryOp> = {
  Add: 'Add',
  Sub: 'Sub',
  Multiply: 'Mul',
  RealDiv: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
};

const UNARY: Record<string, UnaryOp> = {
  Neg: 'Neg',
  Square: 'Square',
  Exp: 'Exp',
  Log: 'Log',
  Log1p: 'Log1p',
  Softplus: 'Softplus',
  Sigmoid: 'Sigmoid',
  Tanh: 'Tanh',
  Sqrt: 'Sqrt',
  Rsqrt: 'Rsqrt',
  Abs: 'Abs',
  Reciprocal: 'Recip',
  Relu: 'Relu',
  Sin: 'Sin',
  Cos: 'Cos',
  Erf: 'Erf',
};

const REDUCE = { Sum: 'RowSum', Max: 'RowMax', Min: 'RowMin', Mean: 'RowSum' } as const;

/** Kernels that only relabel a tensor's shape (or copy it). */
const RELABEL = new Set(['Identity', 'Reshape', 'ExpandDims', 'Squeeze']);

/** Values of `shape` repeated as numpy broadcasting repeats them up to `target`. */
function expand(
  values: Float32Array,
  shape: readonly number[],
  target: readonly number[],
): Float32Array {
  const full = [...Array(target.length - shape.length).fill(1), ...shape] as number[];
  const out = new Float32Array(size(target));
  const strides = full.map((_, i) => size(full.slice(i + 1)));
  for (let k = 0; k < out.length; k++) {
    let rest = k;
    let from = 0;
    for (let i = target.length - 1; i >= 0; i--) {
      const t = target[i] as number;
      const coord = rest % t;
      rest = (rest - coord) / t;
      if ((full[i] as number) !== 1) from += coord * (strides[i] as number);
    }
    out[k] = values[from] as number;
  }
  return out;
}

interface Row {
  ref: Ref;
  shape: number[];
}

class Tracer {
  readonly builder: DensityBuilder;
  private readonly rows = new Map<number, Row>();
  private readonly rowData = new Set<unknown>();
  refused: string | null = null;

  constructor(
    z: Tensor,
    private readonly n: number,
  ) {
    this.builder = new DensityBuilder(z.shape[1] as number);
    this.mark(z, { ref: 0, shape: [...z.shape] });
  }

  row(t: Tensor): Row | undefined {
    return this.rows.get(t.id);
  }

  isRowData(dataId: unknown): boolean {
    return this.rowData.has(dataId);
  }

  private mark(t: Tensor, row: Row): void {
    if (t.dtype !== 'float32') refuse(`a ${t.dtype} result of the particles`);
    if (t.shape[0] !== this.n) refuse('an op that moves the particle axis');
    this.rows.set(t.id, row);
    this.rowData.add(t.dataId);
  }

  /** One dispatched kernel, whose outputs TF.js has just computed. */
  record(
    kernel: string,
    inputs: NamedTensorMap,
    attrs: NamedAttrMap,
    result: Tensor | Tensor[],
  ): void {
    if (this.refused) return;
    const ins = Object.values(inputs) as Tensor[];
    if (!ins.some((t) => this.rows.has(t.id))) return;
    const outs = Array.isArray(result) ? result : [result];
    try {
      this.lower(kernel, inputs, attrs, outs);
    } catch (error) {
      // A trace never breaks the density it watches: whatever goes wrong is a reason to run it
      // op by op.
      this.refused =
        error instanceof Refusal ? error.message : `tracing ${kernel} failed (${String(error)})`;
    }
  }

  /** A binary op's operand at the output's shape: a register, or a constant repeated per row. */
  private operand(t: Tensor, out: readonly number[]): Ref {
    const row = this.row(t);
    const trailing = out.slice(1);
    if (row) {
      if (row.shape.length !== out.length) refuse('a broadcast across the particle axis');
      const mine = row.shape.slice(1);
      if (mine.every((s, i) => s === trailing[i])) return row.ref;
      if (size(mine) === 1) return row.ref;
      return refuse('a partial broadcast of particle-dependent values');
    }
    if (t.rank === out.length && t.shape[0] !== 1) refuse('a constant with one row per particle');
    const shape = t.rank === out.length ? t.shape.slice(1) : t.shape;
    const values = Float32Array.from(t.dataSync() as ArrayLike<number>);
    if (values.length === 1) return this.builder.scalar(values[0] as number);
    return this.builder.constant(expand(values, shape, trailing));
  }

  private register(t: Tensor): Row {
    return this.row(t) ?? refuse('an op with the particles in an unsupported position');
  }

  private lower(kernel: string, inputs: NamedTensorMap, attrs: NamedAttrMap, outs: Tensor[]): void {
    const b = this.builder;
    const out = outs[0] as Tensor;
    const set = (ref: Ref, t: Tensor = out) => this.mark(t, { ref, shape: [...t.shape] });
    const width = size(out.shape.slice(1));
    const binary = BINARY[kernel];
    if (binary) {
      const ref = b.binary(
        binary,
        this.operand(inputs.a as Tensor, out.shape),
        this.operand(inputs.b as Tensor, out.shape),
      );
      if (b.width(ref) !== width) refuse('a broadcast the program cannot express');
      return set(ref);
    }
    if (kernel === 'SquaredDifference') {
      const diff = b.binary(
        'Sub',
        this.operand(inputs.a as Tensor, out.shape),
        this.operand(inputs.b as Tensor, out.shape),
      );
      return set(b.unary('Square', b.full(diff, width)));
    }
    if (kernel === 'AddN') {
      const refs = (Object.values(inputs) as Tensor[]).map((t) => this.operand(t, out.shape));
      return set(
        b.full(
          refs.slice(1).reduce((acc, r) => b.binary('Add', acc, r), refs[0] as Ref),
          width,
        ),
      );
    }
    const unary = UNARY[kernel];
    if (unary) return set(b.unary(unary, this.register(inputs.x as Tensor).ref));
    if (kernel === 'ClipByValue') {
      const x = this.register(inputs.x as Tensor).ref;
      const low = b.scalar(attrs.clipValueMin as number);
      const high = b.scalar(attrs.clipValueMax as number);
      // min then max: the gradient passes where low <= x <= high, as TF.js's does.
      return set(b.binary('Max', b.binary('Min', x, high), low));
    }
    if (kernel === 'GatherV2') {
      const x = this.register(inputs.x as Tensor);
      const indices = inputs.indices as Tensor;
      const axis =
        (attrs.axis as number) < 0
          ? (attrs.axis as number) + x.shape.length
          : (attrs.axis as number);
      if (this.row(indices)) refuse('a gather at particle-dependent indices');
      if (x.shape.length !== 2 || axis !== 1 || indices.rank !== 1 || attrs.batchDims)
        refuse('a gather other than of columns by a list of indices');
      const index = Float32Array.from(indices.dataSync() as ArrayLike<number>);
      return set(b.gather(x.ref, b.constant(index)));
    }
    if (kernel === 'Pow') {
      const e = inputs.b as Tensor;
      if (this.row(e) || e.size !== 1) refuse('a power with a particle-dependent exponent');
      const p = (e.dataSync() as Float32Array)[0];
      // The base at the output's shape (operand() refuses a broadcast across particles).
      const x = b.full(this.operand(inputs.a as Tensor, out.shape), width);
      if (p === 1) return set(x);
      if (p === 2) return set(b.unary('Square', x));
      if (p === 3) return set(b.binary('Mul', b.unary('Square', x), x));
      if (p === 0.5) return set(b.unary('Sqrt', x));
      if (p === -1) return set(b.unary('Recip', x));
      if (p === -0.5) return set(b.unary('Rsqrt', x));
      return refuse(`a power of ${p}`);
    }
    if (RELABEL.has(kernel) || (kernel === 'Cast' && attrs.dtype === 'float32')) {
      return set(this.register(Object.values(inputs)[0] as Tensor).ref);
    }
    if (kernel in REDUCE) {
      const x = this.register(inputs.x as Tensor);
      const rank = x.shape.length;
      const raw = (kernel === 'Max' ? attrs.reductionIndices : attrs.axis) as
        number | number[] | null | undefined;
      const axes = (raw == null ? [...Array(rank).keys()] : Array.isArray(raw) ? raw : [raw]).map(
        (a) => (a < 0 ? a + rank : a),
      );
      if (axes.length === 0) return set(x.ref);
      if (axes.includes(0)) refuse('a reduction across particles');
      const all = new Set(axes);
      if (all.size !== rank - 1) refuse('a reduction over some of the non-particle axes');
      const op = REDUCE[kernel as keyof typeof REDUCE];
      let ref = b.reduce(op, x.ref);
      if (kernel === 'Mean') ref = b.binary('Mul', ref, b.scalar(1 / size(x.shape.slice(1))));
      return set(ref);
    }
    if (kernel === 'BatchMatMul') {
      const a = this.row(inputs.a as Tensor);
      const m = inputs.b as Tensor;
      if (!a || this.row(m)) return refuse('a matrix product with the particles on the right');
      if (a.shape.length !== 2 || m.rank !== 2 || attrs.transposeA)
        refuse('a batched or transposed matrix product of the particles');
      const tb = Boolean(attrs.transposeB);
      const k = a.shape[1] as number;
      const cols = m.shape[tb ? 0 : 1] as number;
      const matrix = b.constant(Float32Array.from(m.dataSync() as ArrayLike<number>));
      return set(b.matMul(a.ref, matrix, k, cols, tb));
    }
    if (kernel === 'Slice') {
      const x = this.register(inputs.x as Tensor);
      const [begin, sz] = tf.slice_util.parseSliceParams(
        inputs.x as Tensor,
        attrs.begin as number[],
        attrs.size as number[],
      ) as [number[], number[]];
      if (begin[0] !== 0 || sz[0] !== this.n) refuse('a slice of some of the particles');
      if (x.shape.length === 1) return set(x.ref);
      if (x.shape.length !== 2) refuse('a slice of particle values with more than two axes');
      return set(b.slice(x.ref, begin[1] as number, sz[1] as number));
    }
    if (kernel === 'Concat' || kernel === 'Pack') {
      const parts = (Object.values(inputs) as Tensor[]).map((t) => this.register(t));
      const rank = out.rank;
      const axis =
        (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number);
      if (rank !== 2 || axis !== 1)
        refuse(`a ${kernel === 'Pack' ? 'stack' : 'concatenation'} other than along columns`);
      let acc: Ref | null = null;
      let at = 0;
      for (const part of parts) {
        const w = size(part.shape.slice(1));
        const placed = b.pad(part.ref, at, width);
        acc = acc === null ? placed : b.binary('Add', acc, placed);
        at += w;
      }
      return set(acc as Ref);
    }
    if (kernel === 'SplitV') {
      const x = this.register(inputs.x as Tensor);
      const axis = attrs.axis as number;
      if (x.shape.length !== 2 || (axis !== 1 && axis !== -1))
        refuse('a split other than into columns');
      let at = 0;
      for (const t of outs) {
        const w = t.shape[1] as number;
        set(b.slice(x.ref, at, w), t);
        at += w;
      }
      return;
    }
    if (kernel === 'Unpack') {
      const x = this.register(inputs.value as Tensor);
      const axis = attrs.axis as number;
      if (x.shape.length !== 2 || (axis !== 1 && axis !== -1))
        refuse('an unstack other than of columns');
      outs.forEach((t, j) => set(b.slice(x.ref, j, 1), t));
      return;
    }
    refuse(`the op ${kernel}`);
  }
}

type EngineHooks = {
  runKernel: (k: string, i: NamedTensorMap, a?: NamedAttrMap) => Tensor | Tensor[];
  readSync: (dataId: unknown) => unknown;
  read: (dataId: unknown) => Promise<unknown>;
};

/**
 * Runs fn(z) under TF.js while tracing it (z: [N, d] float32 particles, N >= 2). Returns the
 * builder with the density's nodes and its output, or why it cannot be compiled.
 */
export function traceDensity(fn: (z: Tensor) => Tensor, z: Tensor): DensityTrace {
  const n = z.shape[0] as number;
  const tracer = new Tracer(z, n);
  const engine = tf.engine() as unknown as EngineHooks;
  const own = Object.getOwnPropertyDescriptors(engine);
  const { runKernel, readSync, read } = engine;
  let depth = 0;
  engine.runKernel = function (this: unknown, kernel, inputs, attrs = {}) {
    depth++;
    try {
      const result = runKernel.call(engine, kernel, inputs, attrs);
      if (depth === 1) tracer.record(kernel, inputs, attrs, result);
      return result;
    } finally {
      depth--;
    }
  };
  const watch = (dataId: unknown) => {
    if (tracer.isRowData(dataId) && !tracer.refused)
      tracer.refused = 'it reads particle-dependent values on the host';
  };
  engine.readSync = (dataId) => (watch(dataId), readSync.call(engine, dataId));
  engine.read = (dataId) => (watch(dataId), read.call(engine, dataId));
  try {
    let trace: DensityTrace = { refused: 'it did not run' };
    tf.tidy(() => {
      const value = fn(z);
      const row = tracer.row(value);
      if (tracer.refused) trace = { refused: tracer.refused };
      else if (!row) trace = { refused: 'its value does not depend on the particles' };
      else if (value.rank !== 1) trace = { refused: 'its value is not one number per particle' };
      else trace = { builder: tracer.builder, output: row.ref };
    });
    return trace;
  } catch (error) {
    if (error instanceof Refusal) return { refused: error.message };
    throw error;
  } finally {
    // Back to the engine's own methods (deleting the instance's shadows, or restoring them).
    for (const key of ['runKernel', 'readSync', 'read'] as const) {
      if (own[key]) Object.defineProperty(engine, key, own[key]);
      else delete (engine as Partial<EngineHooks>)[key];
    }
  }
}
