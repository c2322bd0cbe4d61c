// A log density compiled to one native pass: traced (densityTrace.ts), differentiated here by
// reverse mode over its nodes, its registers laid out, and run by the addon over tiles of
// particles (native/src/density_program.cc) that keep every intermediate in cache. A compiled
// density gives the value and the gradient (score) that TF.js's autodiff of the same ops gives, to
// float32 rounding: the program is checked against TF.js on the particles it was traced with, and
// a density that does not match, or cannot be traced, keeps running op by op.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { DENSITY_OPS, DensityBuilder, type DensityNode, type Ref } from './densityIr.js';
import { traceDensity } from './densityTrace.js';
import { fusedUnavailableReason, runFusedOp } from './fused.js';
import { NATIVE_OP } from './nativeIds.js';
import { nodeProcess } from './native.js';

export interface DensityProgram {
  readonly dim: number;
  /** The header and instructions, with the particle count (ints[0]) set per call. */
  readonly ints: Int32Array;
  readonly constants: Float32Array[];
  /** Instructions in the program (forward and backward), for reports. */
  readonly instructions: number;
}

/**
 * A compiled density with its value and score at the particles it was traced on (so that every
 * evaluation of a compiled density comes from the program, the first included), or why there is
 * none.
 */
export type DensityCompilation =
  { program: DensityProgram; logProb: Tensor1D; score: Tensor2D } | { refused: string };

const INSTR = 8;

/** Adds the backward pass: returns the register holding d value / d z. */
function differentiate(b: DensityBuilder, output: Ref): Ref {
  const forward = b.nodes.length;
  const adjoints = new Map<Ref, Ref[]>();
  const add = (r: Ref, g: Ref) => {
    if (r < 0) return;
    const list = adjoints.get(r) ?? [];
    list.push(g);
    adjoints.set(r, list);
  };
  // A contribution of the output's width reduced to an operand of width 1 (a repeated value).
  const toWidth = (g: Ref, operand: Ref) =>
    operand >= 0 && b.width(operand) === 1 && b.width(g) !== 1 ? b.reduce('RowSum', g) : g;
  const total = (r: Ref): Ref | null => {
    const list = adjoints.get(r);
    if (!list) return null;
    const w = b.width(r);
    return b.full(
      list.slice(1).reduce((acc, g) => b.binary('Add', acc, g), list[0] as Ref),
      w,
    );
  };
  add(output, b.scalar(1));
  for (let i = forward - 1; i >= 1; i--) {
    const g = total(i);
    if (g === null) continue;
    const node = b.nodes[i] as DensityNode;
    const { a, b: c } = node;
    const one = b.scalar(1);
    switch (node.op) {
      case 'Add':
        add(a, toWidth(g, a));
        add(c, toWidth(g, c));
        break;
      case 'Sub':
        add(a, toWidth(g, a));
        if (c >= 0) add(c, toWidth(b.unary('Neg', g), c));
        break;
      case 'Mul':
        if (a >= 0) add(a, toWidth(b.binary('Mul', g, c), a));
        if (c >= 0) add(c, toWidth(b.binary('Mul', g, a), c));
        break;
      case 'Div':
        if (a >= 0) add(a, toWidth(b.binary('Div', g, c), a));
        if (c >= 0) {
          const q = b.binary('Mul', g, b.full(b.binary('Div', i, c), node.width));
          add(c, toWidth(b.unary('Neg', q), c));
        }
        break;
      case 'Max':
      case 'Min': {
        // As TF.js: ties go to a.
        const first = b.binary(node.op === 'Max' ? 'Ge' : 'Le', a, c);
        const second = b.binary(node.op === 'Max' ? 'Lt' : 'Gt', a, c);
        if (a >= 0) add(a, toWidth(b.binary('Mul', g, first), a));
        if (c >= 0) add(c, toWidth(b.binary('Mul', g, second), c));
        break;
      }
      case 'Neg':
        add(a, b.unary('Neg', g));
        break;
      case 'Square':
        add(a, b.binary('Mul', g, b.binary('Add', a, a)));
        break;
      case 'Exp':
        add(a, b.binary('Mul', g, i));
        break;
      case 'Log':
        add(a, b.binary('Div', g, a));
        break;
      case 'Log1p':
        add(a, b.binary('Div', g, b.full(b.binary('Add', a, one), node.width)));
        break;
      case 'Softplus':
        add(a, b.binary('Mul', g, b.unary('Sigmoid', a)));
        break;
      case 'Sigmoid':
        add(a, b.binary('Mul', g, b.binary('Mul', i, b.full(b.binary('Sub', one, i), node.width))));
        break;
      case 'Tanh': {
        const s = b.full(b.binary('Sub', one, b.unary('Square', i)), node.width);
        add(a, b.binary('Mul', g, s));
        break;
      }
      case 'Sqrt':
        add(a, b.binary('Div', g, b.binary('Add', i, i)));
        break;
      case 'Rsqrt': {
        const cube = b.binary('Mul', b.unary('Square', i), i);
        add(a, b.binary('Mul', g, b.binary('Mul', cube, b.scalar(-0.5))));
        break;
      }
      case 'Recip':
        add(a, b.unary('Neg', b.binary('Mul', g, b.unary('Square', i))));
        break;
      case 'Abs':
        add(a, b.binary('Mul', g, b.unary('Sign', a)));
        break;
      case 'Sin':
        add(a, b.binary('Mul', g, b.unary('Cos', a)));
        break;
      case 'Cos':
        add(a, b.unary('Neg', b.binary('Mul', g, b.unary('Sin', a))));
        break;
      case 'Erf': {
        // d erf(x) = 2 / sqrt(pi) exp(-x^2)
        const bell = b.unary('Exp', b.unary('Neg', b.unary('Square', a)));
        add(a, b.binary('Mul', g, b.binary('Mul', bell, b.scalar(2 / Math.sqrt(Math.PI)))));
        break;
      }
      case 'Gather':
        add(a, b.scatterAdd(g, c, b.width(a)));
        break;
      case 'ScatterAdd':
        add(a, b.gather(g, c));
        break;
      case 'Relu':
        add(a, b.binary('Mul', g, b.binary('Gt', a, b.scalar(0))));
        break;
      case 'RowSum':
        add(a, b.full(g, b.width(a)));
        break;
      case 'RowMax':
      case 'RowMin':
        add(a, b.binary('Mul', b.binary('Eq', a, i), g));
        break;
      case 'Slice':
        add(a, b.pad(g, node.p[0], b.width(a)));
        break;
      case 'Pad':
        add(a, b.slice(g, node.p[0], b.width(a)));
        break;
      case 'Repeat':
        add(a, b.reduce('RowSum', g));
        break;
      case 'MatMul':
        add(a, b.matMul(g, c, node.p[1], node.p[0], node.p[2] === 0));
        break;
      default:
        // Comparisons carry no gradient (TF.js gives zeros); they appear only in backward passes.
        break;
    }
  }
  const grad = total(0);
  if (grad === null) throw new Error('density program: the value does not depend on the particles');
  return grad;
}

