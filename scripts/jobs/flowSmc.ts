// One cell of scripts/flow-smc.ts (a method, a target and a training seed): CRAFT or AFT with the
// run's settings, evaluated before training (its flows at the identity: plain SMC with the same
// HMC moves) and after. A job module, so the script can share its seeds out over worker threads (--workers);
// every cell draws from its own seed's streams.
import { Rng } from '../../src/engine/index.js';
import { CraftSampler } from '../../src/flows/craft.js';
import { createTarget } from '../../src/targets/registry.js';
import { Trainer } from '../../src/train/trainer.js';
import type { FlowSmcMethod, FlowSmcRow, FlowSmcSettings } from '../render/flowSmc.js';

export interface FlowSmcCell extends FlowSmcSettings {
  method: FlowSmcMethod;
  target: string;
  seed: number;
}

export function runJob(cell: FlowSmcCell): FlowSmcRow {
  const target = createTarget(cell.target);
  const [initRng, trainRng, evalRng] = Rng.fromSeed(cell.seed).split(3);
  const craft = new CraftSampler(
    target,
    {
      steps: cell.steps,
      layers: cell.layers,
      conditioner: { hidden: [cell.hidden, cell.hidden], outputInitScale: 0, bias: true },
      hmc: { stepSize: cell.hmcStepSize, leapfrogSteps: cell.leapfrogSteps, moves: 1 },
      resampling: { scheme: 'systematic', essThreshold: cell.essThreshold },
    },
    initRng,
  );
  try {
    const evaluate = (rng: Rng) =>
      craft.evaluate({ particles: cell.evalParticles, batches: cell.evalSystems, rng });
    const [beforeRng, afterRng] = evalRng.split(2);
    const before = evaluate(beforeRng);
    const label = `${cell.method} ${cell.target} K=${cell.steps} seed ${cell.seed}`;
    process.stderr.write(`${label} ...\n`);
    const started = performance.now();
    let skipped = 0;
    let loss = NaN;
    if (cell.method === 'aft') {
      const fit = craft.fitAft({
        particles: cell.particles,
        iterations: cell.aftIterations ?? 1,
        learningRate: cell.learningRate,
        rng: trainRng,
      });
      loss = fit.losses.reduce((a, b) => a + b, 0);
    } else {
      const trainer = new Trainer(
        craft,
        { particles: cell.particles, learningRate: cell.learningRate, clipNorm: null },
        trainRng,
      );
      for (let i = 0; i < cell.iterations; i++) {
        const m = trainer.step();
        if (m.skipped) skipped += 1;
        else loss = m.loss;
      }
      trainer.dispose();
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const after = evaluate(afterRng);
    process.stderr.write(
      `${label}: log Z ${before.logZ.toFixed(3)} -> ${after.logZ.toFixed(3)} in ${trainSeconds.toFixed(0)} s\n`,
    );
    return {
      method: cell.method,
      target: cell.target,
      seed: cell.seed,
      logZBefore: before.logZ,
      logZBeforeStdErr: before.logZStdErr,
      logZ: after.logZ,
      logZStdErr: after.logZStdErr,
      essFraction: after.essFraction,
      trueLogZ: target.logZ ?? null,
      finalLoss: loss,
      skipped,
      trainSeconds,
    };
  } finally {
    craft.dispose();
    target.dispose?.();
  }
}
