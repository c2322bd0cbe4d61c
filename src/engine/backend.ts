import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradients; the umbrella package's bundle does (it also
// brings layers/converter, ~0.3 s of import time, but no smaller working registration exists for
// Node's ESM loader: tfjs-core's per-file ESM build uses extensionless imports).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { applyGradientFixes } from './gradientFixes.js';

export const BACKENDS = ['wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

export interface EngineOptions {
  /** Backend to use; defaults to $ANNEAL_BACKEND, then 'wasm'. */
  backend?: BackendName;
}

/** Resolves the backend from an explicit choice, then $ANNEAL_BACKEND, then the default. */
export function resolveBackendName(explicit?: string): BackendName {
  const fromEnv = typeof process === 'undefined' ? undefined : process.env.ANNEAL_BACKEND;
  const name = explicit ?? fromEnv ?? 'wasm';
  if (!isBackendName(name)) {
    throw new EngineError(
      `unknown backend '${name}' (from ${explicit ? 'option' : 'ANNEAL_BACKEND'}); valid: ${BACKENDS.join(', ')}`,
    );
  }
  return name;
}

export class EngineError extends Error {
  override name = 'EngineError';
}

/**
 * Selects and initializes the tensor backend and installs the gradient fixes. Idempotent; call
 * (and await) before any tensor work.
 */
export async function initEngine(options: EngineOptions = {}): Promise<BackendName> {
  const name = resolveBackendName(options.backend);
  applyGradientFixes();
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new EngineError(`backend '${name}' failed to initialize`);
  }
  await tf.ready();
  if (name === 'cpu') silenceCpuNotice();
  return name;
}

/**
 * The cpu backend advertises tfjs-node (which cannot install here) on its first write; where cpu
 * is chosen on purpose (the reference backend, or a browser's last resort) the notice is noise.
 */
export function silenceCpuNotice(): void {
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

export function currentBackend(): string {
  return tf.getBackend();
}
