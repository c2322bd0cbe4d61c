// Results carry their own warnings in the library, as the command line prints them: moves that
// never accept, diverged proposals, a few particles carrying log Z, a standard error resting on too
// few effective particles.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { createTarget, estimateLogZ, evaluateSampler, LearnedSampler, Rng } from '../src/index.js';
import { resultWarnings } from '../src/eval/warnings.js';

describe('warnings in results', () => {
  before(async () => {
    await initEngine();
  });

  it('a step far too large: almost nothing accepted, and the divergences counted', () => {
    const r = estimateLogZ({
      target: createTarget('funnel'),
      sampler: 'ais-hmc',
      stepSize: 1e6,
      steps: 10,
      particles: 200,
      seed: 1,
    });
    assert.ok(
      r.warnings.some((w) =>
        /^mean acceptance 0\.0\d\d \(below 0.05, averaged over the steps\)/.test(w),
      ),
      r.warnings.join('\n'),
    );
    assert.ok(
      r.warnings.some((w) => /^\d+ proposals diverged \(\d+\.\d% of all steps' proposals/.test(w)),
      r.warnings.join('\n'),
    );
  });

  it('degenerate weights, and none on a run that is fine', () => {
    const gmm = estimateLogZ({
      target: createTarget('gmm8'),
      sampler: 'ais-ula',
      steps: 10,
      particles: 1000,
      seed: 1,
    });
    assert.ok(gmm.warnings.some((w) => /^ESS \d+\.\d of 1000 particles \(below 1%/.test(w)));
    const fine = estimateLogZ({
      target: createTarget('gaussian', { dim: 2 }),
      sampler: 'ais-hmc',
      steps: 20,
      seed: 1,
    });
    assert.deepEqual(fine.warnings, []);
  });

  it('an evaluation carries them too', () => {
    const target = createTarget('gaussian', { dim: 2 });
    const sampler = new LearnedSampler(target, { kind: 'uha', steps: 4 }, Rng.fromSeed(1));
    try {
      // An untrained 4-step sampler: about a quarter of 200 particles effective, under 10 a batch.
      const few = evaluateSampler(sampler, { particles: 200, seed: 2 });
      assert.equal(few.logZStdErrReliable, false);
      assert.match(
        few.warnings.join('\n'),
        /the standard error rests on \d+\.\d effective particles/,
      );
      const enough = evaluateSampler(sampler, { particles: 2000, seed: 2 });
      assert.deepEqual(enough.warnings, []);
    } finally {
      sampler.dispose();
    }
  });

  it('a standard error on too few effective particles per batch is flagged', () => {
    const readings = {
      essCount: 40,
      particles: 1000,
      batches: 10,
      logZStdErr: 0.1,
      logZStdErrReliable: false,
    };
    const [w] = resultWarnings(readings);
    assert.match(
      w ?? '',
      /rests on 40\.0 effective particles for 10 batches, fewer than 10 per batch/,
    );
    assert.deepEqual(resultWarnings({ ...readings, essCount: 500, logZStdErrReliable: true }), []);
  });
});

describe('live readings', () => {
  it('onReading gives each step the readings the result reports at the end', async () => {
    await initEngine();
    const seen: { step: number; logZ: number; essFraction: number; acceptance: number | null }[] =
      [];
    const r = estimateLogZ({
      target: createTarget('gaussian', { dim: 2 }),
      sampler: 'smc-hmc',
      steps: 6,
      particles: 200,
      seed: 4,
      batches: 1,
      onReading: (s) => seen.push(s),
    });
    assert.equal(seen.length, 6);
    seen.forEach((s, k) => {
      const end = r.perStep[k];
      assert.equal(s.step, k + 1);
      assert.ok(Math.abs(s.logZ - (end?.logZ as number)) < 1e-6, `step ${k + 1} log Z`);
      assert.ok(Math.abs(s.essFraction - (end?.essFraction as number)) < 1e-6);
      assert.ok(Math.abs((s.acceptance as number) - (end?.acceptance as number)) < 1e-6);
    });
  });
});
