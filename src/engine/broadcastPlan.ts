// How two operands of an element-wise op cover their broadcast output, in the terms the native
// binary kernel takes: the output as rows x cols, each operand either every element, one row
// repeated down the rows, one column repeated across the columns, or one value. The common cases
// of a model's log density (a [N, R] array against a [R] data vector, a [N, 1] per-particle value
// or a constant) fit; any other broadcast (a middle axis of size one) gets null, and the op stays
// on TF.js's own kernel.
import { NATIVE_BROADCAST } from './native.js';

type Mode = (typeof NATIVE_BROADCAST)[keyof typeof NATIVE_BROADCAST];

export interface BroadcastPlan {
  shape: number[];
  rows: number;
  cols: number;
  aMode: Mode;
  bMode: Mode;
}

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** An operand's cover of `shape`: its mode and, for a row or a column, the axis the split falls at. */
function cover(padded: number[], shape: number[]): { mode: Mode; split: number | null } | null {
  const r = shape.length;
  if (padded.every((x, i) => x === shape[i])) return { mode: NATIVE_BROADCAST.full, split: null };
  if (product(padded) === 1) return { mode: NATIVE_BROADCAST.scalar, split: null };
  // A row: ones, then exactly the output's trailing axes.
  const first = padded.findIndex((x) => x !== 1);
  if (padded.slice(first).every((x, i) => x === shape[first + i]))
    return { mode: NATIVE_BROADCAST.row, split: first };
  // A column: exactly the output's leading axes, then ones.
  let last = r - 1;
  while (last >= 0 && padded[last] === 1) last--;
  if (padded.slice(0, last + 1).every((x, i) => x === shape[i]))
    return { mode: NATIVE_BROADCAST.column, split: last + 1 };
  return null;
}

/** The plan for a op b, or null where the shapes do not broadcast or not in a way it covers. */
export function broadcastPlan(a: readonly number[], b: readonly number[]): BroadcastPlan | null {
  const r = Math.max(a.length, b.length);
  const pad = (s: readonly number[]) => [...Array<number>(r - s.length).fill(1), ...s];
  const pa = pad(a);
  const pb = pad(b);
  const shape: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = pa[i] as number;
    const y = pb[i] as number;
    if (x !== y && x !== 1 && y !== 1) return null;
    shape.push(x === 1 ? y : x);
  }
  const ca = cover(pa, shape);
  const cb = cover(pb, shape);
  if (!ca || !cb) return null;
  if (ca.split !== null && cb.split !== null && ca.split !== cb.split) return null;
  const split = ca.split ?? cb.split;
  const size = product(shape);
  const rows = split === null ? 1 : product(shape.slice(0, split));
  const cols = rows === 0 ? 0 : size / rows;
  return { shape, rows, cols, aMode: ca.mode, bMode: cb.mode };
}
