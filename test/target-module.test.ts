// A user's own target from the command line: `anneal logz --target-module FILE` and `target.module`
// in a training config. The modules are plain JavaScript outside the repository, written with the
// chainable tensor methods so that they import nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { anneal, cliEntry, scratch } from './helpers/cli.js';

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

// A Gaussian written with a mask, as users write guards: where(a is finite and above a floor, a,
// a floor). TF.js registers no gradient for the logical ops in the mask, which training's
// second-order gradients reach through tf.where's own gradient.
const MASKED = `export default {
  name: 'masked',
  dim: 2,
  logProb: (z) => {
    const a = z.square().sum(1).mul(-0.5);
    const ok = a.greater(-1e4).logicalAnd(a.isNaN().logicalNot());
    return a.where(ok, a.mul(0).add(-1e4));
  },
};
`;
// A density through prod, whose gradient needs Cumprod's, which TF.js lacks.
const PRODUCT = `export default {
  name: 'product',
  dim: 2,
  logProb: (z) => z.square().sum(1).mul(-0.5).add(z.mul(0.01).exp().prod(1).log()),
};
`;
// A Gaussian whose logProb raises after BOOM_AFTER calls (when that variable is set).
// Its cumulative sum has no compiled form, so the density runs op by op and is called at every
// step (a compiled density would stop calling the module after its first evaluation).
const THROWER = `let calls = 0;
const after = Number(process.env.BOOM_AFTER ?? Infinity);
export default {
  name: 'thrower',
  dim: 2,
  logProb: (z) => {
    if (++calls > after) throw new Error('boom at call ' + calls);
    return z.square().sum(1).mul(-0.5).add(z.cumsum(1).sum(1).mul(0));
  },
};
`;
const OOM = `export default {
  name: 'oom',
  dim: 2,
  logProb: (z) => {
    if (z.shape[0] > 2) throw new Error('Aborted(). Build with -sASSERTIONS for more info.');
    return z.square().sum(1).mul(-0.5);
  },
};
`;

describe("a user's own module under fire", () => {
  const s = scratch('anneal-module-fire-');
  const runConfig = (module: string, extra: object = {}) =>
    s.write(
      `${path.basename(module)}-${Object.keys(extra).length}.json`,
      JSON.stringify({
        target: { module },
        sampler: { kind: 'ula', steps: 4 },
        train: { iterations: 6, particles: 16, logEvery: 1, checkpointEvery: 2 },
        eval: { particles: 100 },
        ...extra,
      }),
    );

  it('a target masked with where, logicalAnd, logicalNot and isNaN trains (second-order gradients)', () => {
    const r = anneal(
      'train',
      runConfig(s.write('masked.mjs', MASKED)),
      '--out',
      join(s.dir, 'masked'),
      '--quiet',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const out = json(r.stdout);
    assert.ok(Number.isFinite(out.logZ), r.stdout);
    // log Z of the Gaussian, 2 dims: the mask cuts off nothing the sampler reaches.
    assert.ok(Math.abs(out.logZ - Math.log(2 * Math.PI)) < 6 * out.logZStdErr + 0.05, r.stdout);
  });

  it('a target whose second-order gradient TF.js lacks is refused before the run directory exists, naming the op', () => {
    const out = join(s.dir, 'product');
    const r = anneal('train', runConfig(s.write('product.mjs', PRODUCT)), '--out', out);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /^anneal: target module '.*product\.mjs': training a learned sampler differentiates the target's score, and TF\.js has no gradient for the op Cumprod that it uses; write logProb with other ops, or give the target a closed-form score\n$/,
    );
    assert.equal(existsSync(out), false);
    // Estimating with a fixed kernel needs first-order gradients only: it runs.
    const logz = anneal(
      'logz',
      '--target-module',
      join(s.dir, 'product.mjs'),
      '--sampler',
      'ais-hmc',
      '--steps',
      '8',
      '--particles',
      '100',
      '--json',
    );
    assert.equal(logz.status, 0, logz.stderr);
  });

  it("an exception raised by the module is the module's: at the check exit 2, mid-run exit 1 with the run kept to resume", () => {
    const thrower = s.write('thrower.mjs', THROWER);
    const atCheck = spawnSync(
      process.execPath,
      ['--import', 'tsx', cliEntry, 'logz', '--target-module', thrower, '--particles', '100'],
      {
        encoding: 'utf8',
        env: { ...process.env, ANNEAL_DEBUG: '', BOOM_AFTER: '0' },
      },
    );
    assert.equal(atCheck.status, 2, atCheck.stderr);
    assert.match(
      atCheck.stderr,
      /^anneal: target module '.*thrower\.mjs': target 'thrower': logProb failed on particles of shape \[2, 2\]: boom at call 1\n$/,
    );
    const env = { ...process.env, ANNEAL_DEBUG: '', BOOM_AFTER: '40' };
    for (const workers of ['1', '2']) {
      const mid = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          cliEntry,
          'logz',
          '--target-module',
          thrower,
          '--sampler',
          'ais-ula',
          '--steps',
          '60',
          '--particles',
          '100',
          '--workers',
          workers,
        ],
        { encoding: 'utf8', env },
      );
      assert.equal(mid.status, 1, mid.stderr);
      assert.match(
        mid.stderr,
        /^anneal: target module '.*thrower\.mjs': its logProb raised: boom at call \d+\n$/,
      );
    }
    const out = join(s.dir, 'thrown');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', cliEntry, 'train', runConfig(thrower), '--out', out, '--quiet'],
      { encoding: 'utf8', env },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(
      run.stderr,
      /its logProb raised: boom at call \d+; the run is kept at its last checkpoint: fix the module, then resume with: anneal train --resume .*thrown\n$/,
    );
    assert.ok(existsSync(join(out, 'checkpoint.json')));
    assert.equal(existsSync(join(out, 'eval.json')), false);
    assert.equal(existsSync(join(out, '.lock')), false);
    // With the module fixed (here: no longer told to fail), the run resumes and finishes.
    const resumed = anneal('train', '--resume', out, '--quiet', '--json');
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.ok(existsSync(join(out, 'eval.json')));
  });

  it("the engine's out-of-memory abort inside the module's logProb is said in plain words", () => {
    const r = anneal(
      'logz',
      '--target-module',
      s.write('oom.mjs', OOM),
      '--sampler',
      'ais-ula',
      '--steps',
      '4',
      '--particles',
      '100',
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^anneal: target module '.*oom\.mjs': while its logProb ran, the engine ran out of memory \(its WebAssembly heap is full\): .* create its tensors inside tf\.tidy, so that none are left behind\n$/,
    );
    assert.doesNotMatch(r.stderr, /ASSERTIONS/);
  });
});

