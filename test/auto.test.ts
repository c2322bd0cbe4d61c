// The auto sampler: tuned moves reach their target acceptance, replayed tuned SMC (standard and
// waste-free) is unbiased for Z with the power to see a 3% bias, the fitted start finds a
// Gaussian's location and scale and refuses a multimodal target, the standard error over systems
// covers the truth about as often as it should, and bad options are refused in one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AnnealingPath,
  DiagGaussian,
  Rng,
  createTarget,
  initEngine,
  liveTensorCount,
  estimateLogZ,
  loadTargetModule,
  gaussianTarget,
  startDistribution,
} from '../src/index.js';
import { runTunedSmc, TARGET_ACCEPTANCE, type TunedPlan } from '../src/annealing/tunedSmc.js';
import { fitStart } from '../src/annealing/fitStart.js';
import { DiagMixture } from '../src/distributions/diagMixture.js';
import { tf } from '../src/engine/index.js';
import { logGamma } from '../src/targets/special.js';
import { studentTMixtureTarget } from '../src/targets/studentTMixture.js';
import { mcdStudentTMixtureTarget } from '../src/targets/mcdMixtures.js';
import { autoLogZ, stdErrOf, type AutoReport } from '../src/eval/autoLogZ.js';
import { autoWarnings } from '../src/eval/warnings.js';

before(async () => {
  await initEngine();
});

/**
 * Mean and standard error of Z-hat / Z over systems that replay one plan, each with its own stream
 * (log Z known, so the ratio has mean 1 for an unbiased estimator).
 */
function replayRatio(
  path: AnnealingPath,
  plan: TunedPlan,
  systems: number,
  particles: number,
  logZ: number,
): { mean: number; se: number } {
  const ratios: number[] = [];
  const streams = Rng.fromSeed(777).split(systems);
  for (const rng of streams) {
    const r = runTunedSmc({ path, particles, rng, plan });
    r.z.dispose();
    ratios.push(Math.exp(r.logZ - logZ));
  }
  const mean = ratios.reduce((a, b) => a + b, 0) / systems;
  const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (systems - 1));
  return { mean, se: sd / Math.sqrt(systems) };
}

describe('tuned SMC', () => {
  // Made once the engine is up (the suite's body runs before the hooks).
  let target: ReturnType<typeof createTarget>;
  let initial: DiagGaussian;
  let path: AnnealingPath;
  before(() => {
    target = createTarget('gaussian', { dim: 6 });
    initial = DiagGaussian.isotropic(6, 2, 0);
    path = new AnnealingPath(initial, target);
  });
  after(() => initial.dispose());

  for (const move of ['hmc', 'mala'] as const) {
    it(`${move}: the tuned step size brings the acceptance to its target`, () => {
      const base = liveTensorCount();
      const r = runTunedSmc({ path, particles: 512, rng: Rng.fromSeed(3), move });
      r.z.dispose();
      assert.equal(liveTensorCount(), base, 'tensors leaked');
      // Moves at the last temperatures, after the step size has settled.
      const late = r.temperatures.slice(-2);
      const moves = late.reduce((a, t) => a + t.moves, 0);
      const acceptance = late.reduce((a, t) => a + t.acceptance * t.moves, 0) / moves;
      // 512 particles: the mean acceptance of one move has a standard error of about 0.02; the
      // multiplicative tuning settles within a few hundredths of the target.
      assert.ok(
        Math.abs(acceptance - TARGET_ACCEPTANCE[move]) < 0.08,
        `acceptance ${acceptance.toFixed(3)} vs target ${TARGET_ACCEPTANCE[move]}`,
      );
      assert.equal(r.temperatures.at(-1)?.beta, 1);
      for (const t of r.temperatures) assert.ok(t.moves >= 8 && t.moves <= 24, `${t.moves} moves`);
    });
  }

  for (const chainLength of [null, 8] as const) {
    const kind = chainLength === null ? 'standard' : 'waste-free';
    it(`${kind}: replaying a pilot's choices is unbiased for Z, and would see a 3% bias`, () => {
      // Waste-free resamples only N / 8 particles, so it needs more of them for the same power.
      const particles = chainLength === null ? 128 : 256;
      const pilot = runTunedSmc({
        path,
        particles,
        rng: Rng.fromSeed(1),
        chainLength,
        maxMoves: 8,
      });
      pilot.z.dispose();
      const systems = chainLength === null ? 600 : 500;
      const { mean, se } = replayRatio(path, pilot.plan, systems, particles, target.logZ as number);
      // Power: the standard error is small enough that Z-hat off by 3% lies beyond 3 SE.
      assert.ok(3 * se < 0.03, `standard error ${se.toFixed(4)} too large to see a 3% bias`);
      assert.ok(
        Math.abs(mean - 1) < 3 * se,
        `E[Z-hat / Z] = ${mean.toFixed(4)} ± ${se.toFixed(4)}`,
      );
      assert.ok(Math.abs(1.03 * mean - 1) > 3 * se, 'a 3% bias would pass unseen');
    });
  }

  it('refuses bad settings in one line', () => {
    const rng = Rng.fromSeed(0);
    assert.throws(
      () => runTunedSmc({ path, particles: 100, rng, chainLength: 7 }),
      /chain length must be an integer >= 2 that divides the 100 particles/,
    );
    assert.throws(
      () => runTunedSmc({ path, particles: 100, rng, targetAcceptance: 1.5 }),
      /target acceptance must be in \(0, 1\)/,
    );
  });
});

