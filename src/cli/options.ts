// Command-line options validated at the boundary with zod: every value arrives as a string and leaves
// typed, or the first problem becomes one line that names the option, the bad value and what fits.
import { z } from 'zod';
import { UsageError } from './errors.js';
import { plainIssue } from '../train/issues.js';
import { FLOAT32_MAX, FLOAT32_POSITIVE_RANGE, inFloat32Positive } from '../io/issues.js';

/** Decimal numbers only: '0x10', '0b1', 'Infinity' and '' are not numbers a user meant. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function numberFrom(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || !DECIMAL.test(raw.trim())) return Number.NaN;
  return Number(raw);
}

/** A number strictly between lo and hi (or up to hi, inclusive), with the range in the message. */
export function numberIn(lo: number, hi: number, { hiInclusive = false } = {}) {
  const range = `${hiInclusive ? `(${lo}, ${hi}]` : `(${lo}, ${hi})`}`;
  const inner = z
    .number({ error: `expected a number in ${range}` })
    .gt(lo, `expected a number in ${range}`);
  return z.preprocess(
    numberFrom,
    hiInclusive
      ? inner.max(hi, `expected a number in ${range}`)
      : inner.lt(hi, `expected a number in ${range}`),
  );
}

export const finiteNumber = z.preprocess(
  numberFrom,
  z
    .number({ error: 'expected a number' })
    .finite('expected a finite number')
    .refine((x) => Math.abs(x) <= FLOAT32_MAX, {
      message: "expected a number from -3.4e38 to 3.4e38 (float32's range)",
    }),
);
/** A number > 0 that float32 holds as itself (1e-46 would become 0 in the engine, 1e39 Infinity). */
export const positiveNumber = z.preprocess(
  numberFrom,
  z
    .number({ error: 'expected a number' })
    .finite('expected a finite number')
    .positive('expected a number > 0')
    .refine(inFloat32Positive, { message: `expected a number ${FLOAT32_POSITIVE_RANGE}` }),
);
export const positiveInt = z.preprocess(
  numberFrom,
  z
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .positive('expected an integer > 0'),
);
export const nonNegativeInt = z.preprocess(
  numberFrom,
  z
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .nonnegative('expected an integer >= 0')
    .max(Number.MAX_SAFE_INTEGER),
);

export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of: ${values.join(', ')}` });
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Parses raw options with a schema; throws a UsageError naming the first bad option. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const value = raw[key];
  const got = value === undefined ? 'nothing' : `'${String(value)}'`;
  // Strip zod's own ", got ..." (the raw string is shown instead).
  const message = issue ? plainIssue(issue).replace(/, got .*$/, '') : 'invalid value';
  throw new UsageError(`--${kebab(key)}: ${message} (got ${got})`);
}
