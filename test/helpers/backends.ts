import { initEngine, useNativeKernels, type BackendName } from '../../src/engine/index.js';

/** Backends every engine-level test runs on. */
export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

export async function useBackend(name: BackendName): Promise<void> {
  await initEngine({ backend: name });
}

/** Max absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Runs fn with the native kernels (fused paths) and without (the TF.js reference), then back on. */
export async function bothPaths<T>(
  fn: (native: boolean) => T,
): Promise<{ fused: T; reference: T }> {
  await useNativeKernels(true);
  const fused = fn(true);
  await useNativeKernels(false);
  try {
    return { fused, reference: fn(false) };
  } finally {
    await useNativeKernels(true);
  }
}
