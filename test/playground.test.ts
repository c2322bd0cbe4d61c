// The browser playground's logic, in Node: URL settings with one message per bad field, and the
// computations behind the page (traced runs, log Z against exact values, training, memory).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { currentBackend, initEngine, liveTensorCount } from '../src/engine/index.js';
import { initBrowserEngine } from '../src/engine/browser.js';
import { NonFiniteWeightsError } from '../src/annealing/ais.js';
import {
  DEFAULT_SETTINGS,
  MAX_WORK,
  PAGE_SAMPLERS,
  PAGE_TARGETS,
  parseSettings,
  settingsToQuery,
  type Settings,
} from '../web/src/settings.js';
import { Playground, TARGET_VIEWS, defaultStepSize } from '../web/src/playground.js';

const query = (q: string) => parseSettings(new URLSearchParams(q));

describe('playground settings', () => {
  it('an empty URL gives the defaults and no errors', () => {
    const { settings, errors } = query('');
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.deepEqual(errors, []);
  });

  it('valid values are read with their types; auto means the default', () => {
    const { settings, errors } = query(
      'target=rings&sampler=smc&steps=32&particles=200&stepSize=0.01&resampling=gst&ess=0.3&initScale=auto&seed=7&lr=0.003&autorun=1',
    );
    assert.deepEqual(errors, []);
    assert.equal(settings.target, 'rings');
    assert.equal(settings.sampler, 'smc');
    assert.equal(settings.steps, 32);
    assert.equal(settings.particles, 200);
    assert.equal(settings.stepSize, 0.01);
    assert.equal(settings.resampling, 'gst');
    assert.equal(settings.ess, 0.3);
    assert.equal(settings.initScale, null);
    assert.equal(settings.seed, 7);
    assert.equal(settings.lr, 0.003);
    assert.equal(settings.autorun, true);
  });

  it('each bad value gets its own one-line message naming the field and the value', () => {
    const { settings, errors } = query(
      'particles=abc&target=nope&stepSize=-1&steps=1.5&ess=2&lr=NaN&seed=-3&partcles=3',
    );
    const byField = new Map(errors.map((e) => [e.field, e.message]));
    assert.match(
      byField.get('particles')!,
      /^particles must be a whole number from 2 to 5000 \(got 'abc'\)$/,
    );
    assert.match(
      byField.get('target')!,
      /^target must be one of gmm8, mgm, rings, .* \(got 'nope'\)$/,
    );
    assert.match(byField.get('stepSize')!, /'auto' or a number in \(0, 10\] \(got '-1'\)/);
    assert.match(byField.get('steps')!, /whole number from 1 to 512 \(got '1.5'\)/);
    assert.match(byField.get('ess')!, /number in \(0, 1\] \(got '2'\)/);
    assert.match(byField.get('lr')!, /got 'NaN'/);
    assert.match(byField.get('seed')!, /got '-3'/);
    assert.match(byField.get(null)!, /^unknown setting 'partcles'; known: target, sampler/);
    for (const e of errors) assert.ok(!e.message.includes('\n'), e.message);
    // Bad fields keep their defaults, so the page still has something valid to show.
    assert.equal(settings.particles, DEFAULT_SETTINGS.particles);
    assert.equal(settings.target, DEFAULT_SETTINGS.target);
  });

  it('rules across settings: the work cap, and autotrain only for trainable samplers', () => {
    const big = query('steps=512&particles=5000');
    assert.equal(big.errors.length, 1);
    assert.equal(big.errors[0]!.field, 'particles');
    assert.match(big.errors[0]!.message, new RegExp(`at most ${MAX_WORK.toLocaleString('en-US')}`));
    const hmc = query('sampler=ais-hmc&autotrain=1');
    assert.match(hmc.errors[0]!.message, /ais-hmc has nothing to train/);
    assert.deepEqual(query('sampler=flow&autotrain=1').errors, []);
    assert.match(query('steps=2&steps=3').errors[0]!.message, /given more than once/);
  });

  it('a settings link round-trips', () => {
    const s: Settings = {
      ...DEFAULT_SETTINGS,
      target: 'funnel',
      sampler: 'uha',
      stepSize: 0.02,
      leapfrog: 3,
      schedule: 'geometric',
      seed: 11,
    };
    const back = query(settingsToQuery(s));
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.settings, s);
    assert.equal(settingsToQuery(DEFAULT_SETTINGS), '');
  });
});

