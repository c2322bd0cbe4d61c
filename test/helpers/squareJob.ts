// A job module for the worker-pool tests: squares its payload, reports progress, and fails with a
// RangeError on a negative payload.
export function runJob(x: number, report: (message: unknown) => void): number {
  if (x < 0) throw new RangeError(`negative payload ${x}`);
  report(`task ${x}`);
  return x * x;
}
