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

/** The integer value of `--flag`, at least `min`, or a usage error. */
export function integerFlag(flag: string, text: string | undefined, min: number): number {
  const x = Number(text);
  if (!Number.isInteger(x) || x < min) usage(`--${flag} must be an integer >= ${min}`);
  return x;
}

/** The training seeds of `--seeds` (comma-separated): each once, at least two. */
export function seedList(text: string | undefined): number[] {
  const seeds = String(text)
    .split(',')
    .map((s) => integerFlag('seeds', s, 0));
  if (new Set(seeds).size !== seeds.length) usage('--seeds: each seed once');
  if (seeds.length < 2) usage('--seeds: at least two training seeds (their spread is the point)');
  return seeds;
}

/** A results page's `--name` (its file name): lowercase letters, digits and dashes, or a usage error. */
export function pageName(text: string | undefined): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(String(text)))
    usage('--name must be lowercase letters, digits and dashes');
  return text as string;
}
