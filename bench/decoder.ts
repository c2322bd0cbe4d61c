// The decoder workload of docs/engine.md: an MLP 50-200-200-784 with tanh hidden
// layers and a Bernoulli log-likelihood against fixed binary data, at 1600 rows. It is the inner
// loop of the VAE objectives: forward (log p), gradient w.r.t. z (the HMC/ULA drift), and the
// second-order pass (a loss containing grad_z log p, differentiated w.r.t. the decoder weights).
import {
  Rng,
  initEngine,
  setMatMulGradientFix,
  tf,
  type Scalar,
  type Tensor,
} from '../src/engine/index.js';
import { engineState, repsFor, timeMedian, type BenchOptions, type BenchRow } from './common.js';

const ROWS = 1600;
const LAYERS = [50, 200, 200, 784] as const;
const SEED = 20240601;

/** Host copies of the data, so every backend gets identical tensors created on itself. */
interface HostData {
  z: Float32Array;
  x: Float32Array;
  weights: { w: Float32Array; b: Float32Array; fanIn: number; fanOut: number }[];
}

function makeHostData(): HostData {
  const [zRng, xRng, wRng] = Rng.fromSeed(SEED).split(3);
  const zDim = LAYERS[0];
  const xDim = LAYERS[LAYERS.length - 1] as number;
  const z = Float32Array.from(zRng.normalArray(ROWS * zDim));
  const x = Float32Array.from(xRng.uniformArray(ROWS * xDim), (u) => (u < 0.5 ? 1 : 0));
  const weights = LAYERS.slice(1).map((fanOut, i) => {
    const fanIn = LAYERS[i] as number;
    // 1/sqrt(fanIn) keeps tanh out of saturation, so the timed values are ordinary numbers.
    const scale = 1 / Math.sqrt(fanIn);
    const w = Float32Array.from(wRng.normalArray(fanIn * fanOut), (v) => v * scale);
    const b = Float32Array.from(wRng.normalArray(fanOut), (v) => v * 0.1);
    return { w, b, fanIn, fanOut };
  });
  return { z, x, weights };
}

/**
 * Sum over rows of log p(x | z) = sum(x * logits - softplus(logits)). params alternates
 * [W1, b1, W2, b2, W3, b3], each W laid out [in, out] so that matMul needs no transpose flag.
 */
function logLikelihood(z: Tensor, x: Tensor, params: Tensor[]): Scalar {
  let h = z;
  const layers = params.length / 2;
  for (let i = 0; i < layers; i++) {
    const pre = tf.add(tf.matMul(h, params[2 * i] as Tensor), params[2 * i + 1] as Tensor);
    h = i < layers - 1 ? tf.tanh(pre) : pre;
  }
  return tf.sum(tf.sub(tf.mul(x, h), tf.softplus(h)));
}

export async function decoderBench(options: BenchOptions): Promise<BenchRow[]> {
  const host = makeHostData();
  const rows: BenchRow[] = [];
  // wasm with the native kernels, wasm with TF.js's own kernels, and the cpu reference backend.
  const configs = [
    ...(['wasm', 'cpu'] as const).map((backend) => ({ backend, native: true })),
    { backend: 'wasm' as const, native: false },
  ];
  for (const { backend, native } of configs) {
    await initEngine({ backend, native });
    const z = tf.tensor2d(host.z, [ROWS, LAYERS[0]]);
    const x = tf.tensor2d(host.x, [ROWS, LAYERS[LAYERS.length - 1] as number]);
    const params = host.weights.flatMap(({ w, b, fanIn, fanOut }) => [
      tf.tensor2d(w, [fanIn, fanOut]),
      tf.tensor1d(b),
    ]);
    const reps = repsFor(backend, options.quick);
    const measure = (
      workload: string,
      matMulFix: BenchRow['matMulFix'],
      fn: () => Tensor | Tensor[],
    ) => {
      options.log(`decoder ${backend} ${workload} fix=${matMulFix} ...`);
      const medianMs = timeMedian(() => tf.tidy(fn), reps);
      const { kernels } = engineState();
      rows.push({
        bench: 'decoder',
        backend,
        workload,
        matMulFix,
        kernels,
        medianMs,
        reps: reps.reps,
      });
    };

    // The forward pass has no gradient, so the fix cannot change it: measured once per backend.
    measure('forward', '-', () => logLikelihood(z, x, params));
    for (const fix of [true, false]) {
      setMatMulGradientFix(fix);
      const flag = fix ? 'on' : 'off';
      measure('forward+backward z', flag, () =>
        tf.grad((zz: Tensor) => logLikelihood(zz, x, params))(z),
      );
      measure('second order weights', flag, () =>
        tf.grads((...ps: Tensor[]) => {
          const gradZ = tf.grad((zz: Tensor) => logLikelihood(zz, x, ps))(z);
          return tf.sum(tf.square(gradZ));
        })(params),
      );
    }
    tf.dispose([z, x, ...params]);
  }
  await initEngine({ backend: 'wasm', native: true }); // the defaults, for whatever runs next
  const wasmForward = rows.find(
    (r) => r.backend === 'wasm' && r.kernels === 'tfjs' && r.workload === 'forward',
  );
  if (wasmForward) wasmForward.baseline = true;
  return rows;
}
