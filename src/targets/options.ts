// The options of the built-in targets in one table: each option's name, the kind of value it takes,
// its help text and the targets that take it. Everything else derives from it: the TargetOptions
// type, each target's list of options (and so createTarget's refusals), the zod schemas of configs
// and of `anneal logz`'s flags, and the command-line options with their help.
import type { z } from 'zod';
import { UCI_DATASETS } from './logisticRegression.js';

/** The kinds of value a target option takes. */
export type TargetOptionKind = 'positiveNumber' | 'positiveInt' | 'nonNegativeInt' | 'path';

/** The JavaScript type of each kind of value. */
export interface TargetOptionValue {
  positiveNumber: number;
  positiveInt: number;
  nonNegativeInt: number;
  path: string;
}

/** One row of the table. */
export interface TargetOptionRow {
  /** The key in TargetOptions and in a config's `target` section. */
  readonly name: string;
  /** The command-line flag's attribute name, where it is not `name` (`--data` for dataPath). */
  readonly flag?: string;
  /** The value's placeholder in the command-line help, e.g. 'x' for `--loc <x>`. */
  readonly arg: string;
  readonly kind: TargetOptionKind;
  /** What the option sets, for help texts. */
  readonly help: string;
  /** The built-in targets that take it; 'all' for every target, a module's included (dim). */
  readonly targets: 'all' | readonly string[];
}

const UCI_TARGETS = Object.keys(UCI_DATASETS);

/** Every option of the built-in targets, in the order help texts and refusals list them. */
export const TARGET_OPTIONS = [
  {
    name: 'dim',
    arg: 'd',
    kind: 'positiveInt',
    help: 'target dimension, where the target allows it',
    targets: 'all',
  },
  {
    name: 'loc',
    arg: 'x',
    kind: 'positiveNumber',
    help: 'mixture component offset (the ring spacing of rings)',
    targets: ['rings', 'mgm', 'dsmcs-mixture', 'gmm8', 'student-t8'],
  },
  {
    name: 'sigma2',
    arg: 'x',
    kind: 'positiveNumber',
    help: 'mixture component variance',
    targets: ['rings', 'mgm', 'dsmcs-mixture', 'gmm8', 'student-t8'],
  },
  {
    name: 'components',
    arg: 'K',
    kind: 'positiveInt',
    help: 'mixture components (the rings of rings)',
    targets: ['rings', 'dsmcs-mixture'],
  },
  {
    name: 'meansSeed',
    arg: 'int',
    kind: 'nonNegativeInt',
    help: 'seed of the mixture means',
    targets: ['dsmcs-mixture', 'gmm8', 'student-t8'],
  },
  {
    name: 'df',
    arg: 'nu',
    kind: 'positiveNumber',
    help: 'degrees of freedom',
    targets: ['student-t8'],
  },
  {
    name: 'dataPath',
    flag: 'data',
    arg: 'csv',
    kind: 'path',
    help: 'data file for a data-set target, in place of the shipped one',
    targets: UCI_TARGETS,
  },
  {
    name: 'width',
    arg: 'X',
    kind: 'positiveInt',
    help: "lattice width: phi4's space extent (the lattice is dim / X by X), u1's L (dim = 2 L^2), lgcp's cells per side (dim = X^2)",
    targets: ['phi4', 'u1', 'lgcp'],
  },
  {
    name: 'kappa',
    arg: 'k',
    kind: 'positiveNumber',
    help: 'hopping parameter',
    targets: ['phi4'],
  },
  {
    name: 'lambda',
    arg: 'l',
    kind: 'positiveNumber',
    help: 'quartic coupling',
    targets: ['phi4'],
  },
  {
    name: 'beta',
    arg: 'b',
    kind: 'positiveNumber',
    help: 'inverse gauge coupling',
    targets: ['u1'],
  },
] as const satisfies readonly TargetOptionRow[];

