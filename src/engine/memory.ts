import * as tf from '@tensorflow/tfjs-core';

/** Runs fn in a tensor scope: every tensor it creates is freed except those it returns. */
export const scope = tf.tidy;

/** Marks a tensor to survive the enclosing scope. */
export const keep = tf.keep;

/** Number of live tensors, for leak checks. */
export function liveTensorCount(): number {
  return tf.memory().numTensors;
}

/** Disposes every tensor in a (possibly nested) container; ignores nulls. */
export function disposeAll(...items: unknown[]): void {
  for (const item of items) {
    if (item == null) continue;
    if (item instanceof tf.Tensor) item.dispose();
    else if (Array.isArray(item)) disposeAll(...item);
  }
}

/**
 * A tensor's values on the host, awaited (the only read webgpu allows), then the tensor freed,
 * even when the read fails.
 */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return Float32Array.from(await t.data());
  } finally {
    t.dispose();
  }
}
