// The library's boundary: a user's target is checked on its first use (shapes, name, dim), the
// engine must be started, sampler names from the command line are understood or refused with
// where to look, and the results hand back what users ask for (weighted particles, the trained
// sampler) without leaking tensors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  initEngine,
  liveTensorCount,
  Rng,
  tf,
  type Tensor1D,
  type Tensor2D,
} from '../src/engine/index.js';
import { checkTarget, createTarget, TargetError, type Target } from '../src/targets/index.js';
import { estimateLogZ, evaluateSampler } from '../src/eval/index.js';
import { trainAndEvaluate } from '../src/train/trainAndEvaluate.js';
import { KernelError } from '../src/annealing/kernels/kernel.js';
import { taskOrder } from '../src/parallel/pool.js';

/** N(mean, I) in `dim` dimensions, unnormalized, written as a user would. */
function shifted(dim: number, mean: number, name = 'shifted'): Target {
  return {
    name,
    dim,
    logProb: (z: Tensor2D) =>
      tf.tidy(() => tf.mul(-0.5, tf.sum(tf.square(tf.sub(z, mean)), 1)) as Tensor1D),
    logZ: (dim / 2) * Math.log(2 * Math.PI),
  };
}

const quick = { steps: 8, particles: 100, seed: 3 } as const;