describe('the fitted start', () => {
  it('finds a Gaussian target: mean and standard deviations within a few percent', () => {
    // gaussian: N(1, diag(0.5, 2, 0.5, ...)) unnormalized; the fit widens its scale by 3.
    const target = createTarget('gaussian', { dim: 4 });
    const fit = fitStart(target, Rng.fromSeed(5));
    assert.ok(fit.fitted, fit.reason ?? '');
    const sd = [0.5, 2, 0.5, 2].map(Math.sqrt);
    for (let j = 0; j < 4; j++) {
      assert.ok(Math.abs((fit.mean[j] as number) - 1) < 0.1 * (sd[j] as number), `mean ${j}`);
      const ratio = (fit.scale[j] as number) / (3 * (sd[j] as number));
      assert.ok(Math.abs(ratio - 1) < 0.1, `scale ${j}: ratio ${ratio.toFixed(3)}`);
    }
  });

  it('keeps the initial distribution where the target has more modes than a search can list', () => {
    // 16 double wells: 65536 modes, nearly every search ends at one of its own.
    const fit = fitStart(createTarget('many-well', { dim: 32 }), Rng.fromSeed(5));
    assert.equal(fit.fitted, false);
    assert.equal(fit.components, null);
    assert.match(fit.reason ?? '', /more modes than a search can list/);
    assert.deepEqual(Array.from(fit.scale), new Array(32).fill(1));
  });

  it('starts from a mixture with one Gaussian per mode where the search lists them all', () => {
    // Two double wells: four modes at x1 = +-1.7 (each well's x2 is N(0, 1)).
    const fit = fitStart(createTarget('many-well', { dim: 4 }), Rng.fromSeed(5));
    assert.equal(fit.fitted, true);
    assert.equal(fit.modes, 4);
    const corners = (fit.components ?? []).map((c) =>
      [c.mean[0] as number, c.mean[2] as number].map((x) => Math.sign(x)).join(','),
    );
    assert.deepEqual(corners.sort(), ['-1,-1', '-1,1', '1,-1', '1,1']);
    for (const c of fit.components ?? []) {
      assert.ok(Math.abs(Math.abs(c.mean[0] as number) - 1.7) < 0.3, `x1 ${c.mean[0]}`);
      assert.ok(Math.abs(c.mean[1] as number) < 0.5, `x2 ${c.mean[1]}`);
    }
  });

  it('fits a Student-t, unwidened, to a heavy-tailed target and keeps Gaussians for light tails', () => {
    // One multivariate t (2 degrees of freedom, unit scale) at (3, -3, 3, ...): the t family fits
    // it exactly, so its ELBO (log Z = 0 at the optimum) beats the Gaussian's by far.
    const loc = Array.from({ length: 6 }, (_, j) => (j % 2 ? -3 : 3));
    const heavy = studentTMixtureTarget({ means: [loc], df: 2, scale2: 1 });
    const fit = fitStart(heavy, Rng.fromSeed(2));
    heavy.dispose();
    assert.equal(fit.df, 2);
    assert.equal(fit.components, null);
    assert.ok(Math.abs(fit.elbo as number) < 0.15, `ELBO ${fit.elbo}`);
    for (let j = 0; j < 6; j++) {
      assert.ok(Math.abs((fit.mean[j] as number) - (loc[j] as number)) < 0.3, `mean ${j}`);
      assert.ok(Math.abs((fit.scale[j] as number) - 1) < 0.25, `scale ${j}: ${fit.scale[j]}`);
    }
    const light = fitStart(createTarget('gaussian', { dim: 4 }), Rng.fromSeed(2));
    assert.equal(light.df, null);
    assert.throws(
      () => fitStart(createTarget('gaussian', { dim: 2 }), Rng.fromSeed(2), { studentDf: [0] }),
      /degrees of freedom must be finite and > 0/,
    );
  });

  it('starts a fixed sampler too: from the fit, AIS keeps more of its ESS than from N(0, I)', () => {
    // A posterior far narrower than N(0, I) and away from it: standard deviations 0.1 to 0.2.
    const target = gaussianTarget({ mean: [3, -2, 1, 0.5], variance: [0.01, 0.04, 0.01, 0.02] });
    const fit = fitStart(target, Rng.fromSeed(1));
    const base = liveTensorCount();
    const start = startDistribution(fit);
    const run = (initial?: typeof start) =>
      estimateLogZ({
        target,
        sampler: 'ais-hmc',
        steps: 8,
        particles: 1000,
        stepSize: 0.05,
        seed: 2,
        ...(initial ? { initial } : {}),
      });
    const fitted = run(start);
    const plain = run();
    start.dispose();
    assert.equal(liveTensorCount(), base, 'tensors leaked');
    assert.ok(
      fitted.essFraction > 10 * plain.essFraction,
      `${fitted.essFraction} vs ${plain.essFraction}`,
    );
    const error = fitted.logZ - (target.logZ as number);
    assert.ok(Math.abs(error) < 4 * (fitted.logZStdErr as number) + 0.01, `error ${error}`);
  });

  it('a unimodal target gets one Gaussian, the same with or without the search', () => {
    const target = createTarget('gaussian', { dim: 4 });
    const searched = fitStart(target, Rng.fromSeed(3));
    const plain = fitStart(target, Rng.fromSeed(3), { searches: 0 });
    assert.equal(searched.modes, 1);
    assert.equal(searched.components, null);
    assert.deepEqual(Array.from(searched.mean), Array.from(plain.mean));
    assert.deepEqual(Array.from(searched.scale), Array.from(plain.scale));
  });
});

