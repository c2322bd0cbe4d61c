// Float64 host special functions and samplers for targets: log-gamma (Lanczos) and Gamma and
// chi-square draws (Marsaglia-Tsang) from a seeded Rng's host arrays.
import type { Rng } from '../engine/index.js';

// Lanczos approximation with g = 7 and 9 coefficients: relative error below 1e-15 for x >= 0.5.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log |Gamma(x)| for real x: Lanczos for x >= 0.5, the reflection formula below that; +Infinity
 * at the poles (0, -1, -2, ...), NaN for NaN.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x < 0.5) {
    if (Number.isInteger(x)) return Infinity;
    // Gamma(x) Gamma(1 - x) = pi / sin(pi x).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  if (x === 1 || x === 2) return 0;
  const y = x - 1;
  let a = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * n independent Gamma(shape, 1) draws by Marsaglia and Tsang (2000): for shape >= 1, d = shape -
 * 1/3, c = 1/sqrt(9d), v = (1 + c x)^3 with x standard normal, accepted when
 * log u < x^2/2 + d - d v + d log v; for shape < 1, Gamma(shape + 1) * u^(1/shape).
 * Normals and uniforms come from the stream in blocks, so the result depends only on the stream.
 */
export function gammaArray(rng: Rng, shape: number, n: number): Float64Array {
  if (!(Number.isFinite(shape) && shape > 0)) {
    throw new RangeError(`gamma shape must be a finite number > 0, got ${shape}`);
  }
  const out = new Float64Array(n);
  const boost = shape < 1;
  const a = boost ? shape + 1 : shape;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  // Acceptance is above 95% for every shape, so blocks of ~1.1 n rarely need a refill.
  const block = Math.max(64, Math.ceil(1.1 * n) + 16);
  let normals = rng.normalArray(block);
  let uniforms = rng.uniformArray(block);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (;;) {
      if (k === block) {
        normals = rng.normalArray(block);
        uniforms = rng.uniformArray(block);
        k = 0;
      }
      const x = normals[k] as number;
      const u = uniforms[k] as number;
      k++;
      const s = 1 + c * x;
      if (s <= 0) continue;
      const v = s * s * s;
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        out[i] = d * v;
        break;
      }
    }
  }
  if (boost) {
    const u = rng.uniformArray(n);
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) * Math.pow(u[i] as number, 1 / shape);
  }
  return out;
}

/** n independent chi-square draws with df degrees of freedom (any df > 0): 2 Gamma(df/2, 1). */
export function chiSquareArray(rng: Rng, df: number, n: number): Float64Array {
  return gammaArray(rng, df / 2, n).map((g) => 2 * g);
}