describe('browser engine', () => {
  it('auto falls back past WebGL (absent in Node) to wasm and says why; bad names are refused', async () => {
    const engine = await initBrowserEngine({ backend: 'auto' });
    assert.equal(engine.backend, 'wasm');
    assert.equal(engine.gpu, false);
    assert.equal(engine.skipped.length, 1);
    assert.equal(engine.skipped[0]!.backend, 'webgl');
    assert.ok(engine.skipped[0]!.reason.length > 0);
    assert.equal(currentBackend(), 'wasm');
    const cpu = await initBrowserEngine({ backend: 'cpu' });
    assert.deepEqual(cpu, { backend: 'cpu', gpu: false, skipped: [] });
    await assert.rejects(
      initBrowserEngine({ backend: 'webgl' }),
      /no backend could start: webgl \(/,
    );
    await assert.rejects(
      initBrowserEngine({ backend: 'webgpu' as 'webgl' }),
      /unknown backend 'webgpu'; valid: auto, webgl, wasm, cpu/,
    );
  });
});

describe('playground computations (wasm)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('every sampler on every target: a traced run of the right shape with finite log Z', () => {
    const baseline = liveTensorCount();
    for (const target of PAGE_TARGETS) {
      for (const sampler of PAGE_SAMPLERS) {
        const p = new Playground({ ...DEFAULT_SETTINGS, target, sampler, steps: 8, particles: 40 });
        const r = p.run();
        const flowLike = sampler === 'flow' || sampler === 'fab';
        const frames = flowLike ? DEFAULT_SETTINGS.layers + 1 : 9;
        const label = `${target}/${sampler}`;
        assert.equal(r.frameCount, frames, label);
        assert.equal(r.frames.length, frames * 40 * 2, label);
        assert.ok(r.frames.every(Number.isFinite), `${label} finite particles`);
        assert.ok(Number.isFinite(r.summary.logZ), `${label} log Z ${r.summary.logZ}`);
        assert.equal(r.exactLogZ, p.target.logZ, label);
        assert.equal(r.ess.length, flowLike ? 0 : 8, label);
        p.dispose();
      }
    }
    assert.equal(liveTensorCount(), baseline);
  });

  it('the page default (AIS-HMC on the 8-Gaussian mixture) estimates log Z = 0 within 4 standard errors', () => {
    // The end-to-end browser test checks the same configuration; here over several seeds.
    for (const seed of [1, 2, 3, 4]) {
      const p = new Playground({ ...DEFAULT_SETTINGS, seed });
      const r = p.run();
      const se = r.summary.logZStdErr!;
      assert.ok(se > 0 && se < 0.1, `seed ${seed}: standard error ${se}`);
      assert.ok(
        Math.abs(r.summary.logZ - (r.exactLogZ as number)) <= 4 * se,
        `seed ${seed}: log Z ${r.summary.logZ} ± ${se}, exact ${r.exactLogZ}`,
      );
      p.dispose();
    }
  });

  it('the first frame is the initial N(0, s^2 I) and later runs use fresh randomness', () => {
    const p = new Playground({
      ...DEFAULT_SETTINGS,
      target: 'rings',
      sampler: 'ais-ula',
      particles: 2000,
      steps: 4,
    });
    const a = p.run();
    const s = TARGET_VIEWS.rings.initScale;
    let sq = 0;
    for (let i = 0; i < 2 * 2000; i++) sq += (a.frames[i] as number) ** 2;
    const variance = sq / 4000;
    // The sample variance of 4000 N(0, s^2) draws has standard error s^2 sqrt(2 / 4000).
    assert.ok(Math.abs(variance - s * s) < 4 * s * s * Math.sqrt(2 / 4000), `variance ${variance}`);
    const b = p.run();
    assert.notEqual(a.frames[0], b.frames[0]);
    p.dispose();
  });

  it('training raises the ELBO (ULA-MCD, the flow and FAB) and frees its tensors', () => {
    const baseline = liveTensorCount();
    for (const sampler of ['ula-mcd', 'flow', 'fab'] as const) {
      const p = new Playground({
        ...DEFAULT_SETTINGS,
        target: 'mgm',
        sampler,
        steps: 8,
        batch: 256,
        lr: 0.02,
      });
      const elbos: number[] = [];
      for (let i = 0; i < 60; i++) elbos.push(p.trainStep()!.elbo);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(elbos.slice(0, 10));
      const lastTen = mean(elbos.slice(-10));
      assert.ok(lastTen > first + 0.1, `${sampler}: ELBO ${first} -> ${lastTen}`);
      assert.ok(lastTen <= 0.05, `${sampler}: the ELBO stays below log Z = 0 (${lastTen})`);
      p.dispose();
    }
    assert.equal(liveTensorCount(), baseline);
  });

  it('a new batch size or rate restarts Adam but keeps what was learned, without leaks', () => {
    const baseline = liveTensorCount();
    for (const sampler of ['ais-ula', 'flow', 'fab'] as const) {
      const p = new Playground({
        ...DEFAULT_SETTINGS,
        target: 'mgm',
        sampler,
        steps: 4,
        batch: 64,
      });
      const fresh = new Playground({ ...DEFAULT_SETTINGS, target: 'mgm', sampler, steps: 4 });
      for (let i = 0; i < 5; i++) p.trainStep();
      const learned = p.learnedSummary();
      p.settings.batch = 32;
      p.resetOptimizer();
      assert.equal(p.learnedSummary(), learned, `${sampler}: parameters survive the reset`);
      if (sampler === 'ais-ula')
        assert.notEqual(learned, fresh.learnedSummary(), 'training moved them');
      const m = p.trainStep()!;
      assert.ok(Number.isFinite(m.elbo), `${sampler}: training goes on after the reset`);
      p.dispose();
      fresh.dispose();
    }
    assert.equal(liveTensorCount(), baseline);
  });

  it('AIS-HMC has nothing to train; a diverging step size names the step where it happened', () => {
    const hmc = new Playground({ ...DEFAULT_SETTINGS, steps: 4, particles: 20 });
    assert.equal(hmc.trainable, false);
    assert.equal(hmc.trainStep(), null);
    hmc.dispose();
    const baseline = liveTensorCount();
    const p = new Playground({
      ...DEFAULT_SETTINGS,
      target: 'funnel',
      sampler: 'uha',
      stepSize: 5,
      steps: 16,
    });
    assert.throws(
      () => p.run(),
      (e: unknown) => {
        assert.ok(e instanceof NonFiniteWeightsError);
        assert.match(e.message, /first at step \d+ of 16 .* try a smaller step size/);
        return true;
      },
    );
    p.dispose();
    assert.equal(liveTensorCount(), baseline);
  });

  it('default step sizes follow the target scale', () => {
    assert.equal(defaultStepSize(TARGET_VIEWS.gmm8, 'ais-hmc'), 0.5);
    assert.ok(defaultStepSize(TARGET_VIEWS.rings, 'ais-ula') < 0.01);
    assert.equal(defaultStepSize(TARGET_VIEWS.funnel, 'uha'), 0.03);
  });
});
