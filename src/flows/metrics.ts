// Evaluation of a flow against a target, as in the path-gradient paper: importance sampling with
// the flow (log Z with a batch standard error, reverse ESS), and, where target samples exist, the
// negative log-likelihood of held-out samples and the forward ESS 1 / (mean(w) mean(1/w)), with
// w = p~(x) / q(x) on x ~ p (the normalizer of p~ cancels).
import { logMeanExpHost, type Rng, tf, type Tensor2D } from '../engine/index.js';
import { summarizeLogWeights, type LogWeightSummary } from '../eval/logWeights.js';
import { checkTarget, type Target } from '../targets/target.js';
import type { Flow } from './flow.js';
import { checkOptionKeys, keyList, streamOf } from '../io/entryOptions.js';

export interface FlowEvaluation extends LogWeightSummary {
  /** Exact log Z where the target knows it. */
  trueLogZ: number | null;
  /** -mean log q on target samples, with its standard error; null without target samples. */
  nll: number | null;
  nllStdErr: number | null;
  /** Forward ESS as a fraction, from target samples; null without them. */
  forwardEss: number | null;
  testSamples: number;
}

export interface EvaluateFlowOptions {
  particles: number;
  batches?: number;
  /** The evaluation's stream, or a `seed` for a fresh one (one of them is needed). */
  rng?: Rng;
  seed?: number;
  /** Held-out target samples; default: target.sample(testSamples) where the target can sample. */
  testSamples?: number | Tensor2D;
}

const EVALUATE_FLOW_KEYS = keyList<EvaluateFlowOptions>()([
  'particles',
  'batches',
  'rng',
  'seed',
  'testSamples',
]);

/**
 * Evaluates a flow against a target: log Z by importance sampling with the flow as proposal, the
 * reverse ESS, and from target samples (given, or drawn by `target.sample`) the NLL and the forward
 * ESS.
 *
 * @example
 * ```ts
 * const e = evaluateFlow(flow, target, { particles: 10000, rng: Rng.fromSeed(3) });
 * console.log(e.logZ, e.essFraction, e.nll);
 * ```
 */
export function evaluateFlow(
  flow: Flow,
  target: Target,
  options: EvaluateFlowOptions,
): FlowEvaluation {
  const error = (m: string) => new RangeError(m);
  checkOptionKeys('evaluateFlow', options, EVALUATE_FLOW_KEYS, error);
  const rng = streamOf('evaluateFlow', options, error);
  checkTarget(target);
  const logW = tf.tidy(() => {
    const { x, logQ } = flow.sample(options.particles, rng);
    return tf.sub(target.logProb(x), logQ);
  });
  // A flow's draws are independent.
  const summary = summarizeLogWeights(logW.dataSync(), options.batches ?? 10, {
    independent: true,
  });
  logW.dispose();
  let nll: number | null = null;
  let nllStdErr: number | null = null;
  let forwardEss: number | null = null;
  let testCount = 0;
  const provided = typeof options.testSamples === 'object' ? options.testSamples : null;
  const wanted = typeof options.testSamples === 'number' ? options.testSamples : 10000;
  const samples = provided ?? (target.sample ? target.sample(wanted, rng) : null);
  if (samples) {
    const [logQ, logP] = tf.tidy(() => [flow.logProb(samples), target.logProb(samples)]);
    const q = Float64Array.from(logQ.dataSync());
    const p = logP.dataSync();
    tf.dispose([logQ, logP]);
    testCount = q.length;
    const mean = q.reduce((a, b) => a + b, 0) / testCount;
    const variance = q.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, testCount - 1);
    nll = -mean;
    nllStdErr = Math.sqrt(variance / testCount);
    const lw = Array.from(q, (lq, i) => (p[i] as number) - lq);
    forwardEss = Math.exp(-(logMeanExpHost(lw) + logMeanExpHost(lw.map((v) => -v))));
    if (!provided) samples.dispose();
  }
  return {
    ...summary,
    trueLogZ: target.logZ ?? null,
    nll,
    nllStdErr,
    forwardEss,
    testSamples: testCount,
  };
}
