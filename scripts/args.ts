// Command-line errors of the results scripts: one line on stderr and exit status 2, as the CLI
// does, instead of a stack trace. Scripts validate every flag before they write anything.

/** Prints `message` and exits with status 2. */
export function usage(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** f's value, or a usage error with its message (for parseArgs and flag parsers that throw). */
export function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    // parseArgs adds a hint on further lines; the first says what is wrong.
    return usage(String((error as Error).message).split('\n')[0] as string);
  }
}
