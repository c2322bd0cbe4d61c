// Ding & Freedman's Fig. 1: the implicit distributions q_IS (draw K candidates from q, keep one with
// probability proportional to its importance weight) and q_AIS (run k AIS-HMC chains from q to
// the target, keep one by its weight) against a correlated 2-d Gaussian target, at equal cost in
// target evaluations per draw, with q the mean-field Gaussian that minimizes KL(q || target).
// Writes docs/results/implicit-posteriors.{json,md,svg}.
//
//   npx tsx scripts/implicit-posteriors.ts [--rho 0.95] [--draws 10000] [--seeds 5]
//                                          [--chains 5] [--steps 8] [--leapfrog 5] [--step-size 0.15]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type * as vegaLite from 'vega-lite';
import { svgOf } from './render/svg.js';
import {
  AnnealingPath,
  DiagGaussian,
  Rng,
  ancestorIndices,
  gaussianTarget,
  hmcKernel,
  initEngine,
  linearSchedule,
  runAis,
  tf,
  type Tensor1D,
  type Tensor2D,
} from '../src/index.js';
import { generatedNow } from './render/common.js';
import { mergedGenerated, parseSharding, runSharded, SHARD_FLAGS } from './shards.js';
import { renderImplicit, type ImplicitData, type ImplicitRow } from './render/implicit.js';

const { values } = parseArgs({
  options: {
    rho: { type: 'string', default: '0.95' },
    draws: { type: 'string', default: '10000' },
    seeds: { type: 'string', default: '5' },
    chains: { type: 'string', default: '5' },
    steps: { type: 'string', default: '8' },
    leapfrog: { type: 'string', default: '5' },
    'step-size': { type: 'string', default: '0.15' },
    docs: { type: 'string', default: 'docs/results' },
    ...SHARD_FLAGS,
  },
});
const sharding = parseSharding(values, `${values.docs as string}/implicit-posteriors`);
const rho = Number(values.rho);
const draws = Number(values.draws);
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const chains = Number(values.chains);
const steps = Number(values.steps);
const leapfrog = Number(values.leapfrog);
const stepSize = Number(values['step-size']);
if (!(Math.abs(rho) < 1)) throw new Error('--rho must be in (-1, 1)');
for (const [name, v] of Object.entries({ draws, chains, steps, leapfrog })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
}
const cost = chains * steps * leapfrog;

await initEngine({ backend: 'wasm' });
const target = gaussianTarget({
  mean: [0, 0],
  covariance: [
    [1, rho],
    [rho, 1],
  ],
});
// The mean-field Gaussian closest to the target in KL(q || target): precision diagonal.
const q = DiagGaussian.isotropic(2, Math.sqrt(1 - rho * rho));

/** One draw per row of logW [n, k] from candidates z [n k, 2], by importance weight. */
function pick(z: Tensor2D, logW: Tensor1D, k: number, rng: Rng): Tensor2D {
  return tf.tidy(() => {
    const a = ancestorIndices(tf.reshape(logW, [draws, k]) as Tensor2D, 'multinomial', rng);
    const first = tf.reshape(tf.slice(a, [0, 0], [-1, 1]), [draws]);
    const rows = tf.cast(tf.add(first, tf.mul(tf.range(0, draws, 1, 'int32'), k)), 'int32');
    return tf.gather(z, rows) as Tensor2D;
  });
}

function sampleVariant(variant: string, rng: Rng): Tensor2D {
  if (variant === 'q') return q.sample(draws, rng);
  if (variant.startsWith('q_IS')) {
    return tf.tidy(() => {
      const z = q.sample(draws * cost, rng);
      const logW = tf.sub(target.logProb(z), q.logProb(z)) as Tensor1D;
      return pick(z, logW, cost, rng);
    });
  }
  const path = new AnnealingPath(q, target);
  const r = runAis({
    path,
    kernel: hmcKernel({ stepSize, leapfrogSteps: leapfrog }),
    betas: linearSchedule(steps),
    particles: draws * chains,
    rng,
  });
  const out = pick(r.z, r.logW, chains, rng);
  tf.dispose([r.z, r.logW]);
  return out;
}

function moments(x: number[][]): Omit<ImplicitRow, 'variant' | 'cost' | 'seed'> {
  const n = x.length;
  const m = [0, 1].map((j) => x.reduce((a, r) => a + (r[j] as number), 0) / n) as [number, number];
  const c = (i: number, j: number) =>
    x.reduce((a, r) => a + ((r[i] as number) - m[i]!) * ((r[j] as number) - m[j]!), 0) / (n - 1);
  const [s00, s11, s01] = [c(0, 0), c(1, 1), c(0, 1)];
  // KL(N(m, S) || N(0, P^-1)) with target covariance [[1, rho], [rho, 1]].
  const det1 = 1 - rho * rho;
  const inv = [1 / det1, -rho / det1, 1 / det1]; // [a, b, d] of the inverse
  const trace = inv[0]! * s00 + 2 * inv[1]! * s01 + inv[2]! * s11;
  const quad = inv[0]! * m[0] ** 2 + 2 * inv[1]! * m[0] * m[1] + inv[2]! * m[1] ** 2;
  const det0 = s00 * s11 - s01 * s01;
  return {
    mean: m,
    variance: [s00, s11],
    correlation: s01 / Math.sqrt(s00 * s11),
    klFit: 0.5 * (trace + quad - 2 + Math.log(det1 / det0)),
  };
}

