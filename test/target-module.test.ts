// A user's own target from the command line: `anneal logz --target-module FILE` and `target.module`
// in a training config. The modules are plain JavaScript outside the repository, written with the
// chainable tensor methods so that they import nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { describe, it } from 'node:test';
import { anneal, scratch } from './helpers/cli.js';

// log gamma(z) = -|z - 1|^2 / 2 in 3 dimensions: log Z = (3/2) log(2 pi).
const GAUSSIAN = `export default {
  name: 'shifted',
  dim: 3,
  logProb: (z) => z.sub(1).square().sum(1).mul(-0.5),
  logZ: 1.5 * Math.log(2 * Math.PI),
};
`;
// A factory: the dimension comes from --dim (or the config's target.dim).
const FACTORY = `export const target = ({ dim = 2 }) => ({
  name: 'iso-' + dim,
  dim,
  logProb: (z) => z.square().sum(1).mul(-0.5),
  logZ: (dim / 2) * Math.log(2 * Math.PI),
});
`;
const COLUMN = `export default { name: 'column', dim: 2, logProb: (z) => z.square().sum(1, true).mul(-0.5) };
`;

interface Out {
  target: string;
  logZ: number;
  logZStdErr: number;
  trueLogZ: number;
}
const json = (stdout: string) => JSON.parse(stdout) as Out;

describe('anneal logz --target-module', () => {
  const s = scratch('anneal-module-');
  const gaussian = s.write('gaussian.mjs', GAUSSIAN);
  const factory = s.write('factory.mjs', FACTORY);

  it('estimates the log Z of a module target within its standard error, on workers too', () => {
    const args = ['logz', '--target-module', gaussian, '--sampler', 'ais-hmc', '--steps', '32'];
    const one = anneal(...args, '--json');
    assert.equal(one.status, 0, one.stderr);
    const r = json(one.stdout);
    assert.equal(r.target, 'shifted');
    assert.ok(Math.abs(r.logZ - r.trueLogZ) < 4 * r.logZStdErr + 0.01, one.stdout);
    const two = anneal(...args, '--workers', '2', '--json');
    assert.equal(two.status, 0, two.stderr);
    assert.equal(json(two.stdout).logZ, r.logZ);
  });

  it('passes --dim to a factory export, and refuses options of built-in targets', () => {
    const r = anneal(
      'logz',
      '--target-module',
      factory,
      '--dim',
      '5',
      '--sampler',
      'ais-ula',
      '--steps',
      '8',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(json(r.stdout).target, 'iso-5');
    const loc = anneal('logz', '--target-module', factory, '--loc', '2');
    assert.equal(loc.status, 2);
    assert.match(loc.stderr, /--loc applies to built-in targets, not to --target-module/);
  });

  it('refuses a bad module in one line: wrong shape, missing file, no export, two targets', () => {
    const cases: [string[], RegExp][] = [
      [
        ['--target-module', s.write('column.mjs', COLUMN)],
        /target 'column': logProb must return shape \[N\] for particles \[N, 2\]/,
      ],
      [
        ['--target-module', join(s.dir, 'missing.mjs')],
        /target module '.*missing.mjs' does not exist/,
      ],
      [
        ['--target-module', s.write('none.mjs', 'export const x = 1;\n')],
        /must export a target .* as its default export or as 'target'/,
      ],
      [
        ['--target-module', s.write('broken.mjs', 'export default {\n')],
        /target module '.*broken.mjs' failed to load/,
      ],
      [
        ['--target-module', gaussian, '--target', 'funnel'],
        /give --target or --target-module, not both/,
      ],
      // A module whose load never settles leaves the process nothing to wait on: it is named.
      [
        [
          '--target-module',
          s.write('hang.mjs', 'await new Promise(() => {});\nexport default {};\n'),
        ],
        /^anneal: target module '.*hang\.mjs' never finished loading: its top-level await never settles$/m,
      ],
      [
        [
          '--target-module',
          s.write('hang-factory.mjs', 'export default () => new Promise(() => {});\n'),
        ],
        /^anneal: target module '.*hang-factory\.mjs' never finished loading: its target factory never settles$/m,
      ],
    ];
    for (const [args, message] of cases) {
      const r = anneal('logz', ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('anneal train with target.module', () => {
  it('trains on a module target, records its absolute path and resumes from it', () => {
    const s = scratch('anneal-module-train-');
    s.write('factory.mjs', FACTORY);
    // A relative module path, from the working directory of the command.
    const relative = path.relative(process.cwd(), join(s.dir, 'factory.mjs'));
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: {
          module: relative.startsWith('/') ? join(s.dir, 'factory.mjs') : relative,
          dim: 3,
        },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 4, particles: 16, logEvery: 2, checkpointEvery: 2 },
        eval: { particles: 100 },
      }),
    );
    const out = join(s.dir, 'run');
    const first = anneal('train', config, '--out', out, '--stop-after', '2', '--quiet');
    assert.equal(first.status, 0, first.stderr);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      target: { module: string };
    };
    assert.equal(saved.target.module, join(s.dir, 'factory.mjs'));
    const resumed = anneal('train', '--resume', out, '--quiet', '--json');
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(json(resumed.stdout).target, `module ${join(s.dir, 'factory.mjs')}`);
  });

  it('a module whose target is wrong fails before the run directory exists', () => {
    const s = scratch('anneal-module-bad-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { module: s.write('column.mjs', COLUMN) },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 4, particles: 16 },
      }),
    );
    const out = join(s.dir, 'run');
    const r = anneal('train', config, '--out', out);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /target 'column': logProb must return shape \[N\]/);
    assert.equal(existsSync(out), false);
    const both = s.write(
      'both.json',
      JSON.stringify({
        target: { module: 'x.mjs', name: 'funnel' },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 4, particles: 16 },
      }),
    );
    const r2 = anneal('train', both, '--out', join(s.dir, 'run2'));
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /give name \(a built-in target\) or module \(your own\), one of them/);
  });
});
