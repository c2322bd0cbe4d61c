// Bad input on the command line: each case exits 2 with exactly one line on stderr that names
// what is wrong, without raw system or library text, and writes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { anneal, scratch } from './helpers/cli.js';

const RAW = /internal error|EISDIR|EEXIST|ENOENT|EACCES|at \w+ \(|Invalid input|typed array/;

function refused(args: string[], message: RegExp): void {
  const r = anneal(...args);
  assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${args.join(' ')}:\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, RAW);
}

describe('bad input on the command line', () => {
  it('file-system mistakes name the path in one line', () => {
    const s = scratch('anneal-bad-');
    const file = s.write('file', 'x');
    const before = readdirSync(s.dir).sort();
    refused(['train', s.dir], /config '.*' is a folder; give a config file/);
    refused(['flow', 'train', s.dir], /config '.*' is a folder; give a config file/);
    refused(
      ['train', 'configs/funnel-uha.yaml', '--out', file],
      /run directory '.*file' is a file; choose a folder for --out/,
    );
    refused(
      ['train', 'configs/funnel-uha.yaml', '--out', ''],
      /the run directory \(--out\) is an empty path/,
    );
    refused(['train', join(s.dir, 'missing.yaml')], /config file not found: '.*missing.yaml'/);
    assert.deepEqual(readdirSync(s.dir).sort(), before);
    writeFileSync(join(s.dir, 'bad.json'), '{"target": ');
    refused(
      ['train', join(s.dir, 'bad.json')],
      /config file '.*bad.json' is cut short \(its JSON ends before it is complete\)/,
    );
    assert.equal(existsSync(join('runs', 'bad')), false);
  });

  it('anneal, anneal flow and anneal vae without a command print their usage and exit 2', () => {
    for (const args of [[], ['flow'], ['vae']]) {
      const r = anneal(...args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(
        r.stderr,
        new RegExp(`^Usage: anneal${args.length ? ` ${args[0]}` : ''} \\[options\\] \\[command\\]`),
      );
      assert.match(r.stderr, /Commands:/);
    }
  });

  it('a valid particle count never fails for want of a batch count', () => {
    const r = anneal(
      'logz',
      '--target',
      'ionosphere',
      '--sampler',
      'smc-hmc',
      '--steps',
      '4',
      '--particles',
      '256',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const prime = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'ais-ula',
      '--steps',
      '4',
      '--particles',
      '997',
    );
    assert.equal(prime.status, 0, prime.stderr);
    // AIS particles are independent: the standard error needs no batches.
    assert.match(prime.stdout, /standard error over 997 independent particles/);
    const smc = anneal(
      'logz',
      ...['--target', 'gaussian', '--sampler', 'smc-hmc', '--steps', '4', '--particles', '997'],
    );
    assert.equal(smc.status, 0, smc.stderr);
    assert.match(smc.stdout, /one batch, so no standard error/);
  });
});

describe('results that should not be trusted', () => {
  it('HMC that never accepts, and degenerate weights, come with warnings on stderr and in the JSON', () => {
    const hmc = anneal(
      'logz',
      '--target',
      'funnel',
      '--sampler',
      'ais-hmc',
      '--step-size',
      '1e6',
      '--steps',
      '20',
      '--json',
    );
    assert.equal(hmc.status, 0, hmc.stderr);
    assert.match(
      hmc.stderr,
      /^anneal: warning: mean acceptance 0\.0\d\d \(below 0.05, averaged over the steps\).*lower the step size/,
    );
    const out = JSON.parse(hmc.stdout) as { warnings: string[] };
    assert.ok(out.warnings.some((w) => w.startsWith('mean acceptance')));
    const ess = anneal(
      'logz',
      '--target',
      'gmm8',
      '--sampler',
      'ais-ula',
      '--steps',
      '10',
      '--particles',
      '1000',
      '--json',
    );
    assert.equal(ess.status, 0, ess.stderr);
    assert.match(
      ess.stderr,
      /warning: ESS \d+\.\d of 1000 particles \(below 1%, over all particles\)/,
    );
    const fine = anneal(
      'logz',
      '--target',
      'gaussian',
      '--sampler',
      'ais-hmc',
      '--steps',
      '20',
      '--json',
    );
    assert.equal(fine.stderr, '');
    assert.deepEqual((JSON.parse(fine.stdout) as { warnings: string[] }).warnings, []);
  });
});

describe('library wording never reaches the user', () => {
  it('bad numbers, work that cannot fit, and runs of another kind are refused in one line', () => {
    refused(
      ['logz', '--target', 'funnel', '--sampler', 'uha', '--eta', 'abc'],
      /--eta: expected a number in \(0, 1\) \(got 'abc'\)/,
    );
    refused(
      ['logz', '--target', 'funnel', '--particles', '0x10'],
      /--particles: expected a number \(got '0x10'\)/,
    );
    refused(
      ['logz', '--target', 'funnel', '--ess-threshold', '1.5', '--sampler', 'smc-hmc'],
      /--ess-threshold: expected a number in \(0, 1\]/,
    );
    refused(
      ['logz', '--target', 'funnel', '--sampler', 'ais-ula', '--particles', '1e9', '--steps', '2'],
      /1000000000 particles in 10 dimensions need about \d+\.\d GiB at once, more than the \d+\.\d GiB this run can use .*: lower the particles/,
    );
    refused(
      ['logz', '--target', 'funnel', '--sampler', 'ais-ula', '--steps', '1e9'],
      /1000000000 annealing steps is more than the 1,000,000 a run takes: lower the steps/,
    );
    refused(
      ['logz', '--target', 'funnel', '--sampler', 'uha', '--steps', '1e9'],
      /annealing steps is more than the 1,000,000/,
    );
    const s = scratch('anneal-kind-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'gaussian', dim: 2 },
        sampler: { kind: 'ula', steps: 2 },
        train: { iterations: 2, particles: 8 },
        eval: { particles: 20, batches: 2 },
      }),
    );
    const run = join(s.dir, 'run');
    assert.equal(anneal('train', config, '--out', run, '--quiet').status, 0);
    refused(
      ['flow', 'eval', '--from', run],
      /'.*run' is a sampler run, not a flow run; use anneal logz --from or anneal train --resume/,
    );
    refused(
      ['vae', 'eval', '--from', run],
      /'.*run' is a sampler run, not a vae run; use anneal logz --from/,
    );
    refused(['flow', 'train', '--resume', run], /is a sampler run, not a flow run/);
  });
});

