// Property-based tests of the config boundary (fast-check): valid configs with one field replaced
// by an arbitrary JSON value, removed, or joined by an unknown key either parse, or fail with a
// ConfigError of one line that names the field in plain words. Never another error, never zod's
// own wording. The same for command-line option values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, parseRunConfig } from '../src/train/config.js';
import { parseFlowRunConfig } from '../src/flows/config.js';
import { parseVaeRunConfig } from '../src/models/vaeConfig.js';
import { LogzOptionsSchema } from '../src/cli/logzOptions.js';
import { parseOptions } from '../src/cli/options.js';
import { UsageError } from '../src/cli/errors.js';

const RAW = /Invalid input|Invalid option|Too small|Too big|Unrecognized key|received|\[object/;

const BASES: [string, (raw: unknown) => unknown, Record<string, unknown>][] = [
  [
    'sampler',
    (raw) => parseRunConfig(raw),
    {
      seed: 1,
      target: { name: 'funnel', dim: 4 },
      sampler: {
        kind: 'uha',
        steps: 8,
        stepSize: 0.1,
        resampling: { scheme: 'gst', groupSize: 16 },
      },
      train: {
        iterations: 10,
        particles: 32,
        learningRate: 0.01,
        lrSchedule: { kind: 'step', every: 5, gamma: 0.5 },
      },
      eval: { particles: 128, batches: 4 },
    },
  ],
  [
    'flow',
    (raw) => parseFlowRunConfig(raw),
    {
      target: { name: 'mgm', dim: 2 },
      flow: { kind: 'realnvp', layers: 2 },
      train: {
        iterations: 10,
        batch: 64,
        learningRate: 0.001,
        loss: { kind: 'reverse-kl', estimator: 'path-fast' },
      },
    },
  ],
  [
    'vae',
    (raw) => parseVaeRunConfig(raw),
    {
      data: { name: 'mnist', trainImages: 100 },
      model: { latentDim: 4, hidden: [16] },
      train: { epochs: 1, objective: { kind: 'ais', samples: 2, temperatures: 3 } },
      eval: { testImages: 10 },
    },
  ],
];

/** Every path to a leaf of an object (arrays are leaves). */
function leafPaths(o: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(o).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? [[...prefix, k], ...leafPaths(v as Record<string, unknown>, [...prefix, k])]
      : [[...prefix, k]],
  );
}

function mutate(
  base: Record<string, unknown>,
  path: string[],
  op: 'set' | 'delete' | 'extra',
  value: unknown,
) {
  const copy = structuredClone(base);
  let node = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (op === 'set') node[last] = value;
  else if (op === 'delete') delete node[last];
  else node[`${last}Typo`] = value;
  return copy;
}

const jsonValue = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

describe('config boundary (property-based)', () => {
  for (const [kind, parse, base] of BASES) {
    it(`${kind} configs: any one-field change parses or fails in one plain line`, () => {
      assert.doesNotThrow(() => parse(base));
      const paths = leafPaths(base);
      fc.assert(
        fc.property(
          fc.constantFrom(...paths),
          fc.constantFrom('set', 'delete', 'extra'),
          jsonValue,
          (path, op, value) => {
            const raw = mutate(base, path, op as 'set' | 'delete' | 'extra', value);
            try {
              parse(raw);
            } catch (error) {
              assert.ok(
                error instanceof ConfigError,
                `${String(error)} for ${JSON.stringify(raw)}`,
              );
              assert.doesNotMatch(error.message, /\n/);
              assert.doesNotMatch(error.message, RAW, error.message);
              assert.match(error.message, /^config: [\w.() ]+: /);
            }
          },
        ),
        { numRuns: 400, seed: 7 },
      );
    });
  }

  it('command-line option values: any string parses or fails in one plain line naming the option', () => {
    const valid = {
      target: 'funnel',
      sampler: 'ais-ula',
      steps: '64',
      particles: '1000',
      seed: '0',
      schedule: 'linear',
      batches: '10',
      trainIters: '0',
      trainParticles: '256',
      lr: '0.005',
      initMean: '0',
      initScale: '1',
    };
    const keys = [
      'steps',
      'particles',
      'seed',
      'eta',
      'stepSize',
      'leapfrog',
      'essThreshold',
      'lr',
      'sampler',
      'schedule',
      'batches',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.string({ maxLength: 10 }), (key, value) => {
        try {
          parseOptions(LogzOptionsSchema, { ...valid, [key]: value });
        } catch (error) {
          assert.ok(error instanceof UsageError, String(error));
          const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
          assert.ok(error.message.startsWith(`${flag}: `), error.message);
          assert.doesNotMatch(error.message, /\n/);
          assert.doesNotMatch(error.message, RAW, error.message);
        }
      }),
      { numRuns: 400, seed: 11 },
    );
  });
});
