// Mini-batches of an image set: a seeded permutation per epoch (Fisher-Yates on the host), rows
// copied into one Float32Array per batch, optionally binarized afresh (dynamic binarization).
import type { Rng } from '../engine/index.js';
import { DataError } from '../io/files.js';
import type { ImageSet } from './mnist.js';

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const u = rng.uniformArray(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor((u[i] as number) * (i + 1)));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

/** The batches of one epoch as row-index lists; the last partial batch is dropped. */
export function epochBatches(count: number, batchSize: number, rng: Rng): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > count) {
    throw new DataError(`batch size must be an integer in [1, ${count}], got ${batchSize}`);
  }
  const order = permutation(count, rng);
  const batches: Int32Array[] = [];
  for (let start = 0; start + batchSize <= count; start += batchSize) {
    batches.push(order.subarray(start, start + batchSize));
  }
  return batches;
}

/**
 * The images of `rows` as one row-major Float32Array; with `binarizeRng`, each pixel is a fresh
 * Bernoulli(intensity) draw (dynamic binarization).
 */
export function gatherImages(
  set: ImageSet,
  rows: ArrayLike<number>,
  binarizeRng?: Rng,
): Float32Array {
  const d = set.pixels;
  const out = new Float32Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r] as number;
    out.set(set.images.subarray(i * d, (i + 1) * d), r * d);
  }
  if (binarizeRng) {
    const u = binarizeRng.uniformArray(out.length);
    for (let i = 0; i < out.length; i++) out[i] = (u[i] as number) < (out[i] as number) ? 1 : 0;
  }
  return out;
}
