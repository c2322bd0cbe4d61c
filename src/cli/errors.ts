/** A user mistake: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** Error classes whose messages are written for users (bad input), mapped to exit status 2. */
const USER_ERRORS = new Set([
  'UsageError',
  'TargetError',
  'ScheduleError',
  'KernelError',
  'EngineError',
  'RangeError',
  'ConfigError',
  'ObjectiveError',
  'ResamplingError',
  'FlowError',
  'RunDirError',
  'DataError',
  'VaeError',
]);

/** Prints an error as one line on stderr and returns the exit status; stacks only with ANNEAL_DEBUG. */
export function reportError(error: unknown): number {
  const e = error instanceof Error ? error : new Error(String(error));
  const debug = Boolean(process.env.ANNEAL_DEBUG);
  if (USER_ERRORS.has(e.name)) {
    process.stderr.write(`anneal: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return EXIT_USAGE;
  }
  if (e.name === 'NonFiniteWeightsError') {
    process.stderr.write(`anneal: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`anneal: internal error: ${e.message} (set ANNEAL_DEBUG=1 for details)\n`);
  if (debug) process.stderr.write(`${e.stack}\n`);
  return EXIT_FAILURE;
}
