// The fused native annealing paths against the op-by-op TF.js reference, at fixed seeds: whole AIS
// chains (ULA, HMC, UHA; funnel, Many-Well, an isotropic Gaussian mixture), single steps, SMC
// (per-step fused moves between TF.js resampling), a learned sampler's evaluation run, the random
// stream's position afterwards, divergence detection, the fall-back under a gradient tape, and
// tensor leaks. Skipped, with the reason, where the native addon is not built.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  tf,
  Rng,
  initEngine,
  liveTensorCount,
  nativeStatus,
  useNativeKernels,
  fusedAvailable,
  fusedTargetEval,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import { loadNative } from '../src/engine/native.js';
import { bothPaths } from './helpers/backends.js';
import { SAMPLER_TABLE } from '../src/annealing/samplerTable.js';
import { targetLogProbAndScore } from '../src/targets/score.js';
import {
  AnnealingPath,
  DiagGaussian,
  LearnedSampler,
  NonFiniteWeightsError,
  createTarget,
  fastPathReport,
  hmcKernel,
  linearSchedule,
  malaKernel,
  runAis,
  transition,
  uhaKernel,
  ulaKernel,
  type AnnealedResult,
  type TransitionKernel,
} from '../src/index.js';

const skip = loadNative() ? false : `native addon not available: ${nativeStatus()}`;

interface Run {
  logW: Float32Array;
  z: Float32Array;
  ess: number[];
  logZ: number[];
  acceptance: (number | null)[];
  counter: number;
}

function collect(r: AnnealedResult, rng: Rng): Run {
  const out = {
    logW: r.logW.dataSync() as Float32Array,
    z: r.z.dataSync() as Float32Array,
    ess: r.perStep.map((s) => s.essFraction),
    logZ: r.perStep.map((s) => s.logZ),
    acceptance: r.perStep.map((s) => s.acceptance),
    counter: rng.state().counter,
  };
  tf.dispose([r.z, r.logW]);
  return out;
}

