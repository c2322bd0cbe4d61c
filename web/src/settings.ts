// The playground's settings: what the URL and the form hold, validated field by field so that each
// bad value gets its own one-line message next to its control, and the page keeps working.
import { z } from 'zod';
import {
  SAMPLER_TABLE,
  baseSampler,
  samplerTakes,
  type AnySamplerName,
  type LearnedSamplerName,
  type SamplerOption,
} from '../../src/annealing/samplerTable.js';

export const PAGE_TARGETS = [
  'gmm8',
  'mgm',
  'rings',
  'funnel',
  'double-well',
  'gaussian',
  'gmm40',
] as const;
export type PageTarget = (typeof PAGE_TARGETS)[number];

/**
 * The page's sampler menu, and what each choice is in the library's sampler table
 * (SAMPLER_TABLE): `sampler`, its entry there ('smc' is the page's name for SMC with ULA moves;
 * 'flow' and 'fab', normalizing flows trained on the reverse KL or by FAB, are no annealed
 * samplers); `trainsAs`, the learned sampler the page
 * builds for a fixed sampler so that Train can improve it (its AIS-ULA is an untrained learned
 * ULA: the same step at every step and the linear schedule, until trained).
 */
const PAGE_SAMPLER_TABLE = {
  'ais-ula': { sampler: 'ais-ula', trainsAs: 'ula' },
  'ais-hmc': { sampler: 'ais-hmc' },
  'ais-mala': { sampler: 'ais-mala' },
  uha: { sampler: 'uha' },
  'ula-mcd': { sampler: 'ula-mcd' },
  cmcd: { sampler: 'cmcd' },
  smc: { sampler: 'smc-ula' },
  flow: { sampler: null },
  fab: { sampler: null },
} as const satisfies Record<
  string,
  { sampler: AnySamplerName | null; trainsAs?: LearnedSamplerName }
>;

export type PageSampler = keyof typeof PAGE_SAMPLER_TABLE;
export const PAGE_SAMPLERS = Object.keys(PAGE_SAMPLER_TABLE) as [PageSampler, ...PageSampler[]];

/** Whether a page sampler is a flow (trained on the reverse KL, or by FAB) rather than a chain. */
export function isFlowSampler(sampler: PageSampler): boolean {
  return PAGE_SAMPLER_TABLE[sampler].sampler === null;
}

/** The library sampler a page sampler runs (null for the flows). */
export function librarySampler(sampler: PageSampler): AnySamplerName | null {
  return PAGE_SAMPLER_TABLE[sampler].sampler;
}

/**
 * The LearnedSampler kind the page builds for a sampler (null: a fixed kernel, or the flow): the
 * table's learned samplers move with their base kind (smc-ula: ula).
 */
export function learnedKind(sampler: PageSampler): LearnedSamplerName | null {
  const page: { sampler: AnySamplerName | null; trainsAs?: LearnedSamplerName } =
    PAGE_SAMPLER_TABLE[sampler];
  if (page.trainsAs) return page.trainsAs;
  const name = librarySampler(sampler);
  return name && SAMPLER_TABLE[name].learned ? (baseSampler(name) as LearnedSamplerName) : null;
}

/** Whether a setting of the library's (step size, leapfrog steps) applies to a page sampler. */
export function pageSamplerTakes(sampler: PageSampler, option: SamplerOption): boolean {
  const name = librarySampler(sampler);
  return name !== null && samplerTakes(name, option);
}

/**
 * Samplers with a reparameterized ELBO to train: the learned ones and the flow (Metropolis-
 * corrected moves, HMC's and MALA's, have none).
 */
export const TRAINABLE: readonly PageSampler[] = PAGE_SAMPLERS.filter(
  (s) => isFlowSampler(s) || learnedKind(s) !== null,
);

export const PAGE_RESAMPLING = [
  'multinomial',
  'systematic',
  'stratified',
  'residual',
  'gst',
] as const;
export const PAGE_SCHEDULES = ['linear', 'geometric'] as const;
export const PAGE_BACKENDS = ['auto', 'webgl', 'wasm', 'cpu'] as const;

/** Cap on steps x particles: the trace is kept for the animation and the tab must not stall. */
export const MAX_WORK = 2_000_000;

export interface Settings {
  target: PageTarget;
  sampler: PageSampler;
  /** Annealing steps K (flow: unused). */
  steps: number;
  particles: number;
  /** Step size (ULA and MALA delta or leapfrog epsilon); null: the target's default. */
  stepSize: number | null;
  /**
   * HMC / UHA leapfrog steps per transition; null: the library's default (SAMPLER_DEFAULTS for
   * HMC, LEARNED_DEFAULTS for UHA: 5 and 1, as in the MCD paper).
   */
  leapfrog: number | null;
  schedule: (typeof PAGE_SCHEDULES)[number];
  /** SMC resampling scheme and the ESS fraction below which a system resamples. */
  resampling: (typeof PAGE_RESAMPLING)[number];
  ess: number;
  /** Coupling layers of the flow. */
  layers: number;
  /** Scale of the initial N(0, s^2 I); null: the target's default. */
  initScale: number | null;
  seed: number;
  /** Training: iterations per press of "train", particles per iteration, Adam's learning rate. */
  iters: number;
  batch: number;
  lr: number;
  backend: (typeof PAGE_BACKENDS)[number];
  /** Run (and, with autotrain, train first) as soon as the page loads. */
  autorun: boolean;
  autotrain: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  target: 'gmm8',
  sampler: 'ais-hmc',
  steps: 64,
  particles: 500,
  stepSize: null,
  leapfrog: null,
  schedule: 'linear',
  resampling: 'systematic',
  ess: 0.5,
  layers: 6,
  initScale: null,
  seed: 1,
  iters: 100,
  batch: 128,
  lr: 0.01,
  backend: 'auto',
  autorun: false,
  autotrain: false,
};

