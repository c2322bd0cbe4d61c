// Image data sets in memory: gray images as rows of intensities in [0, 1], their train / valid /
// test split, row slices and static binarization.
import type { Rng } from '../engine/index.js';
import { DataError } from '../io/files.js';

export interface ImageSet {
  /** Where the images came from, for messages. */
  readonly source: string;
  readonly count: number;
  /** Pixels per image (784 for 28 x 28). */
  readonly pixels: number;
  /** Intensities in [0, 1], count x pixels, row-major. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

export interface ImageSplits {
  readonly train: ImageSet;
  readonly valid: ImageSet;
  readonly test: ImageSet;
}

/** Rows [from, to) of a set. */
export function sliceImages(set: ImageSet, from: number, to: number, label = set.source): ImageSet {
  return {
    source: label,
    count: to - from,
    pixels: set.pixels,
    images: set.images.subarray(from * set.pixels, to * set.pixels),
    labels: set.labels.subarray(from, to),
  };
}

/** Static binarization: one Bernoulli(intensity) draw per pixel from a seeded stream. */
export function binarize(set: ImageSet, rng: Rng): ImageSet {
  const u = rng.uniformArray(set.images.length);
  const out = new Float32Array(set.images.length);
  for (let i = 0; i < out.length; i++)
    out[i] = (u[i] as number) < (set.images[i] as number) ? 1 : 0;
  return { ...set, source: `${set.source} (binarized)`, images: out };
}

/**
 * Train / validation / test splits: the last `validation` training images are held out. Checks that
 * both sets have the same image size and that the validation size leaves training images.
 */
export function splitImages(train: ImageSet, test: ImageSet, validation: number): ImageSplits {
  if (test.pixels !== train.pixels) {
    throw new DataError(
      `${test.source}: images of ${test.pixels} pixels, the training images have ${train.pixels}`,
    );
  }
  if (!Number.isInteger(validation) || validation < 0 || validation >= train.count) {
    throw new DataError(
      `validation size must be an integer in [0, ${train.count}), got ${validation}`,
    );
  }
  const cut = train.count - validation;
  return {
    train: sliceImages(train, 0, cut, `${train.source} [0, ${cut})`),
    valid: sliceImages(train, cut, train.count, `${train.source} [${cut}, ${train.count})`),
    test,
  };
}