describe('options the run would ignore', () => {
  it('are refused in one line instead of silently dropped', () => {
    const f = ['logz', '--target', 'funnel'];
    refused(
      [...f, '--sampler', 'ais-ula', '--eta', '0.5'],
      /--eta applies to the UHA samplers \(uha, uha-mcd, ldvi, cmcd-ud, smc-uha\), not ais-ula/,
    );
    refused(
      [...f, '--sampler', 'ais-ula', '--leapfrog', '3'],
      /--leapfrog applies to HMC and UHA samplers, not ais-ula/,
    );
    refused(
      [...f, '--sampler', 'smc-hmc', '--temperature', '0.2'],
      /--temperature applies to the gst and bern-gst resampling schemes, not systematic/,
    );
    refused(
      [...f, '--sampler', 'smc-hmc', '--resampling', 'bern-cat', '--ess-threshold', '0.5'],
      /--ess-threshold does not apply to bern-cat/,
    );
    refused([...f, '--sampler', 'ais-ula', '--lr', '0.1'], /--lr applies to learned samplers/);
    const s = scratch('anneal-ignored-');
    const config = s.write(
      'run.json',
      JSON.stringify({
        target: { name: 'gaussian', dim: 2 },
        sampler: { kind: 'ula', steps: 2 },
        train: { iterations: 2, particles: 8 },
        eval: { particles: 20, batches: 2 },
      }),
    );
    const run = join(s.dir, 'run');
    assert.equal(anneal('train', config, '--out', run, '--quiet').status, 0);
    refused(
      ['logz', '--from', run, '--steps', '10', '--step-size', '0.1'],
      /--from evaluates the trained run as it is; --steps, --step-size do not apply/,
    );
    refused(
      ['train', '--resume', run, '--backend', 'cpu'],
      /--backend does not apply with --resume/,
    );
    const vae = s.write(
      'vae.json',
      JSON.stringify({ data: { name: 'mnist', trainImages: 70000 }, train: { epochs: 1 } }),
    );
    refused(
      ['vae', 'train', vae, '--out', join(s.dir, 'vae')],
      /data.trainImages is 70000, but the mnist training split has 50000 images/,
    );
    assert.equal(existsSync(join(s.dir, 'vae')), false);
  });
});

