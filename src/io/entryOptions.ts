// What every library entry point checks of its options object. Unknown keys, refused in plain words. TypeScript catches a misspelt key in a literal, but
// plain-JS callers, spread objects and configs read from files get no such help, and a key nobody
// reads is a setting silently not applied: every library entry point lists the keys it takes and
// refuses others, naming the nearest known key. Below the layers that take options, so that all of
// them word it the same way (as src/io/issues.ts does for config schemas). And the random stream:
// `rng` or `seed`, wherever an entry point takes either.
import { distance } from 'fastest-levenshtein';
import { Rng } from '../engine/index.js';

/**
 * The known key a mistyped one most likely meant: equal ignoring case, or within a third of its
 * letters (at least one) of edits; null when none is that close.
 */
export function nearestKey(key: string, known: readonly string[]): string | null {
  const lower = key.toLowerCase();
  const same = known.find((k) => k.toLowerCase() === lower);
  if (same) return same;
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** "unknown option 'stepsize' (did you mean 'stepSize'?)", for one or several keys. */
export function unknownKeysMessage(
  keys: readonly string[],
  known: readonly string[],
  noun = 'option',
  given: readonly string[] = [],
): string {
  // A key already given is not what a misspelt one meant ('targetSE' beside 'target').
  const candidates = known.filter((k) => !given.includes(k));
  const named = keys.map((k) => {
    const near = nearestKey(k, candidates);
    return near ? `'${k}' (did you mean '${near}'?)` : `'${k}'`;
  });
  return `unknown ${noun}${keys.length > 1 ? 's' : ''} ${named.join(', ')}; known: ${known.join(', ')}`;
}

/**
 * Refuses options that are not a plain object or hold a key outside `known`, with
 * `makeError('<where>: unknown option ...')`. Keys whose value is undefined count as absent.
 */
export function checkOptionKeys(
  where: string,
  options: unknown,
  known: readonly string[],
  makeError: (message: string) => Error = (m) => new TypeError(m),
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw makeError(`${where}: options must be an object, got ${describe(options)}`);
  const unknown = Object.keys(options).filter(
    (k) => !known.includes(k) && (options as Record<string, unknown>)[k] !== undefined,
  );
  if (unknown.length)
    throw makeError(
      `${where}: ${unknownKeysMessage(unknown, known, 'option', Object.keys(options))}`,
    );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `'${value}'` : typeof value;
}

/**
 * Every key of T, checked by the compiler: `keyList<Options>()(['a', 'b'])` fails to compile when
 * Options has a key the list leaves out (the error names it) or the list has one Options lacks.
 */
export function keyList<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K &
      ([Exclude<keyof T, K[number]>] extends [never]
        ? unknown
        : { missingKeys: Exclude<keyof T, K[number]> }),
  ): readonly string[] => keys;
}

/**
 * The random stream an entry point's options give: `rng`, else a fresh one from `seed`; refuses
 * options with neither (or a seed that is not a whole number) with makeError.
 */
export function streamOf(
  where: string,
  options: { rng?: Rng | undefined; seed?: number | undefined },
  makeError: (message: string) => Error = (m) => new TypeError(m),
): Rng {
  if (options.rng) return options.rng;
  if (options.seed === undefined)
    throw makeError(`${where}: give rng (a random stream) or seed (a whole number)`);
  if (!Number.isSafeInteger(options.seed))
    throw makeError(`${where}: seed must be a whole number, got ${options.seed}`);
  return Rng.fromSeed(options.seed);
}
