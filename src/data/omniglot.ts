// Omniglot as density-modelling papers use it (Burda et al. 2016, and the VAE papers after them):
// the file chardata.mat with 28 x 28 gray images in [0, 1], 24,345 for training ('data') and 8,070
// for testing ('testdata'), one image per column of a [784, N] matrix, each image's pixels in
// MATLAB's column-major order. No registry ships it, so the user supplies the file; this loader
// turns the columns into row-major images (upright, as MNIST's are).
import { parseMat, type MatMatrix } from '../io/mat.js';
import { DataError, readBinaryFile } from '../io/files.js';
import { splitImages, type ImageSet, type ImageSplits } from './imageSet.js';

export const OMNIGLOT_VARIABLES = { train: 'data', test: 'testdata' } as const;

function images(m: Map<string, MatMatrix>, name: string, file: string): ImageSet {
  const matrix = m.get(name);
  if (!matrix) {
    const found = [...m.keys()];
    throw new DataError(
      `${file}: no numeric variable '${name}' (found: ${found.length ? found.join(', ') : 'none'}); expected Omniglot's chardata.mat with 'data' and 'testdata'`,
    );
  }
  const [pixels, count] = matrix.dims as [number, number];
  const side = Math.round(Math.sqrt(pixels));
  if (matrix.dims.length !== 2 || side * side !== pixels || count < 1) {
    throw new DataError(
      `${file}: variable '${name}' has dimensions [${matrix.dims.join(', ')}]; expected [784, N] (one 28 x 28 image per column)`,
    );
  }
  const out = new Float32Array(pixels * count);
  const v = matrix.values;
  for (let n = 0; n < count; n++) {
    const base = n * pixels;
    for (let c = 0; c < side; c++) {
      for (let r = 0; r < side; r++) {
        const x = v[base + c * side + r] as number;
        if (!(x >= 0 && x <= 1)) {
          throw new DataError(
            `${file}: variable '${name}' has value ${x} at image ${n}; expected intensities in [0, 1]`,
          );
        }
        out[base + r * side + c] = x;
      }
    }
  }
  return { source: `${file}:${name}`, count, pixels, images: out, labels: new Uint8Array(count) };
}

/**
 * Omniglot from a user-supplied chardata.mat (MAT v5/v6/v7). The last `validation` training
 * images (default 0: the papers train on all 24,345) are held out for validation.
 */
export function loadOmniglot(file: string, validation = 0): ImageSplits {
  const m = parseMat(readBinaryFile(file), file);
  const train = images(m, OMNIGLOT_VARIABLES.train, file);
  const test = images(m, OMNIGLOT_VARIABLES.test, file);
  return splitImages(train, test, validation);
}
