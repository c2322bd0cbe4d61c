// One variant of scripts/flow-compare.ts (a flow trained with one loss and gradient estimator):
// trains it, evaluating every `every` iterations on fixed held-out samples and a fixed evaluation
// stream. A job module, so the script can share its variants out over worker threads (--workers);
// every variant starts from its config's seed.
import { Rng } from '../../src/engine/index.js';
import { parseFlowRunConfig } from '../../src/flows/config.js';
import { evaluateFlow } from '../../src/flows/metrics.js';
import { buildFlowRun } from '../../src/flows/run.js';
import type { Point } from '../render/flow.js';

export type { Point };

export interface FlowVariant {
  label: string;
  /** The run config as parseFlowRunConfig reads it. */
  config: unknown;
  iterations: number;
  every: number;
  /** Flow draws per evaluation (default 10,000). */
  evalParticles?: number;
}

export function runJob(v: FlowVariant): { points: Point[]; seconds: number } {
  const config = parseFlowRunConfig(v.config);
  const { target, flow, model, trainer } = buildFlowRun(config);
  // The same held-out samples and evaluation stream at every checkpoint and for every variant.
  const testSamples = target.sample ? target.sample(10000, Rng.fromSeed(424242)) : undefined;
  const points: Point[] = [];
  let trainMs = 0;
  try {
    for (let it = 0; it <= v.iterations; it++) {
      if (it > 0) {
        const start = performance.now();
        trainer.step();
        trainMs += performance.now() - start;
      }
      if (it % v.every === 0) {
        const e = evaluateFlow(flow, target, {
          particles: v.evalParticles ?? 10000,
          rng: Rng.fromSeed(777),
          testSamples,
        });
        points.push({
          variant: v.label,
          iteration: it,
          reverseEss: e.essFraction,
          forwardEss: e.forwardEss,
          nll: e.nll,
          nllStdErr: e.nllStdErr,
          logZ: e.logZ,
          logZStdErr: e.logZStdErr as number,
          essCount: e.essCount,
          logZStdErrReliable: e.logZStdErrReliable,
          trainSeconds: trainMs / 1000,
        });
        process.stderr.write(
          `[${v.label}] it ${it}: reverse ESS ${e.essFraction.toFixed(3)}, log Z ${e.logZ.toFixed(3)}${e.nll === null ? '' : `, forward ESS ${(e.forwardEss as number).toFixed(3)}, NLL ${e.nll.toFixed(3)}`}\n`,
        );
      }
    }
    return { points, seconds: trainMs / 1000 };
  } finally {
    testSamples?.dispose();
    trainer.dispose();
    model.dispose();
    flow.dispose();
    target.dispose?.();
  }
}
