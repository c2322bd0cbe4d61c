// The engine's error class, in a module of its own so that the backends (backend.ts, webgpu.ts,
// browser.ts) can all throw it without importing each other.

/** A backend that cannot start or run: a missing package, no GPU adapter, wrong GPU results. */
export class EngineError extends Error {
  override name = 'EngineError';
}
