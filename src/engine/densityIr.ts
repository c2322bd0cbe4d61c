// The instructions of a compiled log density (native/src/density_program.cc runs them): each node
// is one row-wise operation on a tile of particles, its operands earlier nodes (registers, one row
// of `width` numbers per particle) or constants (one value, or one row shared by every particle).

/** Instruction codes, as native/src/density_program.cc numbers them (enum Op). */
export const DENSITY_OPS = {
  Add: 0,
  Sub: 1,
  Mul: 2,
  Div: 3,
  Max: 4,
  Min: 5,
  Ge: 6,
  Gt: 7,
  Le: 8,
  Lt: 9,
  Eq: 10,
  Neg: 20,
  Square: 21,
  Exp: 22,
  Log: 23,
  Log1p: 24,
  Softplus: 25,
  Sigmoid: 26,
  Tanh: 27,
  Sqrt: 28,
  Rsqrt: 29,
  Abs: 30,
  Recip: 31,
  Relu: 32,
  Sign: 33,
  Sin: 34,
  Cos: 35,
  Erf: 36,
  RowSum: 40,
  RowMax: 41,
  RowMin: 42,
  Slice: 50,
  Pad: 51,
  Repeat: 52,
  Gather: 53,
  ScatterAdd: 54,
  MatMul: 60,
} as const;

export type DensityOp = keyof typeof DENSITY_OPS;
export type BinaryOp =
  'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min' | 'Ge' | 'Gt' | 'Le' | 'Lt' | 'Eq';
export type UnaryOp =
  | 'Neg'
  | 'Square'
  | 'Exp'
  | 'Log'
  | 'Log1p'
  | 'Softplus'
  | 'Sigmoid'
  | 'Tanh'
  | 'Sqrt'
  | 'Rsqrt'
  | 'Abs'
  | 'Recip'
  | 'Relu'
  | 'Sign'
  | 'Sin'
  | 'Cos'
  | 'Erf';

/** A node's index (>= 0) or a constant's (-1 - its index). */
export type Ref = number;

export interface DensityNode {
  /** null for the particles themselves (node 0), loaded by the program rather than computed. */
  op: DensityOp | null;
  a: Ref;
  b: Ref;
  /** Integer parameters (a slice's first column; a product's widths and layout). */
  p: [number, number, number];
  width: number;
}

export const isConstant = (r: Ref): boolean => r < 0;

/** Nodes and constants of one program, with the checks every emitter shares. */
export class DensityBuilder {
  readonly nodes: DensityNode[] = [];
  readonly constants: Float32Array[] = [];
  private readonly scalars = new Map<number, Ref>();

  constructor(dim: number) {
    this.nodes.push({ op: null, a: 0, b: 0, p: [0, 0, 0], width: dim });
  }

  width(r: Ref): number {
    return r >= 0
      ? (this.nodes[r] as DensityNode).width
      : (this.constants[-1 - r] as Float32Array).length;
  }

  constant(values: Float32Array): Ref {
    if (values.length === 1) return this.scalar(values[0] as number);
    this.constants.push(values);
    return -this.constants.length;
  }

  scalar(v: number): Ref {
    const key = Math.fround(v);
    const known = this.scalars.get(key);
    if (known !== undefined) return known;
    this.constants.push(Float32Array.of(key));
    const ref = -this.constants.length;
    this.scalars.set(key, ref);
    return ref;
  }

  private push(
    op: DensityOp,
    a: Ref,
    b: Ref,
    width: number,
    p: [number, number, number] = [0, 0, 0],
  ): Ref {
    this.nodes.push({ op, a, b, p, width });
    return this.nodes.length - 1;
  }

  /** a (op) b, each operand of the result's width or of width 1 (repeated along the row). */
  binary(op: BinaryOp, a: Ref, b: Ref): Ref {
    const wa = this.width(a);
    const wb = this.width(b);
    if (wa !== wb && wa !== 1 && wb !== 1)
      throw new Error(`density program: widths ${wa} and ${wb}`);
    return this.push(op, a, b, Math.max(wa, wb));
  }

  unary(op: UnaryOp, a: Ref): Ref {
    return this.push(op, this.register(a), 0, this.width(a));
  }

  /** The reduction of each row of a to one number. */
  reduce(op: 'RowSum' | 'RowMax' | 'RowMin', a: Ref): Ref {
    return this.push(op, this.register(a), 0, 1);
  }

  slice(a: Ref, first: number, width: number): Ref {
    return this.push('Slice', this.register(a), 0, width, [first, 0, 0]);
  }

  /** a placed at column `first` of a row of `width` zeros. */
  pad(a: Ref, first: number, width: number): Ref {
    return this.push('Pad', this.register(a), 0, width, [first, 0, 0]);
  }

  /** Columns of a by the constant column indices `index` (one per output column). */
  gather(a: Ref, index: Ref): Ref {
    return this.push('Gather', this.register(a), index, this.width(index));
  }

  /** a's columns added into zeros of `width` at the constant column indices `index`. */
  scatterAdd(a: Ref, index: Ref, width: number): Ref {
    return this.push('ScatterAdd', this.register(a), index, width);
  }

  /** a [t, m] times the constant matrix `matrix`, stored [m, n] or (transposed) [n, m]. */
  matMul(a: Ref, matrix: Ref, m: number, n: number, transposed: boolean): Ref {
    return this.push('MatMul', this.register(a), matrix, n, [m, n, transposed ? 1 : 0]);
  }

  /** A register holding r at `width` (r itself where it is one already). */
  full(r: Ref, width: number): Ref {
    if (r >= 0 && this.width(r) === width) return r;
    if (r >= 0 && this.width(r) === 1) return this.push('Repeat', r, 0, width);
    return this.push('Add', r, this.scalar(0), width);
  }

  private register(r: Ref): Ref {
    return r >= 0 ? r : this.full(r, this.width(r));
  }
}
