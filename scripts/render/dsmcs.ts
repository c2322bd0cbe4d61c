// docs/results/dsmcs-static.md from the JSON of scripts/dsmcs-static.ts. Pure: the results test
// re-renders it.
import type { BudgetPlan } from '../budget.js';
import type { DsmcsGradientData } from './dsmcsGradients.js';
import { generatedText, pm, pmMarked, unreliableNote, type Generated } from './common.js';

export interface VariantResult {
  scheme: string;
  label: string;
  earlyEss: number[];
  finalEss: number[];
  bound: number;
  boundStdErr: number | null;
  logZ: number;
  logZStdErr: number | null;
  /** Reverse ESS of all evaluation particles pooled, as a count; whether logZStdErr holds. */
  essCount: number;
  logZStdErrReliable: boolean;
  trainSeconds: number;
  iterations: number;
  skipped: number;
}

/** What the run trained and evaluated, from its config. */
export interface DsmcsSettings {
  target: { name: string; dim: number; description: string };
  initialScale: number;
  learnInitial: boolean;
  sampler: string;
  steps: number;
  groupSize: number;
  iterations: number;
  epoch: number;
  particles: number;
  learningRate: number;
  evalParticles: number;
  evalBatches: number;
  seed: number;
}

export interface DsmcsData {
  generated: Generated;
  config: string;
  /** The page's name (docs/results/<name>.md); absent in pages written before it was recorded. */
  name?: string;
  /** --iterations, where the run set it (or --budget chose it). */
  iterationsFlag?: number;
  /** When --budget chose the iterations: the budget and the probe behind it. */
  budget?: BudgetPlan;
  settings: DsmcsSettings;
  results: VariantResult[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The paper's run (Zenn & Bamler 2023, static target): iterations and systems x particles. */
const PAPER = { iterations: 5000, systems: 64, groupSize: 32, steps: 32 };

/** How this run compares with the paper's: training length and per-iteration work. */
function scaleLine(s: DsmcsSettings): string {
  const systems = s.particles / s.groupSize;
  const perIteration =
    systems === PAPER.systems && s.groupSize === PAPER.groupSize && s.steps === PAPER.steps
      ? "the paper's per-iteration work (64 systems of 32 particles, 32 transitions)"
      : `${(((systems * s.groupSize * s.steps) / (PAPER.systems * PAPER.groupSize * PAPER.steps)) * 100).toFixed(0)}% of the paper's per-iteration work (${systems} systems of ${s.groupSize}, ${s.steps} transitions against 64 of 32, 32)`;
  return `Scale: ${s.iterations} of the paper's ${PAPER.iterations} iterations (${((100 * s.iterations) / PAPER.iterations).toFixed(0)}%) at ${perIteration}. The target is normalized, so log Z = 0 exactly: the log Z column's distance from 0 is its error, and each bound's distance below 0 is its gap.`;
}

/**
 * Why the resampling variants can fall behind DAIS, from the finite-difference check of their
 * gradients (scripts/dsmcs-gradient-check.ts), where it has been run.
 */
function gradientNote(g: DsmcsGradientData | undefined): string[] {
  if (!g) return [];
  const smooth = g.rows.find((r) => r.scheme === 'none');
  const truncation = smooth ? Math.abs(smooth.difference) : 0;
  const biased = g.rows.filter(
    (r) => r.scheme !== 'none' && Math.abs(r.difference) - truncation > 3 * r.differenceStdErr,
  );
  if (biased.length === 0)
    return [
      `The gradient check (docs/results/dsmcs-gradient-check.md, ${g.seeds} streams at DAIS-trained parameters) finds no bias in the variants' gradients along the step sizes: it does not explain the bounds above.`,
      '',
    ];
  const flipped = biased.filter((r) => Math.sign(r.autodiff) !== Math.sign(r.finiteDifference));
  const cell = (r: DsmcsGradientData['rows'][number]) =>
    `${r.scheme} ${r.autodiff.toFixed(2)} against ${r.finiteDifference.toFixed(2)} ± ${r.finiteDifferenceStdErr.toFixed(2)}`;
  const better = g.rows.filter((r) => smooth && r.scheme !== 'none' && r.bound > smooth.bound);
  const footing =
    smooth && better.length
      ? ` At those shared parameters the bounds stand on equal footing, and ${better.map((r) => `${r.scheme} (${r.bound.toFixed(2)})`).join(', ')} ${better.length === 1 ? 'is' : 'are'} above DAIS's importance-weighted bound (${smooth.bound.toFixed(2)}): resampling helps the bound itself; what loses ground is training on the biased gradient.`
      : '';
  return [
    `Why the variants fall behind DAIS: the gradients they train on are biased. docs/results/dsmcs-gradient-check.md compares, over ${g.seeds} random streams at DAIS-trained parameters, each variant's gradient along the step sizes with a finite difference of the expected loss (the derivative of the loss as the trainer differentiates it, against that of its expectation): ${biased.map(cell).join('; ')}${flipped.length ? `, where ${flipped.map((r) => r.scheme).join(', ')} even point${flipped.length === 1 ? 's' : ''} the other way` : ''}. ` +
      "The missing part is the change of the resampling choices themselves as the weights change (the ancestors jump), which neither the stop-gradient of cat nor the straight-through relaxation of gst estimates; the authors' code differentiates the same two ways (cat under no_grad, gst through the same gapped straight-through estimator). Adam following a biased gradient can make a bound worse the longer it trains; DAIS, whose chain is smooth in its parameters, has an exact gradient. The check is one direction at one point of the parameters, so it shows that the bias exists and how large it is there, not its size everywhere." +
      footing,
    '',
  ];
}

export function renderDsmcs(d: DsmcsData, gradients?: DsmcsGradientData): string {
  const s = d.settings;
  const name = d.name ?? 'dsmcs-static';
  const dais = d.results.find((r) => r.scheme === 'none');
  const marked = d.results.filter((r) => r.logZStdErr !== null && !r.logZStdErrReliable).length;
  return [
    '# DSMCS static target: DAIS and DSMCS with each resampling variant',
    '',
    `Generated by \`npx tsx scripts/dsmcs-static.ts --config ${d.config}${name === 'dsmcs-static' ? '' : ` --name ${name}`}${d.iterationsFlag ? ` --iterations ${d.iterationsFlag}` : ''}\``,
    ...(d.budget
      ? [
          `(the iterations chosen by \`--budget ${d.budget.minutes}\`: the most whole epochs that train every variant in about ${d.budget.minutes} minutes)`,
        ]
      : []),
    `${generatedText(d.generated)}, seed ${s.seed}.`,
    `Target \`${s.target.name}\` (d = ${s.target.dim}): ${s.target.description}. Initial N(0, ${s.initialScale ** 2} I), ${s.learnInitial ? 'learned' : 'fixed'};`,
    `${s.sampler.toUpperCase()} with ${s.steps} transitions; ${s.particles / s.groupSize} systems of ${s.groupSize} particles per iteration,`,
    `${s.iterations} iterations (${s.iterations / s.epoch} epochs of ${s.epoch}), Adam lr ${s.learningRate}. Every variant maximizes the log`,
    'mean weight of each system: the IW bound for DAIS, the SMC bound for DSMCS. Evaluation: fresh',
    `particles, ${s.evalParticles} = ${s.evalParticles / s.groupSize} systems of ${s.groupSize}; ± is one standard error over systems (bound) or over`,
    `${s.evalBatches} batches (log Z, beside its reverse ESS count over all particles). ESS per transition is the reverse ESS per`,
    'system as a fraction of N, before each resampling decision for DSMCS.',
    '',
    scaleLine(s),
    '',
    `One training seed (${s.seed}): the bound - DAIS column is what this run shows, not a ranking of the variants (that needs several training seeds and their spread).`,
    '',
    '| variant | bound | bound - DAIS | log Z | ESS (count) | mean ESS, epoch 1 | mean ESS, final | min ESS, final | train s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...d.results.map(
      (r) =>
        `| ${r.label} | ${pm(r.bound, r.boundStdErr)} | ${!dais || r === dais ? '-' : (r.bound - dais.bound).toFixed(3)} | ${pmMarked(r.logZ, r.logZStdErr, r.logZStdErrReliable)} | ${r.essCount.toFixed(1)} | ${mean(r.earlyEss).toFixed(3)} | ${mean(r.finalEss).toFixed(3)} | ${Math.min(...r.finalEss).toFixed(3)} | ${r.trainSeconds.toFixed(0)} |`,
    ),
    '',
    ...unreliableNote(marked, d.results.length, 'log Z estimates'),
    ...gradientNote(gradients),
    `![ESS per transition](${name}-ess.svg)`,
    '',
  ].join('\n');
}
