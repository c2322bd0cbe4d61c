// The bad-input suite: well over 150 invocations of the command line with a mistake in an option
// value, an option combination, a config file or a run directory. Each must return exit status 2
// with exactly one line on stderr, no raw library or system wording, and write nothing. They run
// in this process through the CLI's main() (the same code as the `anneal` binary, without a Node
// start-up per case); test/bad-input.test.ts runs a sample as real child processes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { annealInProcess } from './helpers/inProcess.js';

const RAW =
  /internal error|EISDIR|EEXIST|ENOENT|EACCES|at \w+ \(|Invalid input|Invalid option|Too small|Too big|Unrecognized key|received|typed array|TypeError|undefined|JSON at position|Unexpected token|end of JSON input|Cannot read properties|YAML\.|YAMLWarning|ASSERTIONS/;

const dir = mkdtempSync(join(tmpdir(), 'anneal-bad-suite-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const run = annealInProcess;

// Option values that are wrong for every option of their kind.
const BAD_INT = ['abc', '-3', '0', '2.5', '0x10', ''];
const BAD_NONNEG_INT = ['abc', '-1', '1.5'];
const BAD_POSITIVE = ['abc', '-1', '0', 'Infinity'];
const logz = ['logz', '--target', 'funnel'];

const cases: [string, string[]][] = [];
const add = (name: string, argv: string[]) => cases.push([name, argv]);

for (const option of ['--steps', '--particles', '--batches', '--train-particles', '--workers'])
  for (const v of BAD_INT) add(`${option} ${v}`, [...logz, '--sampler', 'ais-ula', option, v]);
for (const option of ['--seed'])
  for (const v of BAD_NONNEG_INT) add(`${option} ${v}`, [...logz, option, v]);
for (const option of ['--step-size', '--lr', '--temperature'])
  for (const v of BAD_POSITIVE) add(`${option} ${v}`, [...logz, '--sampler', 'uha', option, v]);
for (const option of ['--loc', '--sigma2'])
  for (const v of BAD_POSITIVE) add(`${option} ${v}`, [...logz, option, v]);
for (const v of ['abc', '0', '1', '-0.5', '2'])
  add(`--eta ${v}`, [...logz, '--sampler', 'uha', '--eta', v]);
for (const v of ['abc', '0', '1.5', '-1'])
  add(`--ess-threshold ${v}`, [...logz, '--sampler', 'smc-hmc', '--ess-threshold', v]);
for (const v of BAD_INT) add(`--leapfrog ${v}`, [...logz, '--sampler', 'ais-hmc', '--leapfrog', v]);
for (const v of BAD_INT.slice(0, 4)) add(`--dim ${v}`, [...logz, '--dim', v]);
for (const v of BAD_INT.slice(0, 4))
  add(`--train-iters ${v}`, [...logz, '--sampler', 'uha', '--train-iters', v === '0' ? '-2' : v]);
for (const [option, value] of <[string, string][]>[
  ['--sampler', 'hmc'],
  ['--sampler', 'ULA'],
  ['--backend', 'gpu'],
  ['--backend', 'webgpu'], // without its optional packages (as here) or a GPU adapter
  ['--target', 'nope'],
  ['--target', 'Funnel'],
])
  add(`${option} ${value}`, ['logz', '--target', 'funnel', option, value]);
// Options of the fixed samplers, given with one (the default auto sampler refuses them outright).
for (const [option, value] of <[string, string][]>[
  ['--schedule', 'cosine'],
  ['--resampling', 'fancy'],
])
  add(`${option} ${value}`, [...logz, '--sampler', 'ais-ula', option, value]);
// Combinations a run would ignore or cannot honour.
for (const [name, argv] of [
  ['no target', ['logz']],
  ['target and module', [...logz, '--target-module', 'x.mjs']],
  ['eta with ais-ula', [...logz, '--sampler', 'ais-ula', '--eta', '0.5']],
  ['eta with ais-hmc', [...logz, '--sampler', 'ais-hmc', '--eta', '0.5']],
  ['leapfrog with ula', [...logz, '--sampler', 'ula', '--leapfrog', '2']],
  ['temperature with systematic', [...logz, '--sampler', 'smc-hmc', '--temperature', '0.3']],
  ['temperature with AIS', [...logz, '--sampler', 'ais-ula', '--temperature', '0.3']],
  ['resampling with AIS', [...logz, '--sampler', 'ais-ula', '--resampling', 'systematic']],
  ['ess-threshold with AIS', [...logz, '--sampler', 'ais-ula', '--ess-threshold', '0.5']],
  [
    'ess-threshold with bern-gst',
    [...logz, '--sampler', 'smc-hmc', '--resampling', 'bern-gst', '--ess-threshold', '0.5'],
  ],
  ['lr with ais-hmc', [...logz, '--sampler', 'ais-hmc', '--lr', '0.1']],
  ['train-particles with ais-ula', [...logz, '--sampler', 'ais-ula', '--train-particles', '64']],
  ['train-iters with ais-ula', [...logz, '--sampler', 'ais-ula', '--train-iters', '5']],
  [
    'particles not in whole batches',
    [...logz, '--sampler', 'ais-ula', '--particles', '1001', '--batches', '10'],
  ],
  ['too many particles', [...logz, '--sampler', 'ais-ula', '--particles', '1e9', '--steps', '2']],
  ['too many steps', [...logz, '--sampler', 'ais-ula', '--steps', '1e9']],
  ['too many learned steps', [...logz, '--sampler', 'uha', '--steps', '1e9']],
  ['loc on funnel', [...logz, '--loc', '2']],
  ['kappa on funnel', [...logz, '--kappa', '0.1']],
  ['df on gaussian', ['logz', '--target', 'gaussian', '--df', '3']],
  ['width on many-well', ['logz', '--target', 'many-well', '--width', '4']],
  ['odd many-well', ['logz', '--target', 'many-well', '--dim', '3']],
  ['rings in 3-d', ['logz', '--target', 'rings', '--dim', '3']],
  ['sonar in 5-d', ['logz', '--target', 'sonar', '--dim', '5']],
  ['missing data file', ['logz', '--target', 'sonar', '--data', join(dir, 'missing.csv')]],
  ['unknown option', [...logz, '--stepz', '3']],
  ['unknown command', ['estimate']],
  ['unknown flow command', ['flow', 'fit']],
  ['unknown craft command', ['craft', 'fit']],
  ['missing --from for craft eval', ['craft', 'eval']],
  ['craft eval of a missing run', ['craft', 'eval', '--from', join(dir, 'no-run')]],
  ['craft train without config', ['craft', 'train']],
  ['craft resume a missing run', ['craft', 'train', '--resume', join(dir, 'no-run')]],
  ['craft eval bad systems', ['craft', 'eval', '--from', dir, '--systems', '0']],
  ['unknown vae command', ['vae', 'fit']],
  ['missing --from for flow eval', ['flow', 'eval']],
  ['missing --from for vae eval', ['vae', 'eval']],
  ['from a missing run', ['logz', '--from', join(dir, 'no-run')]],
  ['from a folder that is no run', ['logz', '--from', dir]],
  ['from with steps', ['logz', '--from', dir, '--steps', '3']],
  ['flow eval of a missing run', ['flow', 'eval', '--from', join(dir, 'no-run')]],
  ['vae eval of a missing run', ['vae', 'eval', '--from', join(dir, 'no-run')]],
  ['plot of a missing run', ['plot', join(dir, 'no-run')]],
  ['plot of a folder that is no run', ['plot', dir]],
  ['train without config', ['train']],
  ['flow train without config', ['flow', 'train']],
  ['vae train without config', ['vae', 'train']],
  ['resume a missing run', ['train', '--resume', join(dir, 'no-run')]],
  ['flow resume a missing run', ['flow', 'train', '--resume', join(dir, 'no-run')]],
  ['vae resume a missing run', ['vae', 'train', '--resume', join(dir, 'no-run')]],
  ['config and resume', ['train', 'configs/funnel-uha.yaml', '--resume', dir]],
  ['a folder as config', ['train', dir]],
  ['a missing config', ['train', join(dir, 'missing.yaml')]],
  ['--stop-after 0', ['train', 'configs/funnel-uha.yaml', '--stop-after', '0']],
  ['--stop-after abc', ['train', 'configs/funnel-uha.yaml', '--stop-after', 'abc']],
  ['--backend gpu on train', ['train', 'configs/funnel-uha.yaml', '--backend', 'gpu']],
  // The webgpu backend without its optional packages (as here) or without a GPU adapter.
  ['--backend webgpu on train', ['train', 'configs/funnel-uha.yaml', '--backend', 'webgpu']],
  ['vae eval bad ais steps', ['vae', 'eval', '--from', dir, '--ais-steps', '-1']],
  ['vae eval bad test images', ['vae', 'eval', '--from', dir, '--test-images', 'abc']],
  ['flow eval bad particles', ['flow', 'eval', '--from', dir, '--particles', '0']],
  ['flow eval bad test samples', ['flow', 'eval', '--from', dir, '--test-samples', 'x']],
] as [string, string[]][])
  add(name, argv);

// Config files: one mistake each, for every kind of run.
const SAMPLER = {
  target: { name: 'funnel', dim: 4 },
  sampler: { kind: 'ula', steps: 4 },
  train: { iterations: 4, particles: 16 },
};
const FLOW = {
  target: { name: 'mgm', dim: 2 },
  flow: { kind: 'realnvp', layers: 2 },
  train: { iterations: 4 },
};
const VAE = { data: { name: 'mnist', trainImages: 200 }, train: { epochs: 1 } };
const CRAFT = {
  target: { name: 'gaussian', dim: 3 },
  craft: { steps: 2 },
  train: { iterations: 4 },
};
const configCases: [string, string[], unknown][] = [
  ['sampler: not an object', ['train'], []],
  ['sampler: empty', ['train'], {}],
  ['sampler: unknown top key', ['train'], { ...SAMPLER, extra: 1 }],
  [
    'sampler: unknown sampler key',
    ['train'],
    { ...SAMPLER, sampler: { ...SAMPLER.sampler, stepz: 2 } },
  ],
  ['sampler: unknown kind', ['train'], { ...SAMPLER, sampler: { kind: 'hmc', steps: 4 } }],
  ['sampler: steps as text', ['train'], { ...SAMPLER, sampler: { kind: 'ula', steps: 'four' } }],
  ['sampler: zero steps', ['train'], { ...SAMPLER, sampler: { kind: 'ula', steps: 0 } }],
  [
    'sampler: negative step size',
    ['train'],
    { ...SAMPLER, sampler: { kind: 'ula', steps: 4, stepSize: -1 } },
  ],
  [
    'sampler: eta out of range',
    ['train'],
    { ...SAMPLER, sampler: { kind: 'uha', steps: 4, eta: 1.5 } },
  ],
  [
    'sampler: bad resampling',
    ['train'],
    { ...SAMPLER, sampler: { kind: 'uha', steps: 4, resampling: { scheme: 'x' } } },
  ],
  [
    'sampler: group size not dividing',
    ['train'],
    { ...SAMPLER, sampler: { kind: 'uha', steps: 4, resampling: { scheme: 'gst', groupSize: 5 } } },
  ],
  ['sampler: no target', ['train'], { sampler: SAMPLER.sampler, train: SAMPLER.train }],
  ['sampler: unknown target', ['train'], { ...SAMPLER, target: { name: 'nope' } }],
  [
    'sampler: target name and module',
    ['train'],
    { ...SAMPLER, target: { name: 'funnel', module: 'x.mjs' } },
  ],
  ['sampler: module missing', ['train'], { ...SAMPLER, target: { module: join(dir, 'none.mjs') } }],
  ['sampler: option on a module', ['train'], { ...SAMPLER, target: { module: 'x.mjs', loc: 1 } }],
  ['sampler: target option it lacks', ['train'], { ...SAMPLER, target: { name: 'funnel', df: 2 } }],
  ['sampler: wrong dim', ['train'], { ...SAMPLER, target: { name: 'rings', dim: 5 } }],
  ['sampler: no train', ['train'], { target: SAMPLER.target, sampler: SAMPLER.sampler }],
  ['sampler: zero iterations', ['train'], { ...SAMPLER, train: { iterations: 0, particles: 16 } }],
  [
    'sampler: fractional particles',
    ['train'],
    { ...SAMPLER, train: { iterations: 4, particles: 1.5 } },
  ],
  [
    'sampler: negative learning rate',
    ['train'],
    { ...SAMPLER, train: { iterations: 4, learningRate: -0.1 } },
  ],
  [
    'sampler: bad schedule',
    ['train'],
    { ...SAMPLER, train: { iterations: 4, lrSchedule: { kind: 'warm' } } },
  ],
  [
    'sampler: step schedule without every',
    ['train'],
    { ...SAMPLER, train: { iterations: 4, lrSchedule: { kind: 'step', gamma: 0.5 } } },
  ],
  [
    'sampler: iw group not dividing',
    ['train'],
    {
      ...SAMPLER,
      train: { iterations: 4, particles: 16, objective: { kind: 'iw', groupSize: 5 } },
    },
  ],
  ['sampler: bad eval', ['train'], { ...SAMPLER, eval: { particles: -5 } }],
  [
    'sampler: missing initial flow',
    ['train'],
    { ...SAMPLER, sampler: { ...SAMPLER.sampler, initialFlow: join(dir, 'no-flow') } },
  ],
  ['sampler: bad backend', ['train'], { ...SAMPLER, backend: 'gpu' }],
  ['sampler: negative seed', ['train'], { ...SAMPLER, seed: -1 }],
  ['flow: unknown key', ['flow', 'train'], { ...FLOW, flow: { kind: 'realnvp', layer: 2 } }],
  ['flow: unknown kind', ['flow', 'train'], { ...FLOW, flow: { kind: 'glow' } }],
  ['flow: zero layers', ['flow', 'train'], { ...FLOW, flow: { kind: 'realnvp', layers: 0 } }],
  [
    'flow: unknown loss',
    ['flow', 'train'],
    { ...FLOW, train: { iterations: 4, loss: { kind: 'wasserstein' } } },
  ],
  [
    'flow: unknown estimator',
    ['flow', 'train'],
    { ...FLOW, train: { iterations: 4, loss: { kind: 'reverse-kl', estimator: 'magic' } } },
  ],
  ['flow: dim 1', ['flow', 'train'], { ...FLOW, target: { name: 'gaussian', dim: 1 } }],
  ['flow: unknown target', ['flow', 'train'], { ...FLOW, target: { name: 'nope' } }],
  ['flow: module target', ['flow', 'train'], { ...FLOW, target: { module: 'x.mjs' } }],
  ['flow: batch 0', ['flow', 'train'], { ...FLOW, train: { iterations: 4, batch: 0 } }],
  [
    'flow: fab alpha 1',
    ['flow', 'train'],
    { ...FLOW, train: { iterations: 4, loss: { kind: 'fab', alpha: 1 } } },
  ],
  [
    'flow: fab unknown move',
    ['flow', 'train'],
    { ...FLOW, train: { iterations: 4, loss: { kind: 'fab', move: 'nuts' } } },
  ],
  [
    'flow: fab buffer min above max',
    ['flow', 'train'],
    {
      ...FLOW,
      train: {
        iterations: 4,
        loss: { kind: 'fab', buffer: { maxBatches: 2, minBatches: 4, updatesPerPass: 1 } },
      },
    },
  ],
  [
    'flow: fab more updates than buffered batches',
    ['flow', 'train'],
    {
      ...FLOW,
      train: {
        iterations: 4,
        loss: { kind: 'fab', buffer: { maxBatches: 8, minBatches: 2, updatesPerPass: 4 } },
      },
    },
  ],
  [
    'flow: fab acceptance 1',
    ['flow', 'train'],
    { ...FLOW, train: { iterations: 4, loss: { kind: 'fab', targetAcceptance: 1 } } },
  ],
  [
    'flow: fab unknown key',
    ['flow', 'train'],
    { ...FLOW, train: { iterations: 4, loss: { kind: 'fab', buffers: null } } },
  ],
  ['flow: sampler config', ['flow', 'train'], SAMPLER],
  ['vae: unknown data set', ['vae', 'train'], { ...VAE, data: { name: 'cifar' } }],
  [
    'vae: too many train images',
    ['vae', 'train'],
    { ...VAE, data: { name: 'mnist', trainImages: 70000 } },
  ],
  [
    'vae: bad binarization',
    ['vae', 'train'],
    { ...VAE, data: { name: 'mnist', binarization: 'soft' } },
  ],
  ['vae: omniglot without file', ['vae', 'train'], { ...VAE, data: { name: 'omniglot' } }],
  [
    'vae: missing folder',
    ['vae', 'train'],
    { ...VAE, data: { name: 'mnist', dir: join(dir, 'no-mnist') } },
  ],
  ['vae: no epochs', ['vae', 'train'], { data: VAE.data, train: {} }],
  [
    'vae: unknown objective',
    ['vae', 'train'],
    { ...VAE, train: { epochs: 1, objective: { kind: 'vampire' } } },
  ],
  [
    'vae: steps on iwae',
    ['vae', 'train'],
    { ...VAE, train: { epochs: 1, objective: { kind: 'iwae', steps: 4 } } },
  ],
  ['vae: zero latent', ['vae', 'train'], { ...VAE, model: { latentDim: 0 } }],
  ['vae: empty hidden', ['vae', 'train'], { ...VAE, model: { hidden: [] } }],
  ['vae: batch above the data', ['vae', 'train'], { ...VAE, train: { epochs: 1, batch: 5000 } }],
  ['vae: bad eval', ['vae', 'train'], { ...VAE, eval: { aisSteps: -1 } }],
  ['vae: sampler config', ['vae', 'train'], SAMPLER],
  ['craft: unknown key', ['craft', 'train'], { ...CRAFT, craft: { step: 2 } }],
  ['craft: zero steps', ['craft', 'train'], { ...CRAFT, craft: { steps: 0 } }],
  [
    'craft: negative HMC step',
    ['craft', 'train'],
    { ...CRAFT, craft: { steps: 2, hmc: { stepSize: -0.1 } } },
  ],
  [
    'craft: unknown resampling',
    ['craft', 'train'],
    { ...CRAFT, craft: { steps: 2, resampling: { scheme: 'magic' } } },
  ],
  ['craft: dim 1', ['craft', 'train'], { ...CRAFT, target: { name: 'gaussian', dim: 1 } }],
  ['craft: no iterations', ['craft', 'train'], { ...CRAFT, train: {} }],
  ['craft: sampler config', ['craft', 'train'], SAMPLER],
];
configCases.forEach(([name, command, config], i) => {
  const path = file(`config-${i}.json`, JSON.stringify(config));
  add(`config: ${name}`, [...command, path, '--out', join(dir, `run-${i}`)]);
});
add('config: not JSON', ['train', file('broken.json', '{"target": ')]);
add('config: not YAML', ['train', file('broken.yaml', 'target: [unclosed')]);
add('config: a list', ['train', file('list.yaml', '- 1\n- 2\n')]);
add('config: a number', ['flow', 'train', file('number.json', '3')]);
add('config: empty YAML', ['vae', 'train', file('empty.yaml', '')]);
add('config: an unknown YAML tag', ['train', file('tag.yaml', 'target: !foo funnel\n')]);
add('config: two YAML documents', [
  'train',
  file('two.yaml', 'target: funnel\n---\nsampler: {}\n'),
]);
add('config: a repeated YAML key', ['train', file('twice.yaml', 'target: a\ntarget: b\n')]);
add('config: a repeated JSON key', [
  'train',
  file('twice.json', '{"target": {"name": "funnel"}, "target": {"name": "gaussian"}}'),
]);
add('config: a JSON key repeated in a nested object', [
  'train',
  file(
    'twice-nested.json',
    JSON.stringify(SAMPLER).replace('"kind":"ula"', '"kind":"ula","kind":"uha"'),
  ),
]);
add('config: empty JSON', ['train', file('empty.json', '')]);
add('config: JSON with a trailing comma', ['train', file('comma.json', '{"target": {},}')]);
// Numbers the engine's float32 would turn into 0 or Infinity without a word.
for (const v of ['1e-46', '1e39'])
  add(`--step-size ${v} (beyond float32)`, [...logz, '--sampler', 'ula', '--step-size', v]);
add('--init-mean beyond float32', [...logz, '--sampler', 'ais-ula', '--init-mean', '1e39']);
add('config: a step size beyond float32', [
  'train',
  file(
    'tiny-step.json',
    JSON.stringify({ ...SAMPLER, sampler: { kind: 'ula', steps: 4, stepSize: 1e-46 } }),
  ),
  '--out',
  join(dir, 'never'),
]);
add('config: a learning rate beyond float32', [
  'flow',
  'train',
  file('huge-lr.json', JSON.stringify({ ...FLOW, train: { iterations: 4, learningRate: 1e39 } })),
  '--out',
  join(dir, 'never'),
]);

// Run directories whose files were damaged after the run wrote them (a full disk, a copy that did
// not finish, an editor): each is named with what is wrong with it, in plain words.
const runDir = (name: string, files: Record<string, string>) => {
  const path = join(dir, name);
  mkdirSync(path);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(path, f), text);
  return path;
};
const config = JSON.stringify(SAMPLER);
for (const [name, files] of <[string, Record<string, string>][]>[
  ['empty checkpoint', { 'config.json': config, 'checkpoint.json': '' }],
  ['truncated checkpoint', { 'config.json': config, 'checkpoint.json': '{"version":1,"config":{' }],
  ['checkpoint of a number', { 'config.json': config, 'checkpoint.json': '3' }],
  ['empty config', { 'config.json': '', 'checkpoint.json': '{}' }],
  ['truncated config', { 'config.json': config.slice(0, 30) }],
  ['null metrics line', { 'config.json': config, 'metrics.jsonl': 'null\n' }],
  ['metrics line of a list', { 'config.json': config, 'metrics.jsonl': '[1, 2]\n' }],
]) {
  const path = runDir(`damaged ${name}`, files);
  add(`resume: ${name}`, ['train', '--resume', path]);
}
add('logz from an empty checkpoint', [
  'logz',
  '--from',
  runDir('from-empty', { 'config.json': config, 'checkpoint.json': '' }),
]);
add('plot: a truncated eval.json', [
  'plot',
  runDir('plot-eval', { 'config.json': config, 'eval.json': '{"perStepEss": [0.5,' }),
]);
add('plot: a null metrics line', [
  'plot',
  runDir('plot-null', { 'config.json': config, 'metrics.jsonl': 'null\n{"iteration": 1}\n' }),
]);
add('plot: an empty report', ['plot', file('empty-report.json', '')]);
add('plot: a report of a list', ['plot', file('list-report.json', '[1, 2]')]);
add('bayes-factor: an empty report', [
  'bayes-factor',
  file('empty-a.json', ''),
  file('empty-b.json', '\ufeff'),
]);

describe('the bad-input suite', () => {
  it(`has at least 150 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 150, String(cases.length));
  });

  it('every case exits 2 with one plain line on stderr and writes nothing', async () => {
    const before = readdirSync(dir).sort();
    const failures: string[] = [];
    for (const [name, argv] of cases) {
      const r = await run(argv);
      const lines = r.stderr.trim().split('\n');
      const problems = [
        r.status !== 2 ? `exit ${r.status}` : null,
        lines.length !== 1 ? `${lines.length} stderr lines` : null,
        RAW.test(r.stderr) ? 'raw wording' : null,
        r.stdout !== '' ? `stdout written (${JSON.stringify(r.stdout.slice(0, 200))})` : null,
      ].filter(Boolean);
      if (problems.length)
        failures.push(`${name}: ${problems.join(', ')}: ${r.stderr.trim().slice(0, 300)}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(readdirSync(dir).sort(), before, 'a case wrote into the scratch folder');
  });
});

// The library's own entry points: a misspelt or unknown option key, or a missing random stream, is
// refused in one line that names the entry point and, where one is close, the key it meant.
describe("the bad-input suite: the library's options", () => {
  let lib: typeof import('../src/index.js');
  const throwsLine = (call: () => unknown, pattern: RegExp) => {
    let message: string | null = null;
    try {
      call();
    } catch (error) {
      message = (error as Error).message;
    }
    assert.ok(message !== null, `no error for ${String(pattern)}`);
    assert.equal(message.split('\n').length, 1, message);
    assert.doesNotMatch(message, RAW, message);
    assert.match(message, pattern);
  };

  it('refuses unknown keys, naming the nearest one, at every entry point', async () => {
    lib = await import('../src/index.js');
    const { initEngine } = await import('../src/engine/backend.js');
    await initEngine();
    const target = lib.createTarget('gaussian', { dim: 2 });
    const rng = () => lib.Rng.fromSeed(1);
    const sampler = new lib.LearnedSampler(target, { kind: 'uha', steps: 2 }, rng());
    const path = new lib.AnnealingPath(lib.DiagGaussian.isotropic(2, 1), target);
    const kernel = lib.hmcKernel({ stepSize: 0.2, leapfrogSteps: 2 });
    const loose = <T>(o: T & Record<string, unknown>) => o as T;
    const flows = await import('../src/flows.js');
    const flow = new flows.Flow(2, { kind: 'realnvp', layers: 2 }, rng());
    try {
      const cases: [() => unknown, RegExp][] = [
        [
          () => lib.estimateLogZ(loose({ target, stepsize: 0.1 })),
          /^estimateLogZ: unknown option 'stepsize' \(did you mean 'stepSize'\?\)/,
        ],
        [
          () => lib.estimateLogZ({ target, auto: { maxSecond: 1 } } as never),
          /^autoLogZ: unknown option 'maxSecond' \(did you mean 'maxSeconds'\?\)/,
        ],
        [
          () => lib.autoLogZ(loose({ target, targetStdError: 0.1 })),
          /^autoLogZ: unknown option 'targetStdError' \(did you mean 'targetStdErr'\?\)/,
        ],
        [
          () => new lib.LearnedSampler(target, loose({ kind: 'uha' as const, step: 8 }), rng()),
          /^learned sampler config: unknown key 'step' \(did you mean 'steps'\?\)/,
        ],
        [
          () => lib.evaluateSampler(sampler, loose({ particles: 10, seed: 1, batchs: 2 })),
          /^evaluateSampler: unknown option 'batchs' \(did you mean 'batches'\?\)/,
        ],
        [
          () => lib.evaluateSampler(sampler, { particles: 10 }),
          /^evaluateSampler: give rng \(a random stream\) or seed \(a whole number\)$/,
        ],
        [
          () => lib.evaluateSampler(sampler, { particles: 10, seed: 1.5 }),
          /^evaluateSampler: seed must be a whole number, got 1.5$/,
        ],
        [
          () =>
            lib.runAis(
              loose({ path, kernel, betas: [0, 1], particles: 4, rng: rng(), Particles: 4 }),
            ),
          /^runAis: unknown option 'Particles'/,
        ],
        [
          () =>
            lib.runSmc(
              loose({
                path,
                kernel,
                betas: [0, 1],
                particles: 4,
                resampling: { scheme: 'systematic' },
              }),
            ),
          /^runSmc: give rng/,
        ],
        [
          () => lib.runTunedSmc(loose({ path, particles: 4, rng: rng(), essTarge: 0.5 })),
          /^runTunedSmc: unknown option 'essTarge' \(did you mean 'essTarget'\?\)/,
        ],
        [
          () => lib.fitStart(target, rng(), { restart: 2 } as never),
          /^fitStart: unknown option 'restart' \(did you mean 'restarts'\?\)/,
        ],
        [
          () => new lib.Trainer(sampler, { learningrate: 0.1 } as never, rng()),
          /^Trainer: unknown option 'learningrate' \(did you mean 'learningRate'\?\)/,
        ],
        [
          () =>
            lib.trainAndEvaluate(
              loose({
                target,
                sampler: { kind: 'uha' as const, steps: 2 },
                trainIterations: 1,
                seed: 0,
                particles: 8,
                trainParticle: 8,
              }),
            ),
          /^trainAndEvaluate: unknown option 'trainParticle' \(did you mean 'trainParticles'\?\)/,
        ],
        [
          () => lib.laplaceApproximation(target, { maxIteration: 5 } as never),
          /^laplaceApproximation: unknown option 'maxIteration' \(did you mean 'maxIterations'\?\)/,
        ],
        [
          () => lib.priorOf({ mu: { kind: 'normal', scal: 2 } as never }),
          /^prior piece 'mu': unknown option 'scal' \(did you mean 'scale'\?\)/,
        ],
        [
          () => flows.evaluateFlow(flow, target, { particles: 8, seed: 1, testSample: 4 } as never),
          /^evaluateFlow: unknown option 'testSample' \(did you mean 'testSamples'\?\)/,
        ],
        [
          () => lib.estimateLogZ(null as unknown as Parameters<typeof lib.estimateLogZ>[0]),
          /^estimateLogZ: options must be an object, got null$/,
        ],
      ];
      for (const [call, pattern] of cases) throwsLine(call, pattern);
    } finally {
      sampler.dispose();
      flow.dispose();
    }
  });

  it('takes a seed wherever it takes a random stream, with the same draws', () => {
    const target = lib.createTarget('gaussian', { dim: 2 });
    const sampler = new lib.LearnedSampler(target, { kind: 'uha', steps: 2 }, lib.Rng.fromSeed(1));
    try {
      const bySeed = lib.evaluateSampler(sampler, { particles: 20, seed: 7 });
      const byRng = lib.evaluateSampler(sampler, { particles: 20, rng: lib.Rng.fromSeed(7) });
      assert.equal(bySeed.logZ, byRng.logZ);
      const path = new lib.AnnealingPath(lib.DiagGaussian.isotropic(2, 1), target);
      const kernel = lib.hmcKernel({ stepSize: 0.2, leapfrogSteps: 2 });
      const a = lib.runAis({ path, kernel, betas: [0, 0.5, 1], particles: 8, seed: 3 });
      const b = lib.runAis({
        path,
        kernel,
        betas: [0, 0.5, 1],
        particles: 8,
        rng: lib.Rng.fromSeed(3),
      });
      assert.deepEqual(Array.from(a.logW.dataSync()), Array.from(b.logW.dataSync()));
      for (const r of [a, b]) {
        r.z.dispose();
        r.logW.dispose();
      }
    } finally {
      sampler.dispose();
    }
  });

  it('names the key a misspelt config key meant', async () => {
    const path = file(
      'misspelt.json',
      JSON.stringify({ ...SAMPLER, sampler: { kind: 'ula', step: 4 } }),
    );
    const r = await run(['train', path, '--out', join(dir, 'never')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown key 'step' \(did you mean 'steps'\?\)/);
  });
});