describe('DiagMixture (the mixture start)', () => {
  const components = [
    { mean: [-3, 1], scale: [0.5, 2] },
    { mean: [2, 0], scale: [1, 1] },
  ];
  const weights = [0.25, 0.75];
  const points = [
    [0, 0],
    [-3, 1],
    [1.5, -2],
  ];
  // Host float64 densities written out from their definitions.
  const gaussian = (z: number[], c: { mean: number[]; scale: number[] }) =>
    z.reduce((a, x, j) => {
      const u = (x - (c.mean[j] as number)) / (c.scale[j] as number);
      return a - 0.5 * u * u - Math.log(c.scale[j] as number) - 0.5 * Math.log(2 * Math.PI);
    }, 0);
  const studentT = (z: number[], c: { mean: number[]; scale: number[] }, df: number) => {
    let q = 0;
    let logDet = 0;
    z.forEach((x, j) => {
      q += ((x - (c.mean[j] as number)) / (c.scale[j] as number)) ** 2;
      logDet += Math.log(c.scale[j] as number);
    });
    const d = z.length;
    return (
      logGamma((df + d) / 2) -
      logGamma(df / 2) -
      (d / 2) * Math.log(df * Math.PI) -
      logDet -
      ((df + d) / 2) * Math.log1p(q / df)
    );
  };
  for (const df of [Infinity, 3]) {
    it(`log density and score match their definitions (df ${df})`, () => {
      const base = liveTensorCount();
      const q = new DiagMixture({ components, weights, df });
      const z = tf.tensor2d(points);
      const { logProb, score } = q.logProbAndScore(z);
      const lp = logProb.dataSync();
      const sc = score.dataSync();
      const logq = (p: number[]) =>
        Math.log(
          components.reduce(
            (a, c, k) =>
              a +
              (weights[k] as number) *
                Math.exp(df === Infinity ? gaussian(p, c) : studentT(p, c, df)),
            0,
          ),
        );
      points.forEach((p, i) => {
        assert.ok(Math.abs((lp[i] as number) - logq(p)) < 1e-4, `log q at ${p}`);
        for (let j = 0; j < 2; j++) {
          const h = 1e-4;
          const up = p.map((x, l) => (l === j ? x + h : x));
          const down = p.map((x, l) => (l === j ? x - h : x));
          const fd = (logq(up) - logq(down)) / (2 * h);
          assert.ok(Math.abs((sc[i * 2 + j] as number) - fd) < 1e-3 * (1 + Math.abs(fd)), `score`);
        }
      });
      tf.dispose([z, logProb, score]);
      q.dispose();
      assert.equal(liveTensorCount(), base, 'tensors leaked');
    });
  }

  it('draws each component in proportion to its weight, with the right spread', () => {
    const n = 8000;
    // Gaussians 12 sd apart: every draw is told to its component by its sign.
    const apart = new DiagMixture({
      components: [
        { mean: [-6, 0], scale: [1, 1] },
        { mean: [6, 0], scale: [1, 1] },
      ],
      weights,
    });
    const z = apart.sample(n, Rng.fromSeed(11));
    const v = z.dataSync();
    let left = 0;
    for (let i = 0; i < n; i++) if ((v[i * 2] as number) < 0) left++;
    const se = Math.sqrt((0.25 * 0.75) / n);
    assert.ok(Math.abs(left / n - 0.25) < 4 * se, `share ${left / n}`);
    z.dispose();
    apart.dispose();
    // One Student-t component with 3 degrees of freedom: quartiles at mean +- 0.7649 scale.
    const t = new DiagMixture({ components: [{ mean: [2], scale: [1.5] }], df: 3 });
    const w = t.sample(n, Rng.fromSeed(12));
    const inner = Array.from(w.dataSync()).filter((x) => Math.abs((x - 2) / 1.5) < 0.7649).length;
    assert.ok(Math.abs(inner / n - 0.5) < 4 * Math.sqrt(0.25 / n), `inner ${inner / n}`);
    w.dispose();
    t.dispose();
  });

  it('refuses components of the wrong size and weights that do not make a distribution', () => {
    assert.throws(
      () => new DiagMixture({ components: [{ mean: [0, 0], scale: [1] }] }),
      /dimension 2/,
    );
    assert.throws(() => new DiagMixture({ components, weights: [0, 0] }), /sum to zero/);
    assert.throws(() => new DiagMixture({ components, df: 0 }), /df must be > 0/);
  });
});

