// Validation problems in plain words. Zod's own messages ("Invalid input: expected number, received
// string", "Too small: expected number to be >0") read as library output; a user should read what
// was expected and what was given. Messages the project's schemas set themselves pass through.
// Below the layers that validate configs (the learned sampler's in src/annealing/, the runs' in
// src/train/ and above), so that all of them word their errors the same way.
import { z } from 'zod';
import { unknownKeysMessage } from './entryOptions.js';

/** A value as a user would recognize it in a message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'not a number';
  return String(value);
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  tuple: 'a list',
  int: 'a whole number',
};

/** Zod's default wording, which this rewrites; anything else is the schema's own message. */
const ZOD_DEFAULT = /^(Invalid|Too small|Too big|Unrecognized key)/;

/**
 * The issue to report of several: an unknown key first, since a misspelt key also leaves the field
 * it meant missing, and the misspelling is the one to fix.
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue | undefined {
  return issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
}

/**
 * The keys an object schema takes at `path`, through optional, nullable and default wrappers and
 * into a pipe's input.
 */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  type Node = {
    shape?: Record<string, unknown>;
    _zod?: { def?: { innerType?: unknown; in?: unknown } };
  };
  const unwrap = (x: unknown): Node | undefined => {
    let node = x as Node | undefined;
    while (node && !node.shape) {
      const inner = node._zod?.def?.innerType ?? node._zod?.def?.in;
      if (!inner) break;
      node = inner as Node;
    }
    return node;
  };
  let node = unwrap(schema);
  for (const key of path) {
    if (!node?.shape || typeof key !== 'string') return null;
    node = unwrap(node.shape[key]);
  }
  return node?.shape ? Object.keys(node.shape) : null;
}

/**
 * One issue's message in plain words (input: the value at the issue's path, when zod kept it). With
 * the schema, an unknown key's message names the nearest key the schema takes.
 */
export function plainIssue(issue: z.core.$ZodIssue, schema?: z.ZodType): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  if (issue.code === 'unrecognized_keys' && schema) {
    const known = keysAt(schema, issue.path);
    if (known) return unknownKeysMessage(issue.keys, known, 'key');
  }
  const input = (issue as { input?: unknown }).input;
  const got = `got ${describeValue(input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}`;
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word =
        issue.code === 'too_small'
          ? issue.inclusive
            ? 'at least'
            : 'more than'
          : issue.inclusive
            ? 'at most'
            : 'less than';
      const what =
        issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
      return `expected ${word} ${String(bound)}${what}, ${got}`;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options
        ? `expected one of ${options.map((v) => JSON.stringify(v)).join(', ')}, ${got}`
        : `does not match any allowed form, ${got}`;
    }
    default:
      return `is not valid, ${got}`;
  }
}

/**
 * One issue as a line that starts with the field at fault: 'steps: expected at least 1, got 0', or,
 * for a schema's own message that reads on from the field's name, 'width must be a positive
 * integer, got 0'.
 */
export function issueWithField(issue: z.core.$ZodIssue, schema?: z.ZodType): string {
  const why = plainIssue(issue, schema);
  const field = issue.path.map(String).join('.');
  if (!field) return why;
  return `${field}${why.startsWith('must') ? ' ' : ': '}${why}`;
}

/** The engine computes in float32: the smallest positive normal value and the largest value. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The accepted range of a positive number, as messages state it. */
export const FLOAT32_POSITIVE_RANGE = "from 1.2e-38 to 3.4e38 (float32's range)";

/** Whether a positive number survives float32 as itself (not 0, not Infinity). */
export const inFloat32Positive = (x: number) => x >= FLOAT32_MIN_NORMAL && x <= FLOAT32_MAX;

/**
 * A positive number of a config: finite, > 0, and within float32's range (a step size of 1e-46
 * would become 0 in the engine, and 1e39 Infinity, each silently).
 */
export const positiveFloat32 = z
  .number()
  .finite()
  .positive()
  .refine(inFloat32Positive, { message: `must be a number ${FLOAT32_POSITIVE_RANGE}` });