/** Drops nodes neither output needs; returns the kept nodes in order with their new indices. */
function prune(nodes: DensityNode[], outputs: Ref[]): number[] {
  const needed = new Array<boolean>(nodes.length).fill(false);
  needed[0] = true;
  for (const r of outputs) needed[r] = true;
  for (let i = nodes.length - 1; i >= 1; i--) {
    if (!needed[i]) continue;
    const node = nodes[i] as DensityNode;
    if (node.a >= 0) needed[node.a] = true;
    if (node.b >= 0 && isOperandB(node)) needed[node.b] = true;
  }
  return needed.flatMap((keep, i) => (keep ? [i] : []));
}

/** Whether a node's b field is an operand (binary ops and products) rather than unused. */
const isOperandB = (node: DensityNode) =>
  node.op !== null &&
  (DENSITY_OPS[node.op] <= DENSITY_OPS.Eq ||
    node.op === 'MatMul' ||
    node.op === 'Gather' ||
    node.op === 'ScatterAdd');

/**
 * Offsets of each node's register in a tile row: a register is reused once the last instruction
 * reading it has run (never by that instruction's own output).
 */
function layout(
  nodes: DensityNode[],
  keep: readonly Ref[],
): { offsets: number[]; scratch: number } {
  const lastUse = new Array<number>(nodes.length).fill(-1);
  nodes.forEach((node, i) => {
    if (node.op === null) return;
    for (const r of isOperandB(node) ? [node.a, node.b] : [node.a]) if (r >= 0) lastUse[r] = i;
  });
  for (const r of keep) lastUse[r] = nodes.length;
  const free = new Map<number, number[]>();
  const offsets = new Array<number>(nodes.length).fill(0);
  let scratch = 0;
  const dying = new Map<number, number[]>();
  nodes.forEach((node, i) => {
    const pool = free.get(node.width);
    const reused = pool?.pop();
    if (reused !== undefined) offsets[i] = reused;
    else {
      offsets[i] = scratch;
      scratch += node.width;
    }
    if (lastUse[i] === -1) lastUse[i] = i; // unused value: its register frees at once
    const list = dying.get(lastUse[i] as number) ?? [];
    list.push(i);
    dying.set(lastUse[i] as number, list);
    for (const r of dying.get(i) ?? []) {
      const w = (nodes[r] as DensityNode).width;
      const p = free.get(w) ?? [];
      p.push(offsets[r] as number);
      free.set(w, p);
    }
  });
  return { offsets, scratch };
}

