// The webgpu backend: TF.js's WebGPU kernels on the machine's GPU. A browser offers the GPU as
// navigator.gpu; Node has none of its own, so there the optional package `webgpu` (Dawn, the
// WebGPU implementation inside Chromium, as a Node addon) provides it, over Vulkan on Linux. Both
// packages load only when this backend is asked for, so nobody else installs them.
import { EngineError } from './errors.js';

/** What the adapter says of itself, once the backend has started (null before). */
export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

let adapterInfo: WebgpuAdapterInfo | null = null;

/** The GPU the webgpu backend runs on, or null where it has not started. */
export function webgpuAdapter(): WebgpuAdapterInfo | null {
  return adapterInfo;
}

interface AdapterLike {
  info?: Partial<WebgpuAdapterInfo>;
  limits?: Record<string, number>;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<unknown>;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
  getPreferredCanvasFormat?(): string;
}

/**
 * Dawn's navigator.gpu whose devices get the adapter's own count of storage buffers per shader
 * stage instead of WebGPU's guaranteed 8: TF.js asks only for a few limits, and some of its
 * kernels bind more buffers than 8.
 */
function withAdapterLimits(gpu: GpuLike): GpuLike {
  const g = gpu as GpuLike & { getPreferredCanvasFormat?: () => string };
  return {
    getPreferredCanvasFormat: () => g.getPreferredCanvasFormat?.() ?? 'rgba8unorm',
    requestAdapter: async (options) => {
      const adapter = await gpu.requestAdapter(options);
      const most = adapter?.limits?.maxStorageBuffersPerShaderStage;
      if (!adapter || most === undefined) return adapter;
      const requestDevice = adapter.requestDevice.bind(adapter);
      try {
        adapter.requestDevice = (descriptor = {}) =>
          requestDevice({
            ...descriptor,
            requiredLimits: { ...descriptor.requiredLimits, maxStorageBuffersPerShaderStage: most },
          });
      } catch {
        // A sealed adapter keeps WebGPU's defaults.
      }
      return adapter;
    },
  };
}

const holder = () => globalThis as unknown as { navigator?: { gpu?: GpuLike } };

/** navigator.gpu, from the page or (in Node) from Dawn's binding. */
async function gpuEntry(): Promise<GpuLike> {
  const existing = holder().navigator?.gpu;
  if (existing) return existing;
  if (typeof process === 'undefined')
    throw new EngineError("backend 'webgpu' is not available: this browser has no navigator.gpu");
  let dawn: { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  try {
    // A variable specifier: the package is optional and has no type declarations we rely on.
    const name = 'webgpu';
    dawn = (await import(name)) as typeof dawn;
  } catch {
    throw new EngineError(
      "backend 'webgpu' needs the optional package 'webgpu' (Dawn's Node binding): npm install webgpu",
    );
  }
  // GPUBufferUsage and the other constants TF.js's kernels read are globals in a browser.
  Object.assign(globalThis, dawn.globals);
  const gpu = withAdapterLimits(dawn.create([]));
  const g = holder();
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  return gpu;
}

/**
 * Makes the webgpu backend registrable: finds a GPU adapter (a clear error where there is none),
 * then loads TF.js's WebGPU kernels, which register the backend on import when navigator.gpu
 * exists.
 */
export async function prepareWebgpu(): Promise<WebgpuAdapterInfo> {
  const gpu = await gpuEntry();
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new EngineError(
      "backend 'webgpu' found no GPU adapter (in Node, Dawn needs a Vulkan driver: libvulkan1 and the GPU vendor's ICD)",
    );
  const info = adapter.info ?? {};
  adapterInfo = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  try {
    // A literal specifier, so that bundlers include the kernels; loaded only here, after
    // navigator.gpu exists (the package registers its backend on import only then).
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch {
    throw new EngineError(
      "backend 'webgpu' needs the optional package '@tensorflow/tfjs-backend-webgpu': npm install @tensorflow/tfjs-backend-webgpu@4.22.0",
    );
  }
  return adapterInfo;
}

/** Validation and device errors the GPU reported since the backend started (first few kept). */
const gpuErrors: string[] = [];

/** What the GPU has reported as errors (shader compilation, validation), oldest first. */
export function webgpuErrors(): readonly string[] {
  return gpuErrors;
}

/**
 * Checks, once the backend runs, that the GPU computes what it should: a product and a sum large
 * enough to run on the GPU (TF.js forwards small ops to the CPU), against values known exactly. A
 * driver or shader-compiler mismatch otherwise gives silent zeros, and every number after it
 * would be wrong.
 */
export async function verifyWebgpu(tf: typeof import('@tensorflow/tfjs-core')): Promise<void> {
  const device = (tf.backend() as unknown as { device?: { onuncapturederror: unknown } }).device;
  if (device)
    device.onuncapturederror = (event: { error?: { message?: string } }) => {
      if (gpuErrors.length < 5)
        gpuErrors.push(String(event.error?.message ?? event).split('\n')[0] ?? '');
    };
  const n = 4096;
  // x = 0, 1, ..., n-1 and y = 2: sum(x * y + 1) = n (n - 1) + n, exact in float32 for this n.
  const x = tf.range(0, n, 1, 'float32');
  const y = tf.fill([n], 2);
  const total = tf.tidy(() => tf.sum(tf.add(tf.mul(x, y), 1)));
  const m = tf.tidy(() => tf.matMul(tf.reshape(x, [64, 64]), tf.ones([64, 1])));
  try {
    const got = (await total.data())[0] as number;
    const row = (await m.data())[1] as number; // sum of 64..127
    const want = n * (n - 1) + n;
    if (got !== want || row !== 6112) {
      const why = gpuErrors[0] ? `; the GPU reported: ${gpuErrors[0]}` : '';
      throw new EngineError(
        `backend 'webgpu' computes wrong values on this GPU (a check sum gave ${got}, expected ${want}; a product gave ${row}, expected 6112)${why}`,
      );
    }
  } finally {
    tf.dispose([x, y, total, m]);
  }
}
