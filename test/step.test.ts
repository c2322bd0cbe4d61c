// The annealing step is the unit: a driver written by hand around annealStep, and a schedule
// policy that picks each beta as the chain runs, reproduce runAis exactly; the dispatch says which
// path each chain takes and why it passed over the faster ones.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine, liveTensorCount, Rng, tf, type Tensor1D } from '../src/engine/index.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { AnnealingPath } from '../src/annealing/path.js';
import { runAis } from '../src/annealing/ais.js';
import { fastPathReport, describePaths } from '../src/annealing/dispatch.js';
import { makeKernel } from '../src/annealing/samplers.js';
import { linearSchedule } from '../src/annealing/schedule.js';
import type { SchedulePolicy } from '../src/annealing/schedulePolicy.js';
import { annealStep, disposeChainState, type ChainState } from '../src/annealing/step.js';
import { createTarget } from '../src/targets/index.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

/** A policy that does not know its steps up front: beta_k = k / K, decided step by step. */
function onTheFly(steps: number): SchedulePolicy & { asked: number } {
  const policy = {
    asked: 0,
    initial: 0,
    known: null,
    next(k: number) {
      policy.asked++;
      return k <= steps ? { beta: k / steps, last: k === steps } : null;
    },
    dispose() {},
  };
  return policy;
}

describe('one step, many drivers', () => {
  for (const sampler of ['ais-ula', 'ais-hmc', 'ais-mala'] as const) {
    it(`${sampler}: a schedule chosen as the chain runs gives the same weights as the same betas fixed up front`, () => {
      const target = createTarget('funnel');
      const initial = DiagGaussian.isotropic(10, 1);
      const path = new AnnealingPath(initial, target);
      const steps = 12;
      const kernel = makeKernel(sampler, steps, { stepSize: 0.05, leapfrogSteps: 2 });
      const base = liveTensorCount();
      // The fixed run keeps a trace so that it, too, runs step by step (a native chain differs
      // from the step-by-step path in float32 rounding).
      const fixed = runAis({
        path,
        kernel,
        betas: linearSchedule(steps),
        particles: 200,
        rng: Rng.fromSeed(5),
        trace: true,
      });
      const policy = onTheFly(steps);
      const adaptive = runAis({
        path,
        kernel,
        schedule: policy,
        particles: 200,
        rng: Rng.fromSeed(5),
      });
      assert.equal(policy.asked, steps);
      assert.deepEqual(Array.from(adaptive.logW.dataSync()), Array.from(fixed.logW.dataSync()));
      assert.deepEqual(
        adaptive.perStep.map((s) => [s.beta, s.logZ]),
        fixed.perStep.map((s) => [s.beta, s.logZ]),
      );
      tf.dispose([fixed.z, fixed.logW, fixed.trace as tf.Tensor, adaptive.z, adaptive.logW]);
      assert.equal(liveTensorCount(), base);
      initial.dispose();
    });
  }

  it('a driver written around annealStep reproduces runAis (the seam adaptive tempering uses)', () => {
    const target = createTarget('many-well', { dim: 4 });
    const initial = DiagGaussian.isotropic(4, 1.5);
    const path = new AnnealingPath(initial, target);
    const steps = 10;
    const betas = linearSchedule(steps);
    const kernel = makeKernel('ais-ula', steps, { stepSize: 0.02 });
    const reference = runAis({
      path,
      kernel,
      betas,
      particles: 100,
      rng: Rng.fromSeed(9),
      trace: true,
    });
    const rng = Rng.fromSeed(9);
    let chain: ChainState = {
      particles: tf.tidy(() => path.evaluate(path.initial.sample(100, rng))),
      logW: tf.zeros([100]) as Tensor1D,
      logZ: null,
    };
    for (let k = 1; k <= steps; k++) {
      const ctx = {
        path,
        kernel,
        step: k,
        steps,
        beta: betas[k] as number,
        betaPrev: betas[k - 1] as number,
        resampling: null,
        groupSize: 100,
        last: k === steps,
        readings: true,
      };
      const out = annealStep(chain, ctx, rng);
      chain = out.state;
      assert.equal(out.info.readings?.shape[0], 6);
      out.info.readings?.dispose();
    }
    assert.deepEqual(Array.from(chain.logW.dataSync()), Array.from(reference.logW.dataSync()));
    disposeChainState(chain);
    tf.dispose([reference.z, reference.logW, reference.trace as tf.Tensor]);
    initial.dispose();
  });

  it('the dispatch reports the path each chain takes and why it passed over the faster ones', () => {
    const target = createTarget('funnel');
    const initial = DiagGaussian.isotropic(10, 1);
    const path = new AnnealingPath(initial, target);
    const kernel = makeKernel('ais-hmc', 8, {});
    const plain = { resampling: false, trace: false, scheduleKnown: true };
    const native = fastPathReport(kernel, path, plain);
    const smc = fastPathReport(kernel, path, { ...plain, resampling: true });
    const chosen = (r: ReturnType<typeof fastPathReport>) => r.find((c) => c.chosen)?.name;
    if (chosen(native) === 'native chain') {
      assert.equal(chosen(smc), 'native step');
      assert.equal(describePaths(smc), 'native step (not native chain: the chain resamples)');
    } else {
      // Without the native addon every chain runs on TF.js ops, and the report says why.
      assert.equal(chosen(native), 'reference ops');
      assert.match(describePaths(native), /not native chain: .+; native step: .+/);
    }
    initial.dispose();
  });
});