describe('examples/targets/hierarchical-logistic.mjs (the user-target bench workload)', () => {
  it('its log density is the model written in float64, and its autodiff score is the float64 gradient', async () => {
    const { initEngine, loadTargetModule, tf, targetLogProbAndScore } =
      await import('../src/internals.js');
    await initEngine({ backend: 'wasm' });
    const target = await loadTargetModule('examples/targets/hierarchical-logistic.mjs');
    assert.equal(target.dim, 21);
    // The data from the module's formula, and the density in float64.
    const rows = 500;
    const xs = Array.from({ length: rows }, (_, i) =>
      Array.from({ length: 20 }, (_, j) => Math.fround(Math.sin(1.3 * i + 0.7 * j + 0.01 * i * j))),
    );
    const ys = xs.map((x, i) =>
      x.reduce((s, v, j) => s + v * Math.cos(j), Math.sin(2.1 * i)) > 0 ? 1 : 0,
    );
    const logp = (z: number[]) => {
      const [ls, ...w] = z as [number, ...number[]];
      let lp = -0.5 * ls * ls - 20 * ls - 10.5 * Math.log(2 * Math.PI);
      lp -= (0.5 * w.reduce((s, v) => s + v * v, 0)) / Math.exp(2 * ls);
      for (let i = 0; i < rows; i++) {
        const eta = (xs[i] as number[]).reduce((s, v, j) => s + v * (w[j] as number), 0);
        lp += (ys[i] as number) * eta - (Math.max(eta, 0) + Math.log1p(Math.exp(-Math.abs(eta))));
      }
      return lp;
    };
    const points = [0.3, -0.2, 0.1].map((s, k) =>
      Array.from({ length: 21 }, (_, j) => Math.fround(s * Math.cos(3 * j + k))),
    );
    const { logProb, score } = tf.tidy(() => {
      const r = targetLogProbAndScore(target, tf.tensor2d(points));
      return { logProb: r.logProb.arraySync(), score: r.score.arraySync() as number[][] };
    });
    points.forEach((z, k) => {
      const exact = logp(z);
      assert.ok(
        Math.abs((logProb[k] as number) - exact) < 1e-5 * Math.abs(exact),
        `${logProb[k]} vs ${exact}`,
      );
      // Central differences of the float64 density.
      for (const j of [0, 1, 20]) {
        const h = 1e-5;
        const up = [...z];
        const down = [...z];
        up[j] = (up[j] as number) + h;
        down[j] = (down[j] as number) - h;
        const fd = (logp(up) - logp(down)) / (2 * h);
        const got = (score[k] as number[])[j] as number;
        assert.ok(Math.abs(got - fd) < 1e-3 * (1 + Math.abs(fd)), `d/dz${j}: ${got} vs ${fd}`);
      }
    });
  });
});
