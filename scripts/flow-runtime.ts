// Runtime factors of the flow gradient estimators (the path-gradient paper's Table 2): one
// gradient step of each estimator, in both KL directions, on phi^4 with Z2-equivariant NICE
// (explicitly invertible couplings) and on 2-d U(1) with gauge-equivariant circular couplings
// (implicitly invertible: the inverse is a bisection), as mean ± sd over interleaved repeats and
// as factors over the standard gradient (reverse) or maximum likelihood (forward) in the same round.
// Writes docs/results/flow-runtime.{json,md}.
//
//   npx tsx scripts/flow-runtime.ts [--repeats 10] [--phi4-hidden 256] [--phi4-batch 1024]
//                                   [--u1-width 8] [--u1-hidden 64] [--u1-batch 256]
//
// The paper's phi^4 scale (4 hidden layers of width 1000, batch 8000) is docs/references.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Flow, Rng, createTarget, initEngine, tf, type Tensor2D } from '../src/index.js';
import {
  FORWARD_KL_ESTIMATORS,
  REVERSE_KL_ESTIMATORS,
  forwardKlGradient,
  reverseKlGradient,
} from '../src/flows/index.js';
import type { Target } from '../src/targets/target.js';
import { generatedNow } from './render/common.js';
import { renderFlowRuntime, type FlowRuntimeData, type RuntimeRow } from './render/flowRuntime.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '10' },
    'phi4-hidden': { type: 'string', default: '256' },
    'phi4-batch': { type: 'string', default: '1024' },
    'u1-width': { type: 'string', default: '8' },
    'u1-hidden': { type: 'string', default: '64' },
    'u1-batch': { type: 'string', default: '256' },
    docs: { type: 'string', default: 'docs/results' },
  },
});
const int = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const repeats = int('repeats');
const phi4Hidden = int('phi4-hidden');
const phi4Batch = int('phi4-batch');
const u1Width = int('u1-width');
const u1Hidden = int('u1-hidden');
const u1Batch = int('u1-batch');

await initEngine({ backend: 'wasm' });

interface Setup {
  name: string;
  description: string;
  target: Target;
  flow: Flow;
  batch: number;
}

function setups(): Setup[] {
  const phi4 = createTarget('phi4', { dim: 128, width: 8, kappa: 0.3, lambda: 0.022 });
  const u1 = createTarget('u1', { width: u1Width, beta: 3 });
  return [
    {
      name: 'phi4',
      description: `16 x 8 phi^4 (kappa 0.3, lambda 0.022), Z2-equivariant NICE: 8 additive couplings with checkerboard masks, odd tanh conditioners ${phi4Hidden} x ${phi4Hidden}, global scale; batch ${phi4Batch}`,
      target: phi4,
      flow: new Flow(
        phi4.dim,
        {
          kind: 'z2-nice',
          layers: 8,
          checkerboardWidth: 8,
          conditioner: { hidden: [phi4Hidden, phi4Hidden], outputInitScale: 0.01 },
        },
        Rng.fromSeed(1),
      ),
      batch: phi4Batch,
    },
    {
      name: 'u1',
      description: `${u1Width} x ${u1Width} U(1) (beta 3), gauge-equivariant flow: 8 couplings, plaquette transforms = mixtures of 6 NCPs, conditioners tanh ${u1Hidden} x ${u1Hidden}; batch ${u1Batch}`,
      target: u1,
      flow: new Flow(
        u1.dim,
        {
          kind: 'u1-gauge',
          layers: 8,
          circularComponents: 6,
          conditioner: { hidden: [u1Hidden, u1Hidden], outputInitScale: 0.01 },
        },
        Rng.fromSeed(1),
      ),
      batch: u1Batch,
    },
  ];
}

/** Milliseconds of one gradient step, its outputs read back. */
function timeStep(step: () => { grads: tf.NamedTensorMap }): number {
  const start = performance.now();
  const { grads } = step();
  for (const g of Object.values(grads)) g.dataSync();
  const ms = performance.now() - start;
  tf.dispose(Object.values(grads));
  return ms;
}

const rows: RuntimeRow[] = [];
const all = setups();
for (const s of all) {
  const rng = Rng.fromSeed(2);
  const cells = [
    ...REVERSE_KL_ESTIMATORS.map((e) => ({
      direction: 'reverse' as const,
      estimator: e as string,
      baseline: 'standard',
      step: (z: Tensor2D) => reverseKlGradient(s.flow, s.target, z, e),
    })),
    ...FORWARD_KL_ESTIMATORS.map((e) => ({
      direction: 'forward' as const,
      estimator: e as string,
      baseline: 'ml',
      step: (x: Tensor2D) => forwardKlGradient(s.flow, s.target, x, e),
    })),
  ];
  const ms = cells.map(() => [] as number[]);
  for (let round = -1; round < repeats; round++) {
    // Base draws for reverse KL; the flow's own draws stand in for target samples for forward KL.
    const z = s.flow.base.sample(s.batch, rng);
    const x = tf.tidy(() => s.flow.pushForward(z).x);
    cells.forEach((c, i) => {
      const t = timeStep(() => c.step(c.direction === 'reverse' ? z : x));
      if (round >= 0) (ms[i] as number[]).push(t); // round -1 warms up
      process.stderr.write(`${s.name} ${c.direction} ${c.estimator}: ${t.toFixed(0)} ms\n`);
    });
    tf.dispose([z, x]);
  }
  cells.forEach((c, i) => {
    const base =
      ms[cells.findIndex((b) => b.direction === c.direction && b.estimator === c.baseline)];
    rows.push({
      setup: s.name,
      direction: c.direction,
      estimator: c.estimator,
      baseline: c.baseline,
      ms: ms[i] as number[],
      factors: (ms[i] as number[]).map((t, r) => t / ((base as number[])[r] as number)),
    });
  });
  s.flow.dispose();
  s.target.dispose?.();
}

const data: FlowRuntimeData = {
  generated: generatedNow({ node: process.versions.node, backend: 'wasm' }),
  command: `npx tsx scripts/flow-runtime.ts --repeats ${repeats} --phi4-hidden ${phi4Hidden} --phi4-batch ${phi4Batch} --u1-width ${u1Width} --u1-hidden ${u1Hidden} --u1-batch ${u1Batch}`,
  repeats,
  setups: all.map((s) => ({ name: s.name, description: s.description })),
  rows,
};
mkdirSync(values.docs as string, { recursive: true });
writeFileSync(`${values.docs}/flow-runtime.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${values.docs}/flow-runtime.md`, renderFlowRuntime(data));
process.stderr.write(`wrote ${values.docs}/flow-runtime.json and .md\n`);