/** One row of TARGET_OPTIONS, with its literal types. */
export type TargetOptionEntry = (typeof TARGET_OPTIONS)[number];

/** Options a named target may take (each target takes `dim` and the rows that list it). */
export type TargetOptions = {
  [R in TargetOptionEntry as R['name']]?: TargetOptionValue[R['kind']];
};

export type TargetOptionName = keyof TargetOptions;

/** A row's command-line attribute name: `flag` where given, else `name`. */
export type TargetOptionFlagOf<R extends TargetOptionEntry> = R extends {
  flag: infer F extends string;
}
  ? F
  : R['name'];

/** The command line's values of the target options, by attribute name (`data` for dataPath). */
export type TargetFlagValues = {
  [R in TargetOptionEntry as TargetOptionFlagOf<R>]?: TargetOptionValue[R['kind']];
};

/** A row's command-line attribute name. */
export function targetOptionFlag(row: TargetOptionRow): string {
  return row.flag ?? row.name;
}

/** A row's flag as typed: `--means-seed` for meansSeed, `--data` for dataPath. */
export function targetOptionFlagText(row: TargetOptionRow): string {
  return `--${targetOptionFlag(row).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A row's help text with the targets that take it, e.g. "degrees of freedom ('student-t8')". */
export function targetOptionHelp(row: TargetOptionRow): string {
  if (row.targets === 'all') return row.help;
  return `${row.help} (${row.targets.map((t) => `'${t}'`).join(', ')})`;
}

/** The options besides dim that a built-in target takes, in the table's order. */
export function targetOptionsOf(target: string): Exclude<TargetOptionName, 'dim'>[] {
  return TARGET_OPTIONS.filter(
    (row): row is Exclude<TargetOptionEntry, { name: 'dim' }> =>
      row.targets !== 'all' && (row.targets as readonly string[]).includes(target),
  ).map((row) => row.name);
}

/** The rows of the options given (not undefined) in `values` that only built-in targets take. */
export function builtinOnlyOptions(
  values: Record<string, unknown>,
  key: (row: TargetOptionRow) => string = (row) => row.name,
): TargetOptionRow[] {
  return TARGET_OPTIONS.filter((row) => row.targets !== 'all' && values[key(row)] !== undefined);
}

/** TargetOptions from the command line's values (attribute names), e.g. `data` to dataPath. */
export function targetOptionsFromFlags(values: TargetFlagValues): TargetOptions {
  const flags = values as Record<string, unknown>;
  return Object.fromEntries(
    TARGET_OPTIONS.map((row) => [row.name, flags[targetOptionFlag(row)]]),
  ) as TargetOptions;
}

/** Zod schemas of the option values: one per kind of value (configs' numbers, or the CLI's strings). */
export type TargetOptionSchemas = Record<TargetOptionKind, z.ZodType>;

/** A zod object shape of the target options by name, each optional, from a schema per kind of value. */
export function targetOptionShape<S extends TargetOptionSchemas>(
  schemas: S,
): { [R in TargetOptionEntry as R['name']]: z.ZodOptional<S[R['kind']]> } {
  return Object.fromEntries(
    TARGET_OPTIONS.map((row) => [row.name, schemas[row.kind].optional()]),
  ) as { [R in TargetOptionEntry as R['name']]: z.ZodOptional<S[R['kind']]> };
}

/** targetOptionShape keyed by the command line's attribute names (`data` for dataPath). */
export function targetFlagShape<S extends TargetOptionSchemas>(
  schemas: S,
): { [R in TargetOptionEntry as TargetOptionFlagOf<R>]: z.ZodOptional<S[R['kind']]> } {
  return Object.fromEntries(
    TARGET_OPTIONS.map((row) => [targetOptionFlag(row), schemas[row.kind].optional()]),
  ) as { [R in TargetOptionEntry as TargetOptionFlagOf<R>]: z.ZodOptional<S[R['kind']]> };
}