/** Largest |a - b| / (1 + |b|) over the particles, and how many differ by more than tol. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  let worst = 0;
  let outliers = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number));
    if (e > tol) outliers++;
    else worst = Math.max(worst, e);
  }
  return { worst, outliers };
}

const TARGETS: [string, Record<string, number>][] = [
  ['funnel', {}],
  ['many-well', { dim: 8 }],
  ['dsmcs-mixture', { dim: 6, components: 3 }],
];

function kernelFor(
  kind: 'ula' | 'hmc' | 'hmc-scaled' | 'uha' | 'mala',
  dim: number,
): TransitionKernel {
  if (kind === 'ula') return ulaKernel({ stepSize: 0.01 });
  if (kind === 'hmc') return hmcKernel({ stepSize: 0.05, leapfrogSteps: 3 });
  // A per-coordinate step scale (a diagonal preconditioner), as the auto sampler passes it.
  if (kind === 'hmc-scaled')
    return hmcKernel({
      stepSize: 0.05,
      leapfrogSteps: 3,
      scale: tf.tensor1d(Array.from({ length: dim }, (_, j) => 0.5 + 0.3 * j)),
    });
  if (kind === 'mala') return malaKernel({ stepSize: 0.02 });
  // A per-step step size and a [dim] mass, as learned samplers pass them.
  return uhaKernel({
    stepSize: Array.from({ length: 24 }, (_, k) => 0.02 + 0.001 * k),
    eta: 0.8,
    mass: tf.tensor1d(Array.from({ length: dim }, (_, j) => 1 + 0.1 * j)),
    leapfrogSteps: 2,
  });
}

describe('fused native annealing', { skip }, () => {
  before(async () => {
    await initEngine({ backend: 'wasm', native: true });
  });
  after(async () => {
    await useNativeKernels(true);
  });

  for (const [name, options] of TARGETS) {
    for (const kind of ['ula', 'hmc', 'uha', 'mala'] as const) {
      it(`${kind} on ${name}: log-weights, particles and diagnostics match the TF.js chain`, async () => {
        const target = createTarget(name, options);
        const initial = DiagGaussian.isotropic(target.dim, 1.5, 0.3);
        const path = new AnnealingPath(initial, target);
        const kernel = kernelFor(kind, target.dim);
        const steps = 24;
        const { fused, reference } = await bothPaths((isFused) => {
          assert.equal(path.fused() !== null, isFused);
          const rng = Rng.fromSeed(7);
          return collect(
            runAis({ path, kernel, betas: linearSchedule(steps), particles: 300, rng }),
            rng,
          );
        });
        // Same draws from the stream, in the same order.
        assert.equal(fused.counter, reference.counter);
        // float32 arithmetic in a different order: 1e-4 relative after 24 steps. An HMC
        // (or MALA) accept/reject decision can flip where log u and the acceptance log-ratio tie to
        // float32 precision; allow at most 1 % of the particles such a flip.
        const mh = kind === 'hmc' || kind === 'mala';
        const allowed = mh ? 3 : 0;
        const w = compare(fused.logW, reference.logW, 1e-4);
        assert.ok(w.outliers <= allowed, `${w.outliers} log-weights differ (worst ${w.worst})`);
        const zc = compare(fused.z, reference.z, 1e-4);
        assert.ok(zc.outliers <= allowed * target.dim, `${zc.outliers} coordinates differ`);
        const ess = compare(fused.ess, reference.ess, 1e-3);
        const logZ = compare(fused.logZ, reference.logZ, 1e-3);
        assert.ok(
          mh || (ess.outliers === 0 && logZ.outliers === 0),
          `diagnostics differ: ESS ${ess.worst}, log Z ${logZ.worst}`,
        );
        if (mh) {
          for (let k = 0; k < steps; k++) {
            assert.ok(
              Math.abs((fused.acceptance[k] as number) - (reference.acceptance[k] as number)) <
                0.02,
            );
          }
        }
        if (kind === 'uha') (kernel.params as { mass: Tensor }).mass.dispose();
        initial.dispose();
        target.dispose?.();
      });
    }
  }

  it('one fused step equals the TF.js step to float32 accuracy (ULA, HMC, preconditioned HMC, UHA, MALA)', async () => {
    const target = createTarget('dsmcs-mixture', { dim: 5, components: 4 });
    const initial = DiagGaussian.isotropic(5, 2);
    const path = new AnnealingPath(initial, target);
    for (const kind of ['ula', 'hmc', 'hmc-scaled', 'uha', 'mala'] as const) {
      const kernel = kernelFor(kind, 5);
      const { fused, reference } = await bothPaths(() =>
        tf.tidy(() => {
          const rng = Rng.fromSeed(3);
          let state = path.evaluate(Rng.fromSeed(4).normal([200, 5]) as Tensor2D);
          if (kernel.init) state = kernel.init(state, rng);
          // Through the dispatch: the native step where it applies, the reference step elsewhere.
          const r = transition(kernel, state, { path, step: 3, steps: 24, beta: 0.37 }, rng);
          return [
            r.state.z,
            r.state.logTarget,
            r.state.scoreTarget,
            r.logCorrection ?? tf.zeros([1]),
          ].map((t) => Array.from(t.dataSync()));
        }),
      );
      for (let i = 0; i < fused.length; i++) {
        const c = compare(fused[i] as number[], reference[i] as number[], 2e-5);
        assert.equal(c.outliers, 0, `${kind} output ${i}: worst ${c.worst}`);
      }
      if (kind === 'uha') (kernel.params as { mass: Tensor }).mass.dispose();
      if (kind === 'hmc-scaled') (kernel.params as { scale: Tensor }).scale.dispose();
    }
    initial.dispose();
    target.dispose?.();
  });

  it('HMC and MALA on a target without a native form: their native ops are the reference step bit for bit, whole AIS runs too', () => {
    // A user's density in TF.js ops (a matrix product, a softplus), its score by autodiff.
    const rng0 = Rng.fromSeed(41);
    const data = tf.keep(tf.mul(rng0.normal([6, 40]), 0.5));
    const userTarget = {
      name: 'user-softplus',
      dim: 6,
      logProb: (z: Tensor) =>
        tf.tidy(() =>
          tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), tf.sum(tf.softplus(tf.matMul(z, data)), 1)),
        ) as tf.Tensor1D,
    };
    const initial = DiagGaussian.isotropic(6, 1.5);
    const path = new AnnealingPath(initial, userTarget);
    const scale = tf.tensor1d([0.5, 0.8, 1, 1.3, 0.9, 1.1]);
    for (const kernel of [
      hmcKernel({ stepSize: [0.05, 0.07, 0.06], leapfrogSteps: 4 }),
      // Preconditioned per coordinate, as the auto sampler runs it.
      hmcKernel({ stepSize: 0.06, leapfrogSteps: 3, scale }),
      malaKernel({ stepSize: [0.02, 0.03, 0.025] }),
      malaKernel({ stepSize: 0.03, scale }),
    ]) {
      const report = fastPathReport(kernel, path, {
        resampling: false,
        trace: false,
        scheduleKnown: true,
      });
      assert.equal(report.find((c) => c.chosen)?.name, 'native ops');
      const step = (viaDispatch: boolean) =>
        tf.tidy(() => {
          const rng = Rng.fromSeed(3);
          const state = path.evaluate(Rng.fromSeed(4).normal([300, 6]) as Tensor2D);
          const ctx = { path, step: 2, steps: 3, beta: 0.37 };
          const r = viaDispatch
            ? transition(kernel, state, ctx, rng)
            : kernel.step(state, ctx, rng);
          return {
            fields: [r.state.z, r.state.logTarget, r.state.scoreTarget, r.state.logInitial].map(
              (t) => Array.from(t.dataSync()),
            ),
            acceptance: (r.acceptance as tf.Scalar).dataSync()[0] as number,
            diverged: (r.diverged as tf.Scalar).dataSync()[0] as number,
            counter: rng.state().counter,
          };
        });
      const fast = step(true);
      const reference = step(false);
      fast.fields.forEach((values, i) => {
        const at = values.findIndex((v, j) => !Object.is(v, reference.fields[i]![j]));
        assert.equal(at, -1, `field ${i}: element ${at}`);
      });
      assert.equal(fast.counter, reference.counter);
      assert.equal(fast.diverged, reference.diverged);
      assert.equal(fast.acceptance, reference.acceptance);
      // A whole AIS run: the dispatch's path against the kernel's own step at every step.
      const own: TransitionKernel = { ...kernel, kind: undefined };
      const ais = (k: TransitionKernel) => {
        const rng = Rng.fromSeed(9);
        return collect(
          runAis({ path, kernel: k, betas: linearSchedule(3), particles: 200, rng }),
          rng,
        );
      };
      const live = liveTensorCount();
      const a = ais(kernel);
      // Outside any scope: every temporary of the native ops (momenta, log u, the trajectory's
      // states) is freed by the step itself.
      assert.equal(liveTensorCount(), live);
      const b = ais(own);
      assert.deepEqual(Array.from(a.logW), Array.from(b.logW));
      assert.deepEqual(Array.from(a.z), Array.from(b.z));
      assert.equal(a.counter, b.counter);
    }
    initial.dispose();
    data.dispose();
    scale.dispose();
  });

  it('SMC with per-step fused moves matches the TF.js sampler', async () => {
    const target = createTarget('funnel');
    const initial = DiagGaussian.isotropic(10, 1);
    const path = new AnnealingPath(initial, target);
    const kernel = ulaKernel({ stepSize: 0.01 });
    const { fused, reference } = await bothPaths(() => {
      const rng = Rng.fromSeed(9);
      return collect(
        runAis({
          path,
          kernel,
          betas: linearSchedule(16),
          particles: 256,
          rng,
          resampling: { scheme: 'systematic', groupSize: 64, essThreshold: 0.5 },
        }),
        rng,
      );
    });
    assert.equal(fused.counter, reference.counter);
    const w = compare(fused.logW, reference.logW, 1e-4);
    assert.equal(w.outliers, 0, `worst ${w.worst}`);
    initial.dispose();
  });

  it("a learned UHA sampler's evaluation run (tensor parameters) is fused and agrees", async () => {
    const target = createTarget('funnel');
    const sampler = new LearnedSampler(
      target,
      { kind: 'uha', steps: 12, stepSize: 0.05 },
      Rng.fromSeed(1),
    );
    // Move the parameters off their initial values so that per-step values matter.
    sampler
      .param('stepSizes.log')
      .assign(tf.tensor1d(Array.from({ length: 12 }, (_, k) => Math.log(0.03 + 0.004 * k))));
    sampler
      .param('uha.logMass')
      .assign(tf.tensor1d(Array.from({ length: 10 }, (_, j) => 0.05 * j)));
    const { fused, reference } = await bothPaths(() => {
      const rng = Rng.fromSeed(5);
      return collect(sampler.run({ particles: 400, rng, diagnostics: true }), rng);
    });
    const w = compare(fused.logW, reference.logW, 1e-4);
    assert.equal(w.outliers, 0, `worst ${w.worst}`);
    sampler.dispose();
  });

  it('stops a diverged fused chain where the TF.js chain stops (within a step)', async () => {
    const target = createTarget('many-well', { dim: 4 });
    const initial = DiagGaussian.isotropic(4, 1);
    const path = new AnnealingPath(initial, target);
    const kernel = ulaKernel({ stepSize: 3 });
    const { fused, reference } = await bothPaths(() => {
      try {
        runAis({ path, kernel, betas: linearSchedule(30), particles: 50, rng: Rng.fromSeed(1) });
        return null;
      } catch (error) {
        assert.ok(error instanceof NonFiniteWeightsError);
        return error.step;
      }
    });
    assert.ok(fused !== null, 'the fused chain did not report the divergence');
    assert.ok(reference !== null);
    // Overflow order differs between the two float32 paths once particles blow up: the first
    // non-finite weight may come one step apart.
    assert.ok(Math.abs(fused - reference) <= 1, `fused step ${fused}, reference step ${reference}`);
    initial.dispose();
  });

  it('counts diverged HMC proposals as the TF.js chain does (whole-chain AIS and per-step SMC)', async () => {
    // A step size of 1 throws many of the funnel's proposals out of its neck: energy errors over
    // 1000 or NaN. Float32 rounding may flip a proposal right at the threshold, so each step's
    // count may differ by one.
    const target = createTarget('funnel');
    const initial = DiagGaussian.isotropic(10, 1);
    const path = new AnnealingPath(initial, target);
    const kernel = hmcKernel({ stepSize: 1, leapfrogSteps: 5 });
    for (const smc of [false, true]) {
      const { fused, reference } = await bothPaths(() => {
        const r = runAis({
          path,
          kernel,
          betas: linearSchedule(20),
          particles: 256,
          rng: Rng.fromSeed(3),
          ...(smc
            ? { resampling: { scheme: 'systematic' as const, groupSize: 64, essThreshold: 0.5 } }
            : {}),
        });
        tf.dispose([r.z, r.logW]);
        return r.perStep.map((s) => s.diverged as number);
      });
      const total = reference.reduce((a, b) => a + b, 0);
      assert.ok(total > 200, `only ${total} diverged proposals`);
      for (let k = 0; k < 20; k++) {
        assert.ok(
          Math.abs((fused[k] as number) - (reference[k] as number)) <= 1,
          `${smc ? 'SMC' : 'AIS'} step ${k + 1}: fused ${fused[k]}, TF.js ${reference[k]}`,
        );
      }
    }
    initial.dispose();
  });

  it('falls back to TF.js under a gradient tape, so gradients flow', () => {
    const target = createTarget('funnel');
    const mean = tf.variable(tf.zeros([10]), true, 'fused_mean');
    const initial = new DiagGaussian(mean as unknown as tf.Tensor1D, tf.zeros([10]) as tf.Tensor1D);
    const path = new AnnealingPath(initial, target);
    const kernel = ulaKernel({ stepSize: 0.01 });
    assert.ok(fusedAvailable());
    const { grads } = tf.variableGrads(() => {
      assert.equal(path.fused(), null);
      const r = runAis({
        path,
        kernel,
        betas: linearSchedule(4),
        particles: 32,
        rng: Rng.fromSeed(2),
        diagnostics: false,
      });
      r.z.dispose();
      return tf.mean(r.logW) as tf.Scalar;
    }, [mean]);
    const g = grads.fused_mean as Tensor;
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
    assert.ok(Array.from(g.dataSync()).some((x) => x !== 0));
    tf.dispose([g, mean, initial.logScale]);
  });

  it("closed-form targets' native evaluation: values and the gradient through the score equal TF.js autodiff", async () => {
    for (const [name, options] of TARGETS) {
      const target = createTarget(name, options);
      const spec = target.nativeSpec?.();
      assert.ok(spec, `${name} has a native form`);
      const rng = Rng.fromSeed(8);
      const z = tf.mul(rng.normal([37, target.dim]), 1.3) as Tensor2D;
      const a = rng.normal([37]);
      const b = rng.normal([37, target.dim]);
      // A scalar of both outputs: its gradient needs the score's Jacobian (the Hessian).
      const readout = (logProb: Tensor, score: Tensor) =>
        tf.add(tf.sum(tf.mul(logProb, a)), tf.sum(tf.mul(score, b))) as tf.Scalar;
      const zVar = tf.variable(z);
      const { fused, reference } = await bothPaths((native) => {
        const { value, grads } = tf.variableGrads(() => {
          if (native) {
            const [logProb, score] = fusedTargetEval(spec, zVar);
            return readout(logProb, score);
          }
          const { logProb, score } = targetLogProbAndScore(target, zVar as unknown as Tensor2D);
          return readout(logProb, score);
        }, [zVar]);
        const out = {
          value: value.dataSync()[0] as number,
          grad: Array.from(grads[zVar.name]!.dataSync()),
        };
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      });
      assert.ok(
        Math.abs(fused.value - reference.value) <= 1e-4 * (1 + Math.abs(reference.value)),
        name,
      );
      const scale = Math.max(...reference.grad.map(Math.abs));
      const diff = Math.max(
        ...fused.grad.map((x, i) => Math.abs(x - (reference.grad[i] as number))),
      );
      assert.ok(diff <= 1e-4 * scale, `${name}: gradient max diff ${diff} (scale ${scale})`);
      tf.dispose([z, a, b, zVar]);
      target.dispose?.();
    }
  });

  it("LDVI's Euler refresh and underdamped CMCD's control run on the native differentiable paths", () => {
    const zero = (z: Tensor2D) => tf.zerosLike(z);
    const conditions = { resampling: false, trace: false, scheduleKnown: true };
    for (const [name, chosen] of [
      ['funnel', 'native differentiable move'],
      ['sonar', 'native differentiable ops'],
    ] as const) {
      const target = createTarget(name);
      const path = new AnnealingPath(DiagGaussian.isotropic(target.dim, 1), target);
      for (const network of [{ backwardCorrection: zero }, { control: zero }]) {
        const kernel = uhaKernel({
          stepSize: 0.05,
          eta: 0.1,
          mass: 1,
          refresh: 'euler',
          ...network,
        });
        const report = fastPathReport(kernel, path, conditions);
        assert.equal(report.find((c) => c.chosen)?.name, chosen, `${name}: ${kernel.name}`);
      }
      target.dispose?.();
    }
  });

  // UHA on closed-form targets runs as the native move; elsewhere ULA and UHA run as native
  // kernels around the target's own evaluation (sonar: a TF.js logistic-regression target).
  const GRADIENT_CASES = [
    ...TARGETS.flatMap(([name, options]) =>
      (['uha', 'uha-mcd', 'ldvi', 'cmcd-ud', 'ula', 'ula-mcd', 'cmcd'] as const).map((kind) => ({
        name,
        options,
        kind,
      })),
    ),
    ...(['ula', 'ula-mcd', 'cmcd', 'uha', 'uha-mcd', 'ldvi', 'cmcd-ud'] as const).map((kind) => ({
      name: 'sonar',
      options: {},
      kind,
    })),
  ];
  for (const { name, options, kind } of GRADIENT_CASES) {
    {
      it(`training gradients of ${kind} on ${name} through the native kernels equal TF.js autodiff`, async () => {
        const target = createTarget(name, options);
        const d = target.dim;
        const sampler = new LearnedSampler(
          target,
          { kind, steps: 6, stepSize: 0.05, leapfrogSteps: 2 },
          Rng.fromSeed(1),
        );
        // Parameters away from their symmetric starting values, so every term is exercised.
        const set = (p: string, values: number[]) => sampler.param(p).assign(tf.tensor1d(values));
        // ULA steps are step sizes of the overdamped chain: smaller, as a trained sampler's.
        const underdamped = SAMPLER_TABLE[kind].kernel === 'uha';
        const base = underdamped ? 0.04 : 0.004;
        set(
          'stepSizes.log',
          [0, 1, 2, 3, 4, 5].map((k) => Math.log(base * (1 + 0.25 * k))),
        );
        // Masses from e^-0.2 to e^0.4 whatever the dimension: with a wider spread, a control in
        // the momentum makes the float32 chain chaotic (on sonar with masses up to e^5.8 the
        // TF.js reference on the cpu and wasm backends differs by 1e-2).
        if (underdamped) {
          set(
            'uha.logMass',
            Array.from({ length: d }, (_, j) => (0.6 * j) / d - 0.2),
          );
        }
        set(
          'initial.mean',
          Array.from({ length: d }, (_, j) => 0.1 * j),
        );
        set(
          'initial.logScale',
          Array.from({ length: d }, (_, j) => 0.05 * j),
        );
        set(
          'schedule.logits',
          [0, 1, 2, 3, 4, 5].map((k) => 0.2 * k),
        );
        // The network's output layer off zero, so that its gradient reaches every layer.
        for (const name of ['control.out.w', 'score.out.w'].filter((n) => sampler.params.has(n))) {
          const w = sampler.param(name);
          tf.tidy(() => w.assign(tf.mul(Rng.fromSeed(6).normal(w.shape), 0.1)));
        }
        const { fused, reference } = await bothPaths(() => {
          const { value, grads } = tf.variableGrads(
            () => sampler.loss(64, Rng.fromSeed(3)),
            sampler.params.trainable(),
          );
          const out = Object.fromEntries(
            Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())]),
          );
          const loss = value.dataSync()[0] as number;
          tf.dispose([value, ...Object.values(grads)]);
          return { loss, grads: out };
        });
        assert.ok(Math.abs(fused.loss - reference.loss) < 1e-4 * (1 + Math.abs(reference.loss)));
        for (const [k, ref] of Object.entries(reference.grads)) {
          const got = fused.grads[k] as number[];
          const scale = Math.max(1e-3, ...ref.map(Math.abs));
          const diff = Math.max(...got.map((x, i) => Math.abs(x - (ref[i] as number))));
          assert.ok(diff <= 1e-3 * scale, `${k}: max diff ${diff} (scale ${scale})`);
        }
        sampler.dispose();
        target.dispose?.();
      });
    }
  }

  it('frees every tensor', () => {
    const target = createTarget('funnel');
    const initial = DiagGaussian.isotropic(10, 1);
    const path = new AnnealingPath(initial, target);
    const before = liveTensorCount();
    for (const kernel of [
      ulaKernel({ stepSize: 0.01 }),
      hmcKernel({ stepSize: 0.05, leapfrogSteps: 2 }),
      uhaKernel({ stepSize: 0.05, eta: 0.9, mass: 1 }),
    ]) {
      const r = runAis({
        path,
        kernel,
        betas: linearSchedule(8),
        particles: 64,
        rng: Rng.fromSeed(1),
        onStep: () => {},
      });
      tf.dispose([r.z, r.logW]);
    }
    assert.equal(liveTensorCount(), before);
    initial.dispose();
  });
});
