// Mutation check of the estimator tests: each mutant is a small, named bug (a sign flip, a dropped
// term, a 3 % bias) applied to one source file; the tests named for it must fail. The file is
// restored after each run (also on Ctrl-C), and a mutated file must have no uncommitted changes,
// so `git checkout` can always restore it. Native mutants rebuild the addon before and after.
// Writes docs/results/mutants.{json,md}; exit status 1 if any mutant survives.
//
//   npm run mutants                 # every mutant (a few minutes)
//   npm run mutants -- --only ula   # mutants whose id contains 'ula'
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderMutants, type Mutant, type MutantsData } from './render/mutants.js';

const MUTANTS: Mutant[] = [
  {
    id: 'bias-3pct',
    what: 'every log Z estimate 3 % too high in Z (log-mean-exp of the weights plus log 1.03)',
    file: 'src/engine/logspace.ts',
    from: 'return logSumExpHost(x) - Math.log(x.length);',
    to: 'return logSumExpHost(x) - Math.log(x.length) + Math.log(1.03);',
    tests: ['test/ais.test.ts', 'test/smc.test.ts', 'test/learned.test.ts'],
    pattern: 'unbiased|3 % bias',
  },
  {
    id: 'ula-backward-sign',
    what: "ULA (TF.js reference path): the backward kernel's log density enters with the wrong sign",
    file: 'src/annealing/kernels/ula.ts',
    from: 'tf.sub(logBackward, logForward),',
    to: 'tf.sub(tf.neg(logBackward), logForward),',
    tests: ['test/ais.test.ts'],
    pattern: 'unbiased',
    env: { ANNEAL_NATIVE: '0' },
  },
  {
    id: 'ula-native-forward-sign',
    what: "ULA (native fused step): the forward kernel's log density added instead of subtracted",
    file: 'native/src/fused.cc',
    from: '(back[r] / u.minus4d - (-0.5f * fwd[r]));',
    to: '(back[r] / u.minus4d + (-0.5f * fwd[r]));',
    // The fused chain runs for targets with a native form; the test holds it to the TF.js chain.
    tests: ['test/fused.test.ts'],
    pattern: 'ula on|one fused step',
    native: true,
  },
  {
    id: 'uha-refresh-dropped',
    what: "UHA (TF.js reference path): the momentum refresh's backward density dropped from the weight",
    file: 'src/annealing/kernels/uha.ts',
    from: 'return tf.add(tf.sub(after, before), tf.sub(logBackward, logForward)) as Tensor1D;',
    to: 'return tf.add(tf.sub(after, before), tf.neg(logForward)) as Tensor1D;',
    tests: ['test/learned.test.ts'],
    pattern: 'unbiased|3 % bias',
    env: { ANNEAL_NATIVE: '0' },
  },
  {
    id: 'hmc-accept-sign',
    what: 'HMC and MALA (TF.js reference path): the Metropolis test uses the negated log acceptance ratio',
    file: 'src/annealing/kernels/metropolis.ts',
    from: 'const accept = tf.less(tf.log(uniforms), logAccept);',
    to: 'const accept = tf.less(tf.log(uniforms), tf.neg(logAccept));',
    tests: ['test/ais.test.ts'],
    pattern: 'unbiased|equal densities',
    env: { ANNEAL_NATIVE: '0' },
  },
  {
    id: 'hmc-divergence-misses-nan',
    what: 'HMC (TF.js reference path): a NaN log acceptance ratio is not counted as a divergence',
    file: 'src/annealing/kernels/metropolis.ts',
    from: 'const diverged = tf.logicalNot(tf.greaterEqual(logAccept, -DIVERGENCE));',
    to: 'const diverged = tf.less(logAccept, -DIVERGENCE);',
    tests: ['test/ais.test.ts'],
    pattern: 'NaN region',
  },
  {
    id: 'hmc-native-divergence-threshold',
    what: 'HMC (native steps): divergences counted from an energy error of 100 instead of 1000',
    file: 'native/src/fused.cc',
    from: 'if (!(la[r] >= -kDivergence)) tally.diverged += 1.0;',
    to: 'if (!(la[r] >= -0.1f * kDivergence)) tally.diverged += 1.0;',
    tests: ['test/fused.test.ts'],
    pattern: 'diverged HMC',
    native: true,
  },
  {
    id: 'smc-forget-mean-weight',
    what: 'SMC: a system that resamples drops its mean weight from the running log Z',
    file: 'src/annealing/resampleParticles.ts',
    from: 'hard ? tf.where(on, lme, tf.zerosLike(lme)) : lme);',
    to: 'hard ? tf.where(on, lme, tf.zerosLike(lme)) : tf.zerosLike(lme));',
    tests: ['test/smc.test.ts'],
    pattern: 'unbiased',
  },
  {
    id: 'gaussian-score-sign',
    what: "Gaussian target: the closed-form score's sign flipped",
    file: 'src/targets/gaussian.ts',
    from: 'return tf.tidy(() => tf.neg(this.precisionTimes(tf.sub(z, this.meanT))) as Tensor2D);',
    to: 'return tf.tidy(() => this.precisionTimes(tf.sub(z, this.meanT)) as Tensor2D);',
    tests: ['test/targets.test.ts'],
    pattern: 'gaussian',
  },
  {
    id: 'matmul-grad-transpose',
    what: 'the BatchMatMul gradient fix: the gradient with respect to A forgets to transpose B',
    file: 'src/engine/gradientFixes.ts',
    from: 'return { a: () => mm(g, T(b)), b: () => mm(T(a), g) };',
    to: 'return { a: () => mm(g, b), b: () => mm(T(a), g) };',
    tests: ['test/engine.test.ts'],
    pattern: 'matMul gradients',
  },
  {
    id: 'nan-vanishes',
    what: 'host log-sum-exp: NaN log-weights silently ignored',
    file: 'src/engine/logspace.ts',
    from: 'if (Number.isNaN(v)) return NaN;',
    to: 'if (Number.isNaN(v)) continue;',
    tests: ['test/logspace.test.ts'],
    pattern: 'NaN',
  },
];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    out: { type: 'string', default: 'docs/results/mutants' },
    // Shards run in separate checkouts (each edits the sources it tests).
    ...SHARD_FLAGS,
  },
});
const sharding = parseSharding(values, values.out);
const chosen = MUTANTS.filter((m) => !values.only || m.id.includes(values.only));
const dirty = execFileSync(
  'git',
  ['status', '--porcelain', ...new Set(chosen.map((m) => m.file))],
  {
    encoding: 'utf8',
  },
).trim();
if (dirty) {
  process.stderr.write(
    `mutants: commit or stash these first, so they can be restored:\n${dirty}\n`,
  );
  process.exit(2);
}