const VARIANTS = [
  'q',
  `q_IS (K = ${cost})`,
  `q_AIS (${chains} chains, ${steps} HMC temperatures, ${leapfrog} leapfrog steps)`,
];
/** One seed's draws of every variant: their moments, and for the first seed the points drawn. */
function seedCell(seed: number): {
  rows: ImplicitRow[];
  pictured: { variant: string; x: number; y: number }[];
} {
  const rows: ImplicitRow[] = [];
  const pictured: { variant: string; x: number; y: number }[] = [];
  const streams = Rng.fromSeed(seed).split(VARIANTS.length);
  VARIANTS.forEach((variant, i) => {
    const z = sampleVariant(variant, streams[i] as Rng);
    const x = z.arraySync() as number[][];
    z.dispose();
    rows.push({ variant, cost: i === 0 ? 1 : cost, seed, ...moments(x) });
    if (seed === seeds[0]) {
      for (const r of x.slice(0, 1500)) pictured.push({ variant, x: r[0]!, y: r[1]! });
    }
    process.stderr.write(`seed ${seed} ${variant}: KL ${rows.at(-1)?.klFit.toFixed(4)}\n`);
  });
  return { rows, pictured };
}
const outcome = await runSharded(seeds, sharding, async (subset) => subset.map(seedCell));
if (outcome === null) {
  q.dispose();
  target.dispose?.();
  process.exit(0);
}
const rows: ImplicitRow[] = outcome.results.flatMap((r) => r.rows);
const pictured = outcome.results.flatMap((r) => r.pictured);

// The target's 1 and 2 standard deviation ellipses, drawn in every panel.
const ellipse = VARIANTS.flatMap((variant) =>
  [1, 2].flatMap((r) =>
    Array.from({ length: 121 }, (_, i) => {
      const t = (2 * Math.PI * i) / 120;
      // Principal axes along (1, 1) and (1, -1) with variances 1 + rho and 1 - rho.
      const a = r * Math.sqrt(1 + rho) * Math.cos(t);
      const b = r * Math.sqrt(1 - rho) * Math.sin(t);
      return { variant, ring: r, order: i, x: (a + b) / Math.SQRT2, y: (a - b) / Math.SQRT2 };
    }),
  ),
);
const spec: vegaLite.TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { values: [...pictured.map((p) => ({ ...p, ring: 0 })), ...ellipse] },
  facet: { column: { field: 'variant', type: 'nominal', title: null, sort: VARIANTS } },
  spec: {
    width: 220,
    height: 220,
    layer: [
      {
        transform: [{ filter: 'datum.ring == 0' }],
        mark: { type: 'circle', size: 6, opacity: 0.35 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain: [-3.5, 3.5] } },
          y: { field: 'y', type: 'quantitative', scale: { domain: [-3.5, 3.5] } },
        },
      },
      {
        transform: [{ filter: 'datum.ring > 0' }],
        mark: { type: 'line', color: 'black', strokeWidth: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          detail: { field: 'ring', type: 'nominal' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  },
};
const svg = await svgOf(spec);

const data: ImplicitData = {
  generated: mergedGenerated(
    generatedNow({ node: process.versions.node, backend: 'wasm' }),
    outcome.generated,
  ),
  command: `npx tsx scripts/implicit-posteriors.ts --rho ${rho} --draws ${draws} --seeds ${seeds.length} --chains ${chains} --steps ${steps} --leapfrog ${leapfrog} --step-size ${stepSize}`,
  rho,
  draws,
  seeds,
  setup:
    `Target N(0, [[1, ${rho}], [${rho}, 1]]); q = N(0, ${(1 - rho * rho).toFixed(4)} I), the mean-field Gaussian that minimizes KL(q || target). ` +
    `q_IS keeps one of K = ${cost} candidates from q by importance weight; q_AIS runs ${chains} AIS chains from q to the target ` +
    `(linear schedule, ${steps} temperatures, MH-corrected HMC with ${leapfrog} leapfrog steps of size ${stepSize}) and keeps one by its weight: ` +
    `${cost} target evaluations (log density and score) per draw, as for q_IS.`,
  variants: VARIANTS,
  rows,
};
const docs = values.docs as string;
mkdirSync(docs, { recursive: true });
writeFileSync(`${docs}/implicit-posteriors.json`, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(`${docs}/implicit-posteriors.md`, renderImplicit(data));
writeFileSync(`${docs}/implicit-posteriors.svg`, svg);
process.stderr.write(`wrote ${docs}/implicit-posteriors.{json,md,svg}\n`);
q.dispose();
target.dispose?.();
