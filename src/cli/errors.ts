import { isEngineOutOfMemory, OUT_OF_MEMORY_ADVICE } from '../engine/errors.js';

/** A user mistake: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command stopped by SIGINT or SIGTERM at a safe point, saying what was finished. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;
/** As a shell reports a process ended by SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130;

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
  'AutoLimitError',
]);

/** Node's file-system error codes, as a user would say them. */
const SYSTEM_ERRORS: Record<string, string> = {
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'is not a folder (or a part of its path is a file)',
  EEXIST: 'already exists',
  ENOENT: 'does not exist',
  EACCES: 'is not accessible (permission denied)',
  EPERM: 'is not accessible (operation not permitted)',
  EROFS: 'is on a read-only file system',
  ENOSPC: 'cannot be written: no space left on the device',
  ENAMETOOLONG: 'is too long a name',
};

/** A file-system error's one line, naming the path; null for other errors. */
function systemErrorLine(e: Error): string | null {
  const { code, path } = e as Error & { code?: unknown; path?: unknown };
  if (typeof code !== 'string' || !(code in SYSTEM_ERRORS)) return null;
  const where = typeof path === 'string' ? `'${path}'` : 'a file';
  return `${where} ${SYSTEM_ERRORS[code]}`;
}

/** Prints an error as one line on stderr and returns the exit status; stacks only with ANNEAL_DEBUG. */
export function reportError(error: unknown): number {
  const e = error instanceof Error ? error : new Error(String(error));
  const debug = Boolean(process.env.ANNEAL_DEBUG);
  const system = systemErrorLine(e);
  if (system) {
    process.stderr.write(`anneal: ${system}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    // A full disk is the machine's state, not a mistake in the command.
    return (e as Error & { code?: string }).code === 'ENOSPC' ? EXIT_FAILURE : EXIT_USAGE;
  }
  if (USER_ERRORS.has(e.name)) {
    process.stderr.write(`anneal: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return EXIT_USAGE;
  }
  if (e.name === 'TrainingInterrupted' || e.name === 'Interrupted') {
    process.stderr.write(`anneal: ${e.message}\n`);
    return EXIT_INTERRUPTED;
  }
  if (
    e.name === 'NonFiniteWeightsError' ||
    e.name === 'NonFiniteTargetError' ||
    e.name === 'TargetModuleError' ||
    e.name === 'TrainingDivergedError'
  ) {
    process.stderr.write(`anneal: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  if (isEngineOutOfMemory(e)) {
    process.stderr.write(`anneal: ${OUT_OF_MEMORY_ADVICE}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`anneal: internal error: ${e.message} (set ANNEAL_DEBUG=1 for details)\n`);
  if (debug) process.stderr.write(`${e.stack}\n`);
  return EXIT_FAILURE;
}
