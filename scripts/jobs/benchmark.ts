// One cell of scripts/benchmark.ts (a target, a learned sampler and a training seed): a mean-field
// Gaussian fitted to the target by the ELBO first (as the papers pretrain their initial
// distribution), then the sampler trained from it with every parameter group learned, the initial
// distribution included, and evaluated on fresh particles. A job module, so the script can share
// its cells out over worker threads (--workers); every cell draws from its own seed's streams.
import { fitStart } from '../../src/annealing/fitStart.js';
import { LearnedSampler, type LearnedSamplerName } from '../../src/annealing/learned.js';
import { SAMPLER_TABLE } from '../../src/annealing/samplerTable.js';
import { Rng, tf } from '../../src/engine/index.js';
import { evaluateSampler } from '../../src/eval/evaluateSampler.js';
import { createTarget } from '../../src/targets/registry.js';
import { Trainer } from '../../src/train/trainer.js';
import type { BenchmarkRow, BenchmarkSettings } from '../render/benchmark.js';

export type { BenchmarkRow };

/** One cell: the run's settings (BenchmarkSettings) for one target, sampler and seed. */
export interface BenchmarkCell extends BenchmarkSettings {
  target: string;
  method: LearnedSamplerName;
  seed: number;
}

export function runJob(cell: BenchmarkCell): BenchmarkRow {
  const target = createTarget(cell.target);
  const [fitRng, initRng, trainRng, evalRng] = Rng.fromSeed(cell.seed).split(4);
  let sampler: LearnedSampler | undefined;
  try {
    process.stderr.write(`${cell.target} ${cell.method} K=${cell.steps} seed ${cell.seed} ...\n`);
    const started = performance.now();
    // Mean-field VI: one diagonal Gaussian fitted by the ELBO, no widening, no search for modes.
    const fit = fitStart(target, fitRng, {
      iterations: cell.mfviIterations,
      learningRate: cell.mfviLearningRate,
      restarts: 1,
      widen: 1,
      searches: 0,
      studentDf: [],
    });
    const underdamped = SAMPLER_TABLE[cell.method].kernel === 'uha';
    sampler = new LearnedSampler(
      target,
      { kind: cell.method, steps: cell.steps, stepSize: underdamped ? cell.uhaStep : cell.ulaStep },
      initRng,
    );
    const s = sampler;
    tf.tidy(() => {
      s.param('initial.mean').assign(tf.tensor1d(Float32Array.from(fit.mean)));
      s.param('initial.logScale').assign(
        tf.tensor1d(Float32Array.from(fit.scale, (x) => Math.log(x))),
      );
    });
    const trainer = new Trainer(
      s,
      {
        particles: cell.particles,
        learningRate: cell.learningRate,
        clipNorm: cell.clipNorm,
        objective: { kind: cell.objective },
      },
      trainRng,
    );
    const trainStart = performance.now();
    let skipped = 0;
    for (let i = 0; i < cell.iterations; i++) if (trainer.step().skipped) skipped += 1;
    trainer.dispose();
    const trainSeconds = (performance.now() - trainStart) / 1000;
    const e = evaluateSampler(s, { particles: cell.evalParticles, rng: evalRng });
    process.stderr.write(
      `${cell.target} ${cell.method} K=${cell.steps} seed ${cell.seed}: ELBO ${e.elbo.toFixed(2)}, log Z ${e.logZ.toFixed(2)} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
    );
    return {
      target: cell.target,
      method: cell.method,
      steps: cell.steps,
      seed: cell.seed,
      mfviElbo: fit.elbo,
      elbo: e.elbo,
      elboStdErr: e.elboStdErr,
      logZ: e.logZ,
      logZStdErr: e.logZStdErr,
      logZStdErrReliable: e.logZStdErrReliable,
      ess: e.essFraction,
      skipped,
      trainSeconds,
    };
  } finally {
    sampler?.dispose();
    target.dispose?.();
  }
}