describe('autoLogZ', () => {
  it('from a mixture start over the modes it found, log Z within its error bar, nothing leaked', () => {
    const target = createTarget('many-well', { dim: 4 });
    const base = liveTensorCount();
    const r = estimateLogZ({ target, seed: 4 });
    assert.equal(liveTensorCount(), base, 'tensors leaked');
    const auto = (r as { auto?: AutoReport }).auto as AutoReport;
    assert.equal(auto.start.mixture, 4);
    assert.ok(r.logZStdErr !== null && r.logZStdErr > 0);
    const error = r.logZ - (target.logZ as number);
    assert.ok(Math.abs(error) < 4 * r.logZStdErr, `error ${error} vs SE ${r.logZStdErr}`);
  });

  it('from a Student-t mixture start on a heavy-tailed mixture, log Z within its error bar', () => {
    // Three multivariate t's (2 degrees of freedom, infinite variance) in d = 6, log Z = 0.
    const target = mcdStudentTMixtureTarget({ dim: 6, components: 3 });
    const base = liveTensorCount();
    const r = estimateLogZ({ target, seed: 3 });
    assert.equal(liveTensorCount(), base, 'tensors leaked');
    const auto = (r as { auto?: AutoReport }).auto as AutoReport;
    assert.equal(auto.start.df, 2);
    assert.equal(auto.start.mixture, 3);
    assert.ok(r.logZStdErr !== null && r.logZStdErr > 0);
    const error = r.logZ - (target.logZ as number);
    assert.ok(Math.abs(error) < 4 * r.logZStdErr, `error ${error} vs SE ${r.logZStdErr}`);
    target.dispose();
  });

  it('estimateLogZ with only a target runs auto, with an error bar that holds', () => {
    const target = createTarget('gaussian', { dim: 4 });
    const base = liveTensorCount();
    const r = estimateLogZ({ target, seed: 2, returnSamples: true });
    assert.equal(liveTensorCount(), base, 'tensors leaked');
    assert.equal(r.sampler, 'auto');
    assert.ok(r.logZStdErr !== null && r.logZStdErr > 0 && r.logZStdErr <= 0.03);
    const error = r.logZ - (target.logZ as number);
    assert.ok(Math.abs(error) < 4 * r.logZStdErr, `error ${error} vs SE ${r.logZStdErr}`);
    assert.equal(r.samples?.dim, 4);
    assert.equal(r.samples?.count, r.particles);
    // The draws are the target's: N(1, diag(0.5, 2, 0.5, 2)).
    const z = r.samples?.z as Float32Array;
    const n = r.particles;
    for (let j = 0; j < 4; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += z[i * 4 + j] as number;
      m /= n;
      const sd = Math.sqrt(j % 2 === 0 ? 0.5 : 2);
      // Correlated draws (resampled within systems): allow ten times the i.i.d. error.
      assert.ok(Math.abs(m - 1) < (10 * sd) / Math.sqrt(n), `mean of coordinate ${j}: ${m}`);
    }
    // With fixed settings and no sampler, estimateLogZ is AIS-ULA as before.
    const fixed = estimateLogZ({ target, steps: 4, particles: 100 });
    assert.equal(fixed.sampler, 'ais-ula');
    assert.throws(
      () => estimateLogZ({ target, sampler: 'auto', steps: 4 }),
      /the auto sampler chooses its own steps/,
    );
  });

  it('covers the truth with log Z ± 2 SE about as often as it should (40 seeds)', () => {
    // Small systems so that the standard error is far from zero; its spread over seeds is what
    // the interval must match. With 8 systems, |error| / SE follows about a t law with 7 degrees of
    // freedom: P(|t| < 2) = 0.91, E|t| = 0.86.
    const target = createTarget('gaussian', { dim: 5 });
    const t: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      const r = autoLogZ({ target, seed, particles: 64, systems: 8, targetStdErr: null });
      t.push(Math.abs((r.error as number) / (r.logZStdErr as number)));
    }
    const covered = t.filter((v) => v <= 2).length / t.length;
    const meanT = t.reduce((a, b) => a + b, 0) / t.length;
    // 40 runs: coverage has a binomial standard error of about 0.045.
    assert.ok(covered >= 0.78, `coverage ${covered}`);
    // An error bar several times too large (or too small) moves E|t| far from 0.86.
    assert.ok(meanT > 0.45 && meanT < 1.5, `mean |error| / SE = ${meanT.toFixed(3)}`);
  });

  it('stops at the standard error asked for, and says what stopped it', () => {
    const target = createTarget('gaussian', { dim: 3 });
    const r = autoLogZ({ target, seed: 1, particles: 64, targetStdErr: 0.02 });
    assert.equal(r.auto.stoppedBy, 'target-se');
    assert.ok((r.logZStdErr as number) <= 0.02);
    assert.equal(stdErrOf(r.auto.systemLogZ), r.logZStdErr);
    const timed = autoLogZ({ target, seed: 1, particles: 64, targetStdErr: 1e-6, maxSeconds: 2 });
    assert.equal(timed.auto.stoppedBy, 'time');
  });

  it('refuses bad settings in one line', () => {
    const target = createTarget('gaussian', { dim: 3 });
    assert.throws(() => autoLogZ({ target, targetStdErr: 0 }), /must be positive, got 0/);
    assert.throws(() => autoLogZ({ target, systems: 1 }), /systems must be an integer >= 2/);
    assert.throws(
      () => autoLogZ({ target, particles: 100, wasteFree: 3 }),
      /100 particles per system do not split into chains of 3/,
    );
    assert.throws(
      () => autoLogZ({ target: createTarget('sonar'), maxSeconds: 0.01 }),
      /time limit \(0.01 s\) ran out/,
    );
  });
});