describe('no half-written run directories', () => {
  it('configs that cannot run are refused before their run directory exists', () => {
    const s = scratch('anneal-half-');
    const cases: [string[], object, RegExp][] = [
      [
        ['train'],
        {
          target: { name: 'nope' },
          sampler: { kind: 'ula', steps: 2 },
          train: { iterations: 2, particles: 8 },
        },
        /unknown target 'nope'/,
      ],
      [
        ['train'],
        {
          target: { name: 'rings', dim: 3 },
          sampler: { kind: 'ula', steps: 2 },
          train: { iterations: 2, particles: 8 },
        },
        /rings/,
      ],
      [
        ['train'],
        {
          target: { name: 'funnel', kappa: 1 },
          sampler: { kind: 'ula', steps: 2 },
          train: { iterations: 2, particles: 8 },
        },
        /option 'kappa' does not apply to target 'funnel'/,
      ],
      [
        ['train'],
        {
          target: { name: 'funnel' },
          sampler: { kind: 'uha', steps: 2 },
          train: { iterations: 2, particles: 8, objective: { kind: 'logvar' } },
        },
        /train\.objective\.kind: logvar runs for the ULA samplers \(ula, ula-mcd, cmcd\), not 'uha'/,
      ],
      [
        ['flow', 'train'],
        {
          target: { name: 'nope', dim: 2 },
          flow: { kind: 'realnvp', layers: 2 },
          train: { iterations: 2 },
        },
        /unknown target 'nope'/,
      ],
      [
        ['flow', 'train'],
        {
          target: { name: 'gaussian', dim: 1 },
          flow: { kind: 'realnvp', layers: 2 },
          train: { iterations: 2 },
        },
        /a coupling flow needs dim >= 2/,
      ],
      [
        ['train'],
        {
          target: { name: 'funnel' },
          sampler: { kind: 'ula', steps: 2, initialFlow: join(s.dir, 'no-flow') },
          train: { iterations: 2, particles: 8 },
        },
        /no-flow/,
      ],
    ];
    cases.forEach(([command, config, message], i) => {
      const file = s.write(`c${i}.json`, JSON.stringify(config));
      const out = join(s.dir, `run${i}`);
      refused([...command, file, '--out', out], message);
      assert.equal(existsSync(out), false, `${command.join(' ')} c${i}: ${out} was created`);
    });
  });
});

describe('the engine under a memory limit', () => {
  it('a wasm backend that cannot get its heap says so in one line', (t) => {
    // The built binary: tsx itself needs wasm memory to start.
    const entry = join(process.cwd(), 'bin/anneal.js');
    const r = spawnSync(
      'bash',
      [
        '-c',
        `ulimit -v 3000000; exec "${process.execPath}" "${entry}" logz --target funnel --sampler ais-ula --steps 4 --quiet`,
      ],
      { encoding: 'utf8', env: { ...process.env, ANNEAL_DEBUG: '' } },
    );
    if (r.error || !r.stderr.includes('anneal:')) {
      t.skip(
        `this machine cannot run the check under ulimit -v (${r.error?.message ?? r.stderr.slice(0, 100)})`,
      );
      return;
    }
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /^anneal: backend 'wasm' failed to start: .*memory.*use the cpu backend\)/,
    );
  });
});