const buildNative = () =>
  execFileSync(process.execPath, ['scripts/build-native.mjs'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
let restore: (() => void) | null = null;
process.on('SIGINT', () => {
  restore?.();
  process.exit(130);
});

type MutantResult = MutantsData['results'][number];
/** One mutant applied, its tests run, the source restored. */
function runMutant(m: (typeof MUTANTS)[number]): MutantResult {
  const original = readFileSync(m.file, 'utf8');
  const count = original.split(m.from).length - 1;
  if (!m.from || count !== 1) {
    process.stderr.write(`${m.id}: the text to mutate occurs ${count} times in ${m.file}\n`);
    return { ...m, killed: false, seconds: 0, note: `the text to mutate occurs ${count} times` };
  }
  restore = () => writeFileSync(m.file, original);
  writeFileSync(m.file, original.replace(m.from, m.to));
  const started = performance.now();
  let killed: boolean;
  try {
    if (m.native) buildNative();
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=dot',
        `--test-name-pattern=${m.pattern}`,
        ...m.tests,
      ],
      { encoding: 'utf8', env: { ...process.env, ...(m.env ?? {}) } },
    );
    killed = r.status !== 0;
  } finally {
    restore();
    restore = null;
    if (m.native) buildNative();
  }
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`${m.id}: ${killed ? 'killed' : 'SURVIVED'} (${seconds.toFixed(0)} s)\n`);
  return { ...m, killed, seconds };
}
const outcome = await runSharded(chosen, sharding, async (subset) => subset.map(runMutant));
if (outcome === null) process.exit(0);
const results = outcome.results;

// With --only, the other mutants keep their last recorded results.
const earlier: MutantsData['results'] =
  values.only && existsSync(`${values.out}.json`)
    ? (JSON.parse(readFileSync(`${values.out}.json`, 'utf8')) as MutantsData).results
    : [];
const merged = MUTANTS.flatMap((m) => {
  const r = results.find((x) => x.id === m.id) ?? earlier.find((x) => x.id === m.id);
  return r ? [r] : [];
});
const data: MutantsData = {
  generated: mergedGenerated(generatedNow(), outcome.generated),
  only: values.only ?? null,
  results: merged,
};
writeFileSync(`${values.out}.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.out}.md`, renderMutants(data));
process.stderr.write(`wrote ${values.out}.json and .md\n`);
if (merged.some((r) => !r.killed)) process.exit(1);