function encode(b: DensityBuilder, value: Ref, grad: Ref, dim: number): DensityProgram {
  const kept = prune(b.nodes, [value, grad]);
  const index = new Map(kept.map((old, i) => [old, i]));
  const remap = (r: Ref) => (r < 0 ? r : (index.get(r) as number));
  const nodes = kept.map((old) => {
    const node = b.nodes[old] as DensityNode;
    return { ...node, a: remap(node.a), b: isOperandB(node) ? remap(node.b) : 0 };
  });
  const v = remap(value);
  const g = remap(grad);
  const { offsets, scratch } = layout(nodes, [v, g]);
  const code: number[] = [];
  nodes.forEach((node, i) => {
    if (node.op === null) return;
    code.push(DENSITY_OPS[node.op], i, node.a, node.b, ...node.p, 0);
  });
  const ints = Int32Array.from([
    0,
    dim,
    nodes.length,
    b.constants.length,
    code.length / INSTR,
    0,
    v,
    g,
    scratch,
    ...nodes.map((n) => n.width),
    ...offsets,
    ...b.constants.map((c) => c.length),
    ...code,
  ]);
  return { dim, ints, constants: b.constants, instructions: code.length / INSTR };
}

// ANNEAL_COMPILE=0 keeps every density op by op (for a module whose logProb must run each time).
let enabled = nodeProcess()?.env?.ANNEAL_COMPILE !== '0';

/**
 * Turns compiled densities off (every density runs op by op) or back on: for tests that compare
 * the two and benchmarks that measure the difference.
 */
export function setDensityPrograms(on: boolean): void {
  enabled = on;
}

/** Why density programs cannot run now (turned off, the addon, backend or a tape), else null. */
export function densityProgramUnavailable(): string | null {
  return enabled ? fusedUnavailableReason() : 'compiled densities are off';
}

/** The value [N] and gradient [N, d] of a compiled density at z [N, d] (one native call). */
export function runDensityProgram(
  program: DensityProgram,
  z: Tensor2D,
): { logProb: Tensor1D; score: Tensor2D } {
  const [n, d] = z.shape;
  if (d !== program.dim)
    throw new Error(`density program: particles have ${d} coordinates, not ${program.dim}`);
  const ints = Array.from(program.ints);
  ints[0] = n;
  const [logProb, score] = runFusedOp(
    NATIVE_OP.DensityProgram,
    ints,
    [],
    program.constants,
    [z],
    [[n], [n, d]],
  );
  return { logProb: logProb as Tensor1D, score: score as Tensor2D };
}

/**
 * Largest |a - b| over the largest finite |b| (at least one): float32 rounding gives ~1e-6 here.
 * Equal values agree (infinities included, as where a density is -Infinity off its support), and
 * so do two NaNs; one NaN or infinity against anything else is an infinite gap.
 */
export function relativeGap(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let gap = 0;
  let scale = 1;
  for (let i = 0; i < y.length; i++) {
    const xi = x[i] as number;
    const yi = y[i] as number;
    if (xi === yi || (Number.isNaN(xi) && Number.isNaN(yi))) continue;
    const d = Math.abs(xi - yi);
    gap = Number.isFinite(d) ? Math.max(gap, d) : Infinity;
    if (Number.isFinite(yi)) scale = Math.max(scale, Math.abs(yi));
  }
  return gap / scale;
}

/** Agreement asked of a program with TF.js's autodiff on the traced particles. */
export const DENSITY_TOLERANCE = 1e-4;

/**
 * Compiles logProb (particles [N, d] -> [N]) at particles z (N >= 2), checking the program against
 * `reference`, TF.js's value and gradient at the same z. Returns the program or why there is none.
 */
export function compileDensity(
  logProb: (z: Tensor2D) => Tensor1D,
  z: Tensor2D,
  reference: { logProb: Tensor; score: Tensor },
): DensityCompilation {
  const unavailable = densityProgramUnavailable();
  if (unavailable) return { refused: unavailable };
  if (z.shape[0] < 2 || z.dtype !== 'float32')
    return { refused: 'it was traced on fewer than 2 particles' };
  const trace = traceDensity((x) => logProb(x as Tensor2D), z);
  if ('refused' in trace) return trace;
  let program: DensityProgram;
  try {
    const grad = differentiate(trace.builder, trace.output);
    program = encode(trace.builder, trace.output, grad, z.shape[1]);
  } catch (error) {
    return { refused: (error as Error).message };
  }
  const out = runDensityProgram(program, z);
  const gaps = [
    relativeGap(out.logProb, reference.logProb),
    relativeGap(out.score, reference.score),
  ];
  if (!gaps.every((g) => g <= DENSITY_TOLERANCE)) {
    tf.dispose([out.logProb, out.score]);
    return {
      refused: `its compiled form differs from TF.js's by ${Math.max(...gaps).toExponential(1)}`,
    };
  }
  return { program, ...out };
}