describe('a user target is checked on first use', () => {
  it('a logProb of shape [N, 1] is refused in one line naming the target and [N]', async () => {
    await initEngine({ backend: 'wasm' });
    const column: Target = {
      name: 'column',
      dim: 2,
      logProb: (z: Tensor2D) => tf.mul(-0.5, tf.sum(tf.square(z), 1, true)) as unknown as Tensor1D,
    };
    const baseline = liveTensorCount();
    assert.throws(
      () => estimateLogZ({ target: column, ...quick }),
      (e: Error) =>
        e instanceof TargetError &&
        /target 'column': logProb must return shape \[N\] for particles \[N, 2\]; for N = 2 it returned shape \[2, 1\]/.test(
          e.message,
        ) &&
        !e.message.includes('\n'),
    );
    assert.equal(liveTensorCount(), baseline);
  });

  it('a scalar logProb is refused instead of broadcasting into a wrong log Z', async () => {
    await initEngine({ backend: 'wasm' });
    const scalar: Target = {
      name: 'scalar',
      dim: 3,
      logProb: (z: Tensor2D) => tf.sum(tf.mul(-0.5, tf.square(z))) as unknown as Tensor1D,
    };
    assert.throws(
      () => estimateLogZ({ target: scalar, ...quick }),
      /target 'scalar': logProb must return shape \[N\].*returned shape \[\]/,
    );
  });

  it('a wrong score shape, a non-tensor, a throwing logProb and a bad dim are each named', async () => {
    await initEngine({ backend: 'wasm' });
    const good = shifted(2, 0);
    const cases: [Target, RegExp][] = [
      [
        { ...good, name: 'bad-score', score: (z: Tensor2D) => tf.sum(z, 1) as unknown as Tensor2D },
        /target 'bad-score': score must return shape \[N, 2\].*returned shape \[2\]/,
      ],
      [
        { ...good, name: 'numbers', logProb: () => [0, 0] as unknown as Tensor1D },
        /target 'numbers': logProb must return shape \[N\].*returned a non-tensor object/,
      ],
      [
        {
          ...good,
          name: 'throws',
          logProb: () => {
            throw new Error('data not loaded');
          },
        },
        /target 'throws': logProb failed on particles of shape \[2, 2\]: data not loaded/,
      ],
      [
        { ...good, name: 'half', dim: 1.5 },
        /target 'half': dim must be a positive integer, got 1.5/,
      ],
      [{ ...good, name: '' }, /a target needs a non-empty string name/],
      [
        {
          ...good,
          name: 'counts',
          logProb: (z: Tensor2D) => tf.cast(tf.sum(z, 1), 'int32') as Tensor1D,
        },
        /target 'counts': logProb must return float32 values, got int32 \(cast with tf\.cast/,
      ],
      [
        {
          ...good,
          name: 'int-score',
          score: (z: Tensor2D) => tf.cast(z, 'int32') as Tensor2D,
        },
        /target 'int-score': score must return float32 values, got int32/,
      ],
      [
        {
          ...good,
          name: 'masked',
          logProb: (z: Tensor2D) => tf.greater(tf.sum(z, 1), 0) as unknown as Tensor1D,
        },
        /target 'masked': logProb must return float32 values, got bool/,
      ],
      [
        { ...good, name: 'nan-z', logZ: NaN },
        /target 'nan-z': logZ, where given, must be a finite number, got NaN/,
      ],
    ];
    for (const [target, message] of cases) assert.throws(() => checkTarget(target), message);
  });

  it('a valid target is probed once, then used as is, and gives the exact log Z', async () => {
    await initEngine({ backend: 'wasm' });
    let calls = 0;
    const base = shifted(2, 0.5, 'counted');
    const counted: Target = {
      ...base,
      logProb: (z) => {
        calls++;
        return base.logProb(z);
      },
    };
    checkTarget(counted);
    assert.equal(calls, 1);
    checkTarget(counted);
    assert.equal(calls, 1);
    const r = estimateLogZ({ target: counted, sampler: 'ais-hmc', steps: 20, particles: 500 });
    assert.ok(Math.abs(r.logZ - (r.trueLogZ as number)) < 4 * (r.logZStdErr as number) + 0.02);
  });

  it('a learned sampler and a flow check their target too', async () => {
    await initEngine({ backend: 'wasm' });
    const column: Target = {
      ...shifted(2, 0, 'column-learned'),
      logProb: (z: Tensor2D) => tf.sum(z, 1, true) as unknown as Tensor1D,
    };
    assert.throws(
      () =>
        trainAndEvaluate({
          target: column,
          sampler: { kind: 'ula', steps: 2 },
          trainIterations: 1,
          trainParticles: 8,
          particles: 20,
          batches: 2,
          seed: 0,
        }),
      /target 'column-learned': logProb must return shape \[N\]/,
    );
  });

  it('using anneal before initEngine says to call initEngine', () => {
    const code = [
      "import { estimateLogZ, tf } from './src/index.ts';",
      "const target = { name: 'g', dim: 2, logProb: (z) => tf.sum(tf.square(z), 1) };",
      'try { estimateLogZ({ target, steps: 4, particles: 10 }); }',
      'catch (e) { console.log(e.message); }',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr.slice(0, 500));
    assert.equal(
      r.stdout.trim(),
      "the tensor engine is not started: call 'await initEngine()' once before using anneal",
    );
  });
});

describe('sampler names', () => {
  it("'smc-hmc' is AIS-HMC with systematic resampling, exactly", async () => {
    await initEngine({ backend: 'wasm' });
    const target = shifted(2, 1);
    const smc = estimateLogZ({ target, sampler: 'smc-hmc', ...quick });
    const spelled = estimateLogZ({
      target,
      sampler: 'ais-hmc',
      resampling: { scheme: 'systematic' },
      ...quick,
    });
    assert.equal(smc.logZ, spelled.logZ);
    assert.equal(smc.sampler, 'smc-hmc');
    assert.notEqual(smc.smcBound, null);
    const ais = estimateLogZ({ target, sampler: 'ais-hmc', ...quick });
    assert.notEqual(ais.logZ, smc.logZ);
  });

  it('learned and unknown names are refused with the valid ones and where to look', async () => {
    await initEngine({ backend: 'wasm' });
    const target = shifted(2, 1);
    const bad = (sampler: string) => () =>
      estimateLogZ({ target, sampler: sampler as 'ais-ula', ...quick });
    assert.throws(
      bad('smc-uha'),
      (e: Error) =>
        e instanceof KernelError &&
        /unknown sampler 'smc-uha' for estimateLogZ; valid: ais-ula, ais-hmc, ais-mala, smc-ula, smc-hmc, smc-mala \('smc-uha' is a learned sampler: train a LearnedSampler of kind 'uha' with the resampling option/.test(
          e.message,
        ),
    );
    assert.throws(
      bad('ula-mcd'),
      /'ula-mcd' is a learned sampler: train a LearnedSampler of kind 'ula-mcd'/,
    );
    assert.throws(
      bad('hmc'),
      /unknown sampler 'hmc' for estimateLogZ; valid: ais-ula, ais-hmc, ais-mala, smc-ula, smc-hmc, smc-mala$/,
    );
  });
});

describe('results users expect', () => {
  it('estimateLogZ returns the weighted particles: their log-mean-exp is log Z, their mean the target mean', async () => {
    await initEngine({ backend: 'wasm' });
    const target = shifted(2, 1);
    const baseline = liveTensorCount();
    const r = estimateLogZ({
      target,
      sampler: 'ais-hmc',
      steps: 30,
      particles: 2000,
      seed: 5,
      returnSamples: true,
    });
    assert.equal(liveTensorCount(), baseline);
    const s = r.samples;
    assert.ok(s);
    assert.equal(s.count, 2000);
    assert.equal(s.dim, 2);
    assert.equal(s.z.length, 4000);
    const max = Math.max(...s.logW);
    const w = Array.from(s.logW, (l) => Math.exp(l - max));
    const total = w.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(max + Math.log(total / s.count) - r.logZ) < 1e-4);
    // Self-normalized estimate of E[z_j] = 1; its standard error is about sd / sqrt(ESS).
    const ess = total ** 2 / w.reduce((a, b) => a + b * b, 0);
    for (let j = 0; j < 2; j++) {
      const mean = w.reduce((a, wi, i) => a + wi * (s.z[i * 2 + j] as number), 0) / total;
      assert.ok(Math.abs(mean - 1) < 4 / Math.sqrt(ess), `E[z_${j}] = ${mean}, ESS ${ess}`);
    }
    assert.equal(estimateLogZ({ target, ...quick }).samples, null);
  });

  it('trainAndEvaluate hands back the trained sampler, which evaluates again and frees its tensors', async () => {
    await initEngine({ backend: 'wasm' });
    const target = shifted(2, 1);
    const baseline = liveTensorCount();
    const r = trainAndEvaluate({
      target,
      sampler: { kind: 'uha', steps: 4 },
      trainIterations: 5,
      trainParticles: 32,
      particles: 200,
      seed: 2,
      returnSamples: true,
    });
    assert.equal(r.samples?.count, 200);
    const again = evaluateSampler(r.sampler, { particles: 200, rng: Rng.fromSeed(9) });
    assert.ok(Number.isFinite(again.logZ));
    assert.equal(again.samples, null);
    r.sampler.dispose();
    assert.equal(liveTensorCount(), baseline);
  });
});

describe('typed random streams', () => {
  it('split(n) with a literal n is a tuple of streams, and children(n) the same streams', () => {
    const [a, b, c] = Rng.fromSeed(4).split(3);
    // Typed as Rng (not Rng | undefined): the calls below compile without a cast.
    const draws = [a, b, c].map((r) => r.uniformArray(1)[0]);
    assert.equal(new Set(draws).size, 3);
    const [a2] = Rng.fromSeed(4).children(3);
    assert.equal(a2.uniformArray(1)[0], draws[0]);
  });
});

describe('worker pool order', () => {
  it('hands out the costliest tasks first, ties in task order', () => {
    assert.deepEqual(taskOrder(5, [78, 144, 553, 280, 626]), [4, 2, 3, 1, 0]);
    assert.deepEqual(taskOrder(3, [1, 1, 2]), [2, 0, 1]);
    assert.deepEqual(taskOrder(3), [0, 1, 2]);
    assert.throws(() => taskOrder(2, [1]), /costs must be 2 finite numbers >= 0/);
  });
});

describe('small mistakes in the library and the hints it prints', () => {
  it('a seed that is not a whole number leaks nothing; fractional particles are named', async () => {
    await initEngine({ backend: 'wasm' });
    const target = shifted(2, 0);
    const base = liveTensorCount();
    for (const sampler of ['ais-hmc', 'smc-hmc'] as const)
      assert.throws(
        () => estimateLogZ({ target, sampler, steps: 2, particles: 20, seed: NaN }),
        /seed must be an integer, got NaN/,
      );
    assert.equal(liveTensorCount(), base);
    assert.throws(
      () => estimateLogZ({ target, sampler: 'ais-hmc', steps: 2, particles: 2.5 }),
      /particles must be a positive whole number, got 2\.5$/,
    );
  });

  it('a runaway name is cut short in the messages that echo it', async () => {
    await initEngine({ backend: 'wasm' });
    const long = 'x'.repeat(1_000_000);
    for (const call of [
      () => createTarget(long),
      () => checkTarget({ name: long, dim: 2, logProb: () => [0, 0] as unknown as Tensor1D }),
    ]) {
      let message = '';
      try {
        call();
      } catch (error) {
        message = (error as Error).message;
      }
      assert.match(message, /'x{40,60}\.\.\.'/);
      assert.ok(message.length < 400, `${message.length} characters`);
    }
  });

  it('resume hints quote a path the shell would split', async () => {
    const { shellWord } = await import('../src/train/loop.js');
    assert.equal(shellWord('runs/funnel-1'), 'runs/funnel-1');
    assert.equal(shellWord('/tmp/my runs/a'), "'/tmp/my runs/a'");
    assert.equal(shellWord("/tmp/it's"), "'/tmp/it'\\''s'");
  });
});

describe('public surface', () => {
  it('the root exports the API without the internals, which anneal/internals keeps', async () => {
    const root = Object.keys(await import('../src/index.js'));
    const internals = Object.keys(await import('../src/internals.js'));
    const hidden = root.filter((n) =>
      /^fused|GradientFix|^forwardShiftMatrix$|^gatherRows|^runLogZBatches$|^parseIdx$/.test(n),
    );
    assert.deepEqual(hidden, []);
    for (const name of ['fusedAisChain', 'setMatMulGradientFix', 'forwardShiftMatrix', 'parseIdx'])
      assert.ok(internals.includes(name), name);
    // Everything the guide uses is in the root.
    for (const name of [
      'initEngine',
      'createTarget',
      'estimateLogZ',
      'LearnedSampler',
      'Trainer',
      'TRAINER_DEFAULTS',
      'evaluateSampler',
      'trainAndEvaluate',
      'Flow',
      'FlowModel',
      'evaluateFlow',
      'flowDistribution',
      'parseVaeRunConfig',
      'loadVaeData',
      'buildVaeRun',
      'evaluateVae',
      'aisLogLikelihood',
      'bdmc',
      'checkTarget',
    ])
      assert.ok(root.includes(name), name);
    assert.ok(
      root.every(
        (n) =>
          internals.includes(n) ||
          [
            'DiagGaussian',
            'ParamStore',
            'ResidualScoreNet',
            'SCORE_NET_DEFAULTS',
            'ScoreNetConfigSchema',
          ].includes(n),
      ),
    );
  });
});
