// The engine's error class, in a module of its own so that the backends (backend.ts, webgpu.ts,
// browser.ts) can all throw it without importing each other.

/** A backend that cannot start or run: a missing package, no GPU adapter, wrong GPU results. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/**
 * Whether an error is the WebAssembly engine's heap running full: the engine says only
 * "Aborted(). Build with -sASSERTIONS for more info.", which tells a user nothing.
 */
export function isEngineOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /^Aborted\(|out of memory/i.test(error.message);
}

/** What to say instead, and what to do about it. */
export const OUT_OF_MEMORY_ADVICE =
  'the engine ran out of memory (its WebAssembly heap is full): use fewer particles, or split them into batches (--batches); a target of your own must create its tensors inside tf.tidy, so that none are left behind';
