// Adaptive tempering: the bisection puts the criterion on its target, the chain ends at beta = 1,
// and SMC and AIS with the chosen temperatures still estimate Z without bias.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine, Rng, tf } from '../src/engine/index.js';
import { DiagGaussian } from '../src/distributions/diagGaussian.js';
import { AnnealingPath } from '../src/annealing/path.js';
import { runAis, runSmc } from '../src/annealing/ais.js';
import {
  adaptiveSchedule,
  nextIncrement,
  temperingCriterion,
} from '../src/annealing/adaptiveSchedule.js';
import { makeKernel } from '../src/annealing/samplers.js';
import { uhaKernel } from '../src/annealing/kernels/uha.js';
import { KernelError } from '../src/annealing/stepValue.js';
import { gaussianTarget } from '../src/targets/index.js';
import { summarizeLogWeights } from '../src/eval/logWeights.js';
import { assertUnbiased } from './helpers/unbiased.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

/** A reproducible synthetic system: current log-weights and log-density gaps. */
function synthetic(n: number, seed: number): { logW: Float64Array; gap: Float64Array } {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return {
    logW: Float64Array.from({ length: n }, () => 0.3 * normal()),
    gap: Float64Array.from({ length: n }, () => -5 + 4 * normal()),
  };
}

describe('adaptive tempering: the bisection', () => {
  for (const criterion of ['ess', 'cess'] as const) {
    it(`${criterion}: the chosen increment puts the criterion on the target within 1e-6`, () => {
      const sys = synthetic(1000, 3);
      for (const target of [0.3, 0.5, 0.9]) {
        const delta = nextIncrement(criterion, target, [sys], 0, 1e-8);
        assert.ok(delta > 1e-8 && delta < 1, `delta ${delta}`);
        const value = temperingCriterion(criterion, sys.logW, sys.gap, delta);
        assert.ok(Math.abs(value - target) < 1e-6, `${criterion} ${value} for target ${target}`);
      }
    });
  }

  it('takes the rest of the path when it keeps the criterion, and the smallest step when nothing does', () => {
    const flat = { logW: new Float64Array(100), gap: new Float64Array(100).fill(-2) };
    // Equal gaps: every increment keeps the ESS at N.
    assert.equal(nextIncrement('cess', 0.5, [flat], 0.25, 1e-6), 0.75);
    const wild = {
      logW: new Float64Array(100),
      gap: Float64Array.from({ length: 100 }, (_, i) => (i === 0 ? 0 : -1e9)),
    };
    assert.equal(nextIncrement('ess', 0.5, [wild], 0, 1e-6), 1e-6);
  });

  it('refuses a target outside (0, 1), an unknown criterion and a bad smallest increment', () => {
    assert.throws(() => adaptiveSchedule({ target: 0 }), KernelError);
    assert.throws(() => adaptiveSchedule({ target: 1.2 }), KernelError);
    assert.throws(() => adaptiveSchedule({ criterion: 'x' as 'ess' }), KernelError);
    assert.throws(() => adaptiveSchedule({ minIncrement: 0 }), KernelError);
  });
});

const target = () => gaussianTarget({ mean: [1.5, 1.5, 1.5], variance: [0.5, 2, 0.5] });