describe('auto warnings', () => {
  it('name a system that carries the estimate, and moves that left a coordinate correlated', () => {
    const temperature = {
      beta: 1,
      essFraction: 0.5,
      logZ: 0,
      stepSize: 0.5,
      leapfrogSteps: 3,
      acceptance: 0.65,
      moves: 24,
      jump: 0.05,
      stuck: 0,
      scale: { min: 1, median: 1, max: 1 },
      diverged: 0,
    };
    const report = (systemLogZ: number[], jump: number): AutoReport => ({
      start: {
        df: null,
        fitted: true,
        reason: null,
        modes: 1,
        mixture: null,
        elbo: 0,
        initialElbo: -1,
        seconds: 0,
        meanRange: [0, 0],
        scaleRange: [1, 1],
      },
      temperatures: [{ ...temperature, jump }],
      pilotSeconds: 0,
      systemLogZ,
      stoppedBy: 'target-se',
      targetStdErr: 0.03,
      move: 'hmc',
      chainLength: null,
    });
    assert.deepEqual(autoWarnings(report([0, 0.01, -0.01, 0], 1.5)), []);
    const [heavy] = autoWarnings(report([0, 0, 0, 3], 1.5));
    assert.match(heavy ?? '', /one of 4 systems carries 87% of the estimate/);
    const [stuck] = autoWarnings(report([0, 0, 0, 0], 0.05));
    assert.match(stuck ?? '', /24 moves left the slowest coordinate correlated/);
    // A mixture start's spread is the distance between its modes: no warning from the jump.
    const mixed = report([0, 0, 0, 0], 0.05);
    assert.deepEqual(autoWarnings({ ...mixed, start: { ...mixed.start, mixture: 4 } }), []);
  });
});