const int = (lo: number, hi: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${lo} to ${hi}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(lo, `must be a whole number from ${lo} to ${hi}`)
        .max(hi, `must be a whole number from ${lo} to ${hi}`),
    );

const real = (lo: number, hi: number, what = `a number in (${lo}, ${hi}]`) =>
  z
    .string()
    .trim()
    .refine((s) => s !== '' && Number.isFinite(Number(s)), `must be ${what}`)
    .transform(Number)
    .pipe(z.number().gt(lo, `must be ${what}`).max(hi, `must be ${what}`));

const optionalInt = (lo: number, hi: number) =>
  z.union([
    z.literal('auto').transform(() => null),
    z
      .string()
      .trim()
      .regex(/^\d+$/, `must be 'auto' or a whole number from ${lo} to ${hi}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(lo, `must be 'auto' or a whole number from ${lo} to ${hi}`)
          .max(hi, `must be 'auto' or a whole number from ${lo} to ${hi}`),
      ),
  ]);

const optionalReal = (lo: number, hi: number) =>
  z.union([
    z.literal('auto').transform(() => null),
    real(lo, hi, `'auto' or a number in (${lo}, ${hi}]`),
  ]);

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

const flag = z
  .enum(['0', '1', 'true', 'false'], { error: 'must be 0 or 1' })
  .transform((s) => s === '1' || s === 'true');

const FIELDS: { [K in keyof Settings]: z.ZodType<Settings[K], string> } = {
  target: oneOf(PAGE_TARGETS),
  sampler: oneOf(PAGE_SAMPLERS),
  steps: int(1, 512),
  particles: int(2, 5000),
  stepSize: optionalReal(0, 10),
  leapfrog: optionalInt(1, 20),
  schedule: oneOf(PAGE_SCHEDULES),
  resampling: oneOf(PAGE_RESAMPLING),
  ess: real(0, 1),
  layers: int(1, 12),
  initScale: optionalReal(0, 50),
  seed: int(0, 2 ** 31 - 1),
  iters: int(1, 5000),
  batch: int(2, 2000),
  lr: real(0, 1),
  backend: oneOf(PAGE_BACKENDS),
  autorun: flag,
  autotrain: flag,
};

export const SETTING_NAMES = Object.keys(FIELDS) as (keyof Settings)[];

export interface SettingsError {
  /** The setting at fault, or null for one about the whole URL. */
  field: keyof Settings | null;
  message: string;
}

export interface ParsedSettings {
  /** Valid values, with defaults where a value is missing or bad. */
  settings: Settings;
  errors: SettingsError[];
}

/** Reads settings from raw strings (URL parameters or form fields); never throws. */
export function parseSettings(raw: Iterable<[string, string]>): ParsedSettings {
  const settings: Settings = { ...DEFAULT_SETTINGS };
  const errors: SettingsError[] = [];
  const seen = new Set<string>();
  for (const [key, value] of raw) {
    if (!(SETTING_NAMES as string[]).includes(key)) {
      errors.push({
        field: null,
        message: `unknown setting '${key}'; known: ${SETTING_NAMES.join(', ')}`,
      });
      continue;
    }
    if (seen.has(key)) {
      errors.push({ field: key as keyof Settings, message: `${key}: given more than once` });
      continue;
    }
    seen.add(key);
    const name = key as keyof Settings;
    const result = FIELDS[name].safeParse(value);
    if (result.success) (settings as unknown as Record<string, unknown>)[name] = result.data;
    else {
      const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
      const why = result.error.issues[0]?.message ?? 'is not valid';
      errors.push({ field: name, message: `${name} ${why} (got '${shown}')` });
    }
  }
  if (errors.length === 0) errors.push(...crossCheck(settings));
  return { settings, errors };
}

/** Rules that involve more than one setting. */
function crossCheck(s: Settings): SettingsError[] {
  const errors: SettingsError[] = [];
  const work = (isFlowSampler(s.sampler) ? s.layers + 1 : s.steps + 1) * s.particles;
  if (work > MAX_WORK) {
    errors.push({
      field: 'particles',
      message: `particles x (steps + 1) is ${work.toLocaleString('en-US')}; keep it at most ${MAX_WORK.toLocaleString('en-US')} so the tab does not stall`,
    });
  }
  if (s.autotrain && !TRAINABLE.includes(s.sampler)) {
    errors.push({
      field: 'autotrain',
      message: `autotrain: ${s.sampler} has nothing to train (Metropolis-corrected moves have no reparameterized gradient)`,
    });
  }
  return errors;
}

/** The URL query of the settings that differ from the defaults (a shareable link). */
export function settingsToQuery(s: Settings): string {
  const params = new URLSearchParams();
  for (const name of SETTING_NAMES) {
    const v = s[name];
    if (v === DEFAULT_SETTINGS[name] || name === 'autorun' || name === 'autotrain') continue;
    params.set(name, v === null ? 'auto' : String(v));
  }
  return params.toString();
}

/** A setting as the form shows it. */
export function formValue(s: Settings, name: keyof Settings): string {
  const v = s[name];
  if (v === null) return 'auto';
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}