describe('adaptive tempering in a chain', () => {
  it('SMC-HMC with the ESS criterion: each step before the last reweights to ESS = 0.5 N, and the chain ends at beta = 1', () => {
    const t = target();
    const initial = DiagGaussian.isotropic(3, 1);
    const path = new AnnealingPath(initial, t);
    const r = runSmc({
      path,
      kernel: makeKernel('ais-hmc', 1, { stepSize: 0.5, leapfrogSteps: 2 }),
      schedule: adaptiveSchedule({ target: 0.5, criterion: 'ess' }),
      particles: 2000,
      rng: Rng.fromSeed(41),
      resampling: { scheme: 'systematic' },
    });
    const steps = r.perStep;
    assert.ok(steps.length >= 3, `${steps.length} steps`);
    assert.equal(steps[steps.length - 1]?.beta, 1);
    for (let k = 1; k < steps.length; k++) {
      assert.ok((steps[k]?.beta as number) > (steps[k - 1]?.beta as number));
    }
    // Before the last step the ESS (read on the device, float32) is the bisection's target.
    for (const s of steps.slice(0, -1)) {
      assert.ok(Math.abs(s.essFraction - 0.5) < 2e-3, `step ${s.step}: ESS ${s.essFraction}`);
    }
    assert.ok((steps[steps.length - 1]?.essFraction as number) >= 0.5 - 2e-3);
    tf.dispose([r.z, r.logW]);
    initial.dispose();
  });

  const runs = 2000;
  const perRun = 64;
  it(`adaptive AIS-HMC (CESS, no resampling): mean Z-hat / Z over ${runs} runs is 1 within 3 standard errors, which would catch a 3 % bias`, () => {
    const t = target();
    const initial = DiagGaussian.isotropic(3, 1);
    const path = new AnnealingPath(initial, t);
    const r = runAis({
      path,
      kernel: makeKernel('ais-hmc', 1, { stepSize: 0.5, leapfrogSteps: 2 }),
      schedule: adaptiveSchedule({ target: 0.98, criterion: 'cess', groupSize: perRun }),
      particles: runs * perRun,
      rng: Rng.fromSeed(42),
      diagnostics: true,
    });
    const logW = Float32Array.from(r.logW.dataSync());
    const ratios: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = summarizeLogWeights(logW.subarray(i * perRun, (i + 1) * perRun), 1);
      ratios.push(Math.exp(s.logZ - (t.logZ as number)));
    }
    assertUnbiased(ratios, 'adaptive AIS-HMC (cess)');
    tf.dispose([r.z, r.logW]);
    initial.dispose();
  });

  it(`adaptive SMC-HMC (ESS, systematic every step): mean Z-hat / Z over 4000 systems is 1 within 3 standard errors, which would catch a 3 % bias`, () => {
    const t = target();
    const initial = DiagGaussian.isotropic(3, 1);
    const path = new AnnealingPath(initial, t);
    const systems = 4000;
    const perSystem = 32;
    const r = runSmc({
      path,
      kernel: makeKernel('ais-hmc', 1, { stepSize: 0.5, leapfrogSteps: 2 }),
      schedule: adaptiveSchedule({ target: 0.95, criterion: 'ess', groupSize: perSystem }),
      particles: systems * perSystem,
      rng: Rng.fromSeed(43),
      resampling: { scheme: 'systematic', groupSize: perSystem },
    });
    const logW = Float32Array.from(r.logW.dataSync());
    const ratios: number[] = [];
    for (let i = 0; i < systems; i++) {
      const s = summarizeLogWeights(logW.subarray(i * perSystem, (i + 1) * perSystem), 1);
      ratios.push(Math.exp(s.logZ - (t.logZ as number)));
    }
    assertUnbiased(ratios, 'adaptive SMC-HMC (ess)');
    tf.dispose([r.z, r.logW]);
    initial.dispose();
  });

  it('ULA, MALA, HMC and UHA with several resampling rules run to beta = 1 on the adaptive schedule, with log Z within 4 standard errors of the truth', () => {
    const t = target();
    const initial = DiagGaussian.isotropic(3, 1);
    const path = new AnnealingPath(initial, t);
    const cases = [
      ['ula', () => makeKernel('ais-ula', 1, { stepSize: 0.05 }), { scheme: 'systematic' }],
      ['mala', () => makeKernel('ais-mala', 1, { stepSize: 0.3 }), { scheme: 'multinomial' }],
      [
        'hmc',
        () => makeKernel('ais-hmc', 1, { stepSize: 0.5, leapfrogSteps: 2 }),
        { scheme: 'stratified', essThreshold: 0.5 },
      ],
      ['uha', () => uhaKernel({ stepSize: 0.2, eta: 0.8, mass: 1 }), { scheme: 'residual' }],
      ['mala', () => makeKernel('ais-mala', 1, { stepSize: 0.3 }), { scheme: 'none' }],
    ] as const;
    for (const [sampler, kernel, resampling] of cases) {
      const systems = 20;
      const perSystem = 200;
      const r = runSmc({
        path,
        kernel: kernel(),
        schedule: adaptiveSchedule({ target: 0.9, groupSize: perSystem }),
        particles: systems * perSystem,
        rng: Rng.fromSeed(44),
        resampling: { ...resampling, groupSize: perSystem },
      });
      assert.equal(r.perStep[r.perStep.length - 1]?.beta, 1, sampler);
      const logW = Float32Array.from(r.logW.dataSync());
      const s = summarizeLogWeights(logW, systems);
      const err = s.logZ - (t.logZ as number);
      // ULA's and UHA's discretization bias is small at these step sizes.
      assert.ok(
        Math.abs(err) <
          4 * (s.logZStdErr as number) + (sampler === 'ula' || sampler === 'uha' ? 0.05 : 0),
        `${sampler} + ${resampling.scheme}: log Z error ${err} (SE ${s.logZStdErr})`,
      );
      tf.dispose([r.z, r.logW]);
    }
    initial.dispose();
  });
});
