// Backend choice in a browser: the GPU through WebGL where the page gets a working context, else
// wasm (XNNPACK), else the plain JavaScript cpu backend. Each failure is kept so that a page can
// say why it runs where it runs. The wasm binaries must be served by the page; a bundler passes
// their URLs in.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { applyGradientFixes } from './gradientFixes.js';
import {
  EngineError,
  markEngineStarted,
  registerNodeGradients,
  silenceCpuNotice,
} from './backend.js';

export const BROWSER_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];

export function isBrowserBackendName(name: string): name is BrowserBackendName {
  return (BROWSER_BACKENDS as readonly string[]).includes(name);
}

/** URLs of the wasm backend's binaries, by file name (as a bundler emits them). */
export type WasmFiles = Partial<
  Record<
    | 'tfjs-backend-wasm.wasm'
    | 'tfjs-backend-wasm-simd.wasm'
    | 'tfjs-backend-wasm-threaded-simd.wasm',
    string
  >
>;

export interface BrowserEngineOptions {
  /** 'auto' (default) tries webgl, wasm, cpu in turn; a name tries only that one. */
  backend?: BrowserBackendName | 'auto';
  wasmFiles?: WasmFiles;
}

export interface BrowserEngine {
  backend: BrowserBackendName;
  /** True when tensors live on the GPU. */
  gpu: boolean;
  /** Backends tried before this one, with the reason each was passed over. */
  skipped: { backend: BrowserBackendName; reason: string }[];
}

export async function initBrowserEngine(
  options: BrowserEngineOptions = {},
): Promise<BrowserEngine> {
  const choice = options.backend ?? 'auto';
  if (choice !== 'auto' && !isBrowserBackendName(choice)) {
    throw new EngineError(
      `unknown backend '${choice as string}'; valid: auto, ${BROWSER_BACKENDS.join(', ')}`,
    );
  }
  await registerBrowserParts();
  applyGradientFixes();
  if (options.wasmFiles) setWasmPaths(options.wasmFiles as Record<string, string>);
  const order: BrowserBackendName[] = choice === 'auto' ? [...BROWSER_BACKENDS] : [choice];
  const skipped: BrowserEngine['skipped'] = [];
  for (const name of order) {
    try {
      if (!(await tf.setBackend(name))) throw new Error('did not initialize');
      await tf.ready();
      if (name === 'webgl') {
        checkWebglPrecision();
        // Without a GPU, browsers emulate WebGL on the CPU (SwiftShader, llvmpipe): slower than
        // wasm by an order of magnitude, so 'auto' moves on; asked for by name, it is used.
        const software = SOFTWARE_RENDERERS.exec(webglRenderer() ?? '');
        if (choice === 'auto' && software) {
          throw new Error(`software renderer (${software[0]}), slower than wasm`);
        }
      }
      if (name === 'cpu') silenceCpuNotice();
      markEngineStarted();
      return { backend: name, gpu: name === 'webgl', skipped };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      skipped.push({ backend: name, reason: reason || 'unavailable' });
    }
  }
  throw new EngineError(
    `no backend could start: ${skipped.map((s) => `${s.backend} (${s.reason})`).join('; ')}`,
  );
}

/**
 * The gradients, the chained tensor methods and the WebGL backend. In a page they come from
 * tfjs-core's and the backend's per-file module builds, which bundlers read, without the rest of
 * TF.js; in Node (tests, scripts), whose loader cannot read those builds, from the Node engine's
 * registration.
 */
async function registerBrowserParts(): Promise<void> {
  if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
    await registerNodeGradients();
    return;
  }
  await Promise.all([
    import('@tensorflow/tfjs-core/dist/register_all_gradients.js'),
    import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js'),
    import('@tensorflow/tfjs-backend-webgl'),
  ]);
}

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software/i;

/** The WebGL renderer's name where the browser tells it (the debug extension), else null. */
export function webglRenderer(): string | null {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name: unknown = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  return typeof name === 'string' ? name : null;
}

/**
 * Log weights of annealed samplers need float32 arithmetic; WebGL contexts that only render in
 * half precision would silently give wrong estimates, so they are refused.
 */
function checkWebglPrecision(): void {
  const bits = tf.env().getNumber('WEBGL_RENDER_FLOAT32_CAPABLE') ? 32 : 16;
  if (bits !== 32) throw new Error('this GPU renders only half-precision floats');
  // A round trip through a float texture: 1 + 2^-20 is lost in half precision.
  const x = tf.scalar(1 + 2 ** -20);
  const back = tf.sub(x, 1);
  const v = back.dataSync()[0] as number;
  tf.dispose([x, back]);
  if (Math.abs(v - 2 ** -20) > 2 ** -22) throw new Error('float32 arithmetic is inexact here');
}
