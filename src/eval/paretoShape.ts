// How heavy the upper tail of importance weights is: the shape k of a generalized Pareto
// distribution fitted to the largest weights (the Pareto-smoothed importance sampling diagnostic
// of Vehtari, Simpson, Gelman, Yao and Gabry). The weights' variance is finite for k < 1/2, and
// the central limit theorem behind a standard error holds there; for k above about 0.7 the
// estimate of the mean weight, and so of log Z, is dominated by a few draws that a run may or may
// not have made, and no spread over batches says how far off it is.
//
// The fit is Zhang and Stephens' (2009) empirical Bayes estimate: a posterior-weighted average of
// the profile likelihood over a grid of the scale-to-shape ratio, with the shape then pulled toward
// 1/2 by a weak prior worth ten observations, as the PSIS diagnostic does.

/** Shape below which the weights' tail is light enough for the central limit theorem. */
export const PARETO_K_GOOD = 0.5;
/** Shape above which an importance-sampling estimate is not to be trusted at any sample size seen. */
export const PARETO_K_BAD = 0.7;

/**
 * The generalized Pareto shape k of the upper tail of exp(logW): the largest
 * min(N/5, 3 sqrt(N)) weights, as exceedances over the next one. NaN with fewer than 5 tail
 * weights (fewer than 25 particles, or ties at the top).
 */
export function paretoShape(logW: ArrayLike<number>): number {
  const n = logW.length;
  const tail = Math.ceil(Math.min(0.2 * n, 3 * Math.sqrt(n)));
  if (tail < 5 || n < tail + 1) return NaN;
  const sorted = Float64Array.from(logW).sort();
  const top = sorted[n - 1] as number;
  if (!Number.isFinite(top)) return NaN;
  const threshold = sorted[n - tail - 1] as number;
  const base = Math.exp(threshold - top);
  const exceed: number[] = [];
  for (let i = n - tail; i < n; i++) {
    const v = Math.exp((sorted[i] as number) - top) - base;
    if (v > 0) exceed.push(v);
  }
  if (exceed.length < 5) return NaN;
  return fitShape(exceed);
}

/** Zhang-Stephens shape of ascending positive exceedances, with PSIS's weak prior toward 1/2. */
function fitShape(x: readonly number[]): number {
  const n = x.length;
  const grid = 30 + Math.floor(Math.sqrt(n));
  const quartile = x[Math.floor(n / 4 + 0.5) - 1] as number;
  const largest = x[n - 1] as number;
  // theta = -k / sigma (k the shape, sigma the scale) over a grid spread around 1 / largest; the
  // profile shape at each is mean log(1 - theta x), and its likelihood n (log(-theta / k) - k - 1).
  const thetas = Array.from(
    { length: grid },
    (_, j) => 1 / largest + (1 - Math.sqrt(grid / (j + 0.5))) / (3 * quartile),
  );
  const shapes = thetas.map((t) => x.reduce((s, v) => s + Math.log1p(-t * v), 0) / n);
  const logLik = thetas.map(
    (t, j) => n * (Math.log(-t / (shapes[j] as number)) - (shapes[j] as number) - 1),
  );
  // Posterior weights of the grid points: exp(logLik) normalized, computed stably.
  const top = Math.max(...logLik);
  const w = logLik.map((l) => Math.exp(l - top));
  const total = w.reduce((a, b) => a + b, 0);
  const theta = thetas.reduce((s, t, j) => s + t * ((w[j] as number) / total), 0);
  // The profile shape at the averaged theta is the usual (positive for heavy tails) shape.
  const shape = x.reduce((s, v) => s + Math.log1p(-theta * v), 0) / n;
  return (n * shape + 10 * 0.5) / (n + 10);
}