describe('anneal logz with no sampler', () => {
  const entry = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));
  const anneal = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { encoding: 'utf8' });

  it('runs auto, writes the draws, reports the tempering and plots it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anneal-auto-'));
    try {
      const csv = join(dir, 'draws.csv');
      const r = anneal(
        'logz',
        '--target',
        'gaussian',
        '--dim',
        '3',
        '--particles',
        '64',
        '--samples',
        csv,
        '--json',
        '--quiet',
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        sampler: string;
        systems: number;
        systemLogZ: number[];
        temperatures: { beta: number; moves: number; stepSize: number }[];
        logZ: number;
        logZStdErr: number;
        trueLogZ: number;
      };
      assert.equal(out.sampler, 'auto');
      assert.equal(out.systemLogZ.length, out.systems);
      assert.equal(out.temperatures.at(-1)?.beta, 1);
      assert.ok(Math.abs(out.logZ - out.trueLogZ) < 4 * out.logZStdErr + 0.02);
      const lines = readFileSync(csv, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'z1,z2,z3,logW');
      assert.equal(lines.length, 1 + 64 * out.systems);
      const report = join(dir, 'report.json');
      writeFileSync(report, r.stdout);
      const plot = anneal('plot', report);
      assert.equal(plot.status, 0, plot.stderr);
      assert.match(readFileSync(join(dir, 'report-tempering.svg'), 'utf8'), /^<svg/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pools the same systems, to the bit, with or without worker threads', () => {
    const run = (workers: string) => {
      const r = anneal(
        'logz',
        '--target',
        'many-well',
        '--dim',
        '4',
        '--particles',
        '64',
        '--target-se',
        '0.02',
        '--workers',
        workers,
        '--json',
        '--quiet',
      );
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { logZ: number; systemLogZ: number[] };
    };
    const one = run('1');
    const two = run('2');
    assert.ok(one.systemLogZ.length > 8, 'the run added systems beyond the first round');
    assert.deepEqual(two.systemLogZ, one.systemLogZ);
    assert.equal(two.logZ, one.logZ);
  });

  it('refuses, in one line with exit status 2, what does not fit the auto sampler', async () => {
    const cases: [string[], RegExp][] = [
      [['--target-se', '0'], /--target-se: expected a number > 0/],
      [['--target-se', '-0.1'], /--target-se: expected a number > 0/],
      [['--sampler', 'ais-hmc', '--target-se', '0.02'], /--target-se applies to the auto sampler/],
      [['--steps', '10'], /the auto sampler chooses its own steps/],
      [['--samples', 'draws.txt'], /give a file ending in .csv, .json or .arviz.json/],
      [['--waste-free', '1'], /--waste-free: expected a chain length >= 2/],
    ];
    for (const [args, message] of cases) {
      const r = anneal('logz', '--target', 'gaussian', ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    // A target undefined beyond |z| = 3: the fit diverges and falls back, then the first
    // particles out there stop the run with one line naming where.
    const dir = mkdtempSync(join(tmpdir(), 'anneal-auto-'));
    try {
      const file = join(dir, 'holey.mjs');
      writeFileSync(
        file,
        "export default { name: 'holey', dim: 2, logProb: (z) => z.square().sum(1).mul(-0.5).add(z.abs().max(1).neg().add(3).log()) };\n",
      );
      const r = anneal('logz', '--target-module', file, '--quiet');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /the target's log density is NaN at particle \d+ \(beta = 0\.000\)/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const fit = fitStart(await loadTargetModule(file), Rng.fromSeed(1));
      assert.equal(fit.fitted, false);
      assert.match(fit.reason ?? '', /the fit diverged/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const slow = anneal('logz', '--target', 'sonar', '--max-seconds', '0.05', '--quiet');
    assert.equal(slow.status, 2, slow.stderr);
    assert.match(slow.stderr, /time limit \(0.05 s\) ran out during the pilot system/);
  });
});
