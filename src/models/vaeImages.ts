// Pictures of a trained VAE as image grids (values in [0, 1]): samples from the model (the
// decoder's Bernoulli means at prior draws, which show more than binary draws would) and
// reconstructions (test images in one row, the decoder's means at their encoder means below).
import { readAndDispose, tf, type Rng, type Tensor2D } from '../engine/index.js';
import type { ImageSet } from '../data/mnist.js';
import type { ImageGrid } from '../io/png.js';
import type { Vae } from './vae.js';

/** Side of a square image of `pixels` values (28 for 784), or an error naming the count. */
export function squareSide(pixels: number): number {
  const side = Math.round(Math.sqrt(pixels));
  if (side * side !== pixels) {
    throw new RangeError(`images of ${pixels} pixels are not square; cannot draw them`);
  }
  return side;
}

/** n model samples: sigmoid(decoder(z)) at z ~ N(0, I), 8 per grid row (at most 8 rows). */
export async function sampleGrid(vae: Vae, n: number, rng: Rng): Promise<ImageGrid> {
  const z = rng.normal([n, vae.latentDim]) as Tensor2D;
  const means = tf.tidy(() => tf.sigmoid(vae.decoder.apply(z)['logits'] as Tensor2D));
  z.dispose();
  const values = await readAndDispose(means);
  const side = squareSide(vae.dataDim);
  return { values, count: n, height: side, width: side, columns: Math.min(8, n) };
}

/**
 * The first n images of a set and their reconstructions sigmoid(decoder(mean of q(z|x))): rows
 * of 8 originals, each followed by a row of their reconstructions.
 */
export async function reconstructionGrid(
  vae: Vae,
  images: ImageSet,
  n: number,
): Promise<ImageGrid> {
  const count = Math.min(n, images.count);
  const d = images.pixels;
  const original = images.images.subarray(0, count * d);
  const x = tf.tensor2d(original, [count, d]) as Tensor2D;
  const recon = tf.tidy(() =>
    tf.sigmoid(vae.decoder.apply(vae.encode(x).mean)['logits'] as Tensor2D),
  );
  x.dispose();
  const rebuilt = await readAndDispose(recon);
  const columns = 8;
  const values = new Float32Array(2 * Math.ceil(count / columns) * columns * d);
  let tile = 0;
  for (let start = 0; start < count; start += columns) {
    const end = Math.min(count, start + columns);
    for (const source of [original, rebuilt]) {
      for (let i = start; i < start + columns; i++, tile++) {
        if (i < end) values.set(source.subarray(i * d, (i + 1) * d), tile * d);
      }
    }
  }
  const side = squareSide(d);
  return { values, count: tile, height: side, width: side, columns };
}
