// Float64 host references for the target tests: plain loops, written independently of
// src/targets so that a shared mistake is unlikely.
import assert from 'node:assert/strict';

export const LOG_2PI = Math.log(2 * Math.PI);

export function logNormal(x: number, mean: number, variance: number): number {
  const r = x - mean;
  return (-0.5 * (r * r)) / variance - 0.5 * Math.log(2 * Math.PI * variance);
}

export function logSumExp(xs: readonly number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** Inverse and log|det| of a square matrix by Gauss-Jordan elimination with partial pivoting. */
export function invertWithLogDet(a: readonly (readonly number[])[]): {
  inverse: number[][];
  logDet: number;
} {
  const d = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    if (pivot === 0) throw new Error('singular matrix');
    logDet += Math.log(Math.abs(pivot));
    for (let j = 0; j < 2 * d; j++) m[c]![j]! /= pivot;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * d; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return { inverse: m.map((row) => row.slice(d)), logDet };
}

/** Central finite differences of a float64 function. */
export function centralDiffGrad(
  f: (x: number[]) => number,
  x: readonly number[],
  h = 1e-5,
): number[] {
  return x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

/** |actual - expected| <= rtol * max(1, |expected|), elementwise, with a useful message. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const tol = rtol * Math.max(1, Math.abs(e));
    assert.ok(
      Number.isFinite(a) && Math.abs(a - e) <= tol,
      `${label}[${i}]: got ${a}, expected ${e} (tol ${tol})`,
    );
  }
}

export interface ColumnMoments {
  mean: number[];
  variance: number[];
  /** Standard error of the sample variance, from the sample fourth central moment. */
  seVariance: number[];
}

export function columnMoments(data: ArrayLike<number>, n: number, d: number): ColumnMoments {
  const mean = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) mean[j]! += (data[i * d + j] as number) / n;
  const m2 = new Array<number>(d).fill(0);
  const m4 = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const r = (data[i * d + j] as number) - mean[j]!;
      m2[j]! += (r * r) / n;
      m4[j]! += (r * r * r * r) / n;
    }
  }
  return {
    mean,
    variance: m2.map((v) => (v * n) / (n - 1)),
    seVariance: m2.map((v, j) => Math.sqrt(Math.max(m4[j]! - v * v, 0) / n)),
  };
}

/** Asserts sample means and variances are within `z` standard errors of the exact values. */
export function assertMoments(
  data: ArrayLike<number>,
  n: number,
  d: number,
  exactMean: readonly number[],
  exactVariance: readonly number[],
  label: string,
  z = 4,
): void {
  const m = columnMoments(data, n, d);
  for (let j = 0; j < d; j++) {
    const seMean = Math.sqrt(exactVariance[j]! / n);
    assert.ok(
      Math.abs(m.mean[j]! - exactMean[j]!) <= z * seMean,
      `${label}: mean[${j}] = ${m.mean[j]}, exact ${exactMean[j]} (se ${seMean})`,
    );
    assert.ok(
      Math.abs(m.variance[j]! - exactVariance[j]!) <= z * m.seVariance[j]!,
      `${label}: variance[${j}] = ${m.variance[j]}, exact ${exactVariance[j]} (se ${m.seVariance[j]})`,
    );
  }
}

/**
 * log Gamma(x) by the Stirling series after shifting x up to >= 15 (Gamma(x) = Gamma(x + m) /
 * (x (x + 1) ... (x + m - 1))), with reflection below 0.5: a different method from the Lanczos
 * one in src, accurate to ~1e-14.
 */
export function logGammaStirling(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGammaStirling(1 - x);
  let shift = 0;
  let y = x;
  while (y < 15) {
    shift += Math.log(y);
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series =
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** log of the multivariate t density with df nu, location mu and scale matrix s I. */
export function logStudentT(
  z: readonly number[],
  mu: readonly number[],
  nu: number,
  s: number,
): number {
  const d = z.length;
  let q = 0;
  for (let j = 0; j < d; j++) q += (z[j]! - mu[j]!) ** 2;
  return (
    logGammaStirling((nu + d) / 2) -
    logGammaStirling(nu / 2) -
    (d / 2) * Math.log(nu * Math.PI * s) -
    ((nu + d) / 2) * Math.log(1 + q / (nu * s))
  );
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Asserts two gradient maps (parameter name -> tensor) agree entry by entry within rtol, and that
 * the expected one is not trivially zero (its largest entry above `floor`).
 */
export function assertGradientsClose(
  actual: Record<string, { dataSync(): ArrayLike<number> }>,
  expected: Record<string, { dataSync(): ArrayLike<number> }>,
  rtol: number,
  label: string,
  floor: number,
): void {
  let largest = 0;
  for (const name of Object.keys(expected)) {
    const e = Array.from((expected[name] as { dataSync(): ArrayLike<number> }).dataSync());
    const a = actual[name];
    assert.ok(a, `${label}: no gradient for ${name}`);
    largest = Math.max(largest, ...e.map(Math.abs));
    assertAllClose(Array.from(a.dataSync()), e, rtol, `${label} ${name}`);
  }
  assert.ok(largest > floor, `${label}: the gradients are not trivially zero (largest ${largest})`);
}
