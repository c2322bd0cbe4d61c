// The unbiasedness check shared by the AIS, SMC and learned-sampler tests: the mean of
// Z-hat / Z over independent runs is 1 within 3 standard errors, and the check has the power to
// see a 3 % bias in Z: the same runs, with Z-hat scaled by 1.03 or 0.97, must fail it.
import assert from 'node:assert/strict';

export const DETECTABLE_BIAS = 0.03;

function meanAndSe(ratios: readonly number[]): { mean: number; se: number } {
  const n = ratios.length;
  const mean = ratios.reduce((a, v) => a + v, 0) / n;
  const sd = Math.sqrt(ratios.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, se: sd / Math.sqrt(n) };
}

/** Asserts E[Z-hat / Z] = 1 from per-run ratios, and that a 3 % bias would have failed. */
export function assertUnbiased(ratios: readonly number[], label: string): void {
  const { mean, se } = meanAndSe(ratios);
  assert.ok(
    Math.abs(mean - 1) < 3 * se,
    `${label}: mean of Z-hat / Z ${mean.toFixed(4)} ± ${se.toFixed(4)} is not 1 within 3 standard errors`,
  );
  for (const factor of [1 + DETECTABLE_BIAS, 1 - DETECTABLE_BIAS]) {
    assert.ok(
      Math.abs(mean * factor - 1) >= 3 * se * factor,
      `${label}: the check cannot see a ${(100 * DETECTABLE_BIAS).toFixed(0)} % bias (mean ${mean.toFixed(4)}, standard error ${se.toFixed(4)}): use more runs`,
    );
  }
}
