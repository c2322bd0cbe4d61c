// docs/results/dsmcs-seeds.md from the JSON of scripts/dsmcs-seeds.ts: Zenn & Bamler's two claims
// on their static target (resampling raises the ESS; differentiating through the resampling step
// is unnecessary), each judged from per-seed paired differences and their 95% interval over
// training seeds. Pure: the results test re-renders the page.
import { generatedText, pm, type Generated } from './common.js';
import type { DsmcsSettings, VariantResult } from './dsmcs.js';
import { exceedsVerdict, intervalText, overSeeds, type Verdict } from './overSeeds.js';

export interface DsmcsSeedsData {
  generated: Generated;
  command: string;
  /** The command of the run at the paper's scale, for a claim this run does not settle. */
  largerCommand: string;
  /** The settings shared by every run (`seed` is the first training seed's). */
  settings: DsmcsSettings;
  /** The evaluation stream's seed: the same for every run, so evaluations are paired. */
  evalSeed: number;
  runs: { seed: number; result: VariantResult }[];
}

/**
 * The margin of "differentiating through resampling is unnecessary": gst's bound may exceed cat's
 * by at most this (nats) at the upper end of the 95% interval for the claim to count as shown.
 * Half a nat is below the bound's own evaluation error at these scales (about 0.5 per run).
 */
export const EQUIVALENCE_MARGIN = 0.5;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x: number, digits = 3) => x.toFixed(digits);
const signed = (x: number, digits = 3) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** Each seed's value of one variant, or an error naming what is missing. */
function bySeed(d: DsmcsSeedsData, scheme: string, value: (r: VariantResult) => number) {
  const seeds = [...new Set(d.runs.map((r) => r.seed))];
  return seeds.map((seed) => {
    const run = d.runs.find((r) => r.seed === seed && r.result.scheme === scheme);
    if (!run) throw new Error(`seed ${seed}: no ${scheme} run`);
    return value(run.result);
  });
}

/**
 * "Differentiating through resampling is unnecessary", from gst - cat bound differences: shown
 * where the interval's upper end stays below EQUIVALENCE_MARGIN (the relaxed gradient buys at most
 * that much), refuted where its lower end is above 0 (gst trains a better sampler).
 */
export function unnecessaryVerdict(diffs: number[]): Verdict {
  const o = overSeeds(diffs);
  return o.high < EQUIVALENCE_MARGIN
    ? 'shown'
    : o.low > 0
      ? 'refuted at this scale'
      : 'not resolved at this scale';
}

/** The per-seed differences each claim rests on, and the verdicts they give. */
export function dsmcsClaims(d: DsmcsSeedsData) {
  const meanEss = (r: VariantResult) => mean(r.finalEss);
  const daisEss = bySeed(d, 'none', meanEss);
  const essDiff = bySeed(d, 'cat', meanEss).map((x, i) => x - (daisEss[i] as number));
  const bound = (r: VariantResult) => r.bound;
  const catBound = bySeed(d, 'cat', bound);
  const daisBound = bySeed(d, 'none', bound);
  const hasGst = d.runs.some((r) => r.result.scheme === 'gst');
  const gstDiff = hasGst ? bySeed(d, 'gst', bound).map((x, i) => x - (catBound[i] as number)) : [];
  const boundDiff = catBound.map((x, i) => x - (daisBound[i] as number));
  return {
    essDiff,
    gstDiff,
    boundDiff,
    essVerdict: exceedsVerdict(essDiff),
    gstVerdict: hasGst ? unnecessaryVerdict(gstDiff) : null,
    boundVerdict: exceedsVerdict(boundDiff),
  };
}

export function renderDsmcsSeeds(d: DsmcsSeedsData): string {
  const s = d.settings;
  const seeds = [...new Set(d.runs.map((r) => r.seed))];
  const meanEss = (r: VariantResult) => mean(r.finalEss);
  const { essDiff, gstDiff, boundDiff, essVerdict, gstVerdict, boundVerdict } = dsmcsClaims(d);
  const hasGst = gstVerdict !== null;
  const interval = (xs: number[]) => intervalText(xs);
  const seconds = (scheme: string) => mean(bySeed(d, scheme, (r) => r.trainSeconds));
  const unsettled = essVerdict !== 'shown' || (gstVerdict !== null && gstVerdict !== 'shown');
  const labels = [...new Set(d.runs.map((r) => r.result.label))];
  return [
    `# Resampling in differentiable SMC: DAIS against DSMCS over ${seeds.length} training seeds`,
    '',
    '**Claims** (Zenn & Bamler 2023): (1) resampling inside the annealed chain raises the effective',
    'sample size along it; (2) the gradient through the resampling step can be dropped (stop-gradient',
    'resampling, "cat") without losing anything to an estimator that differentiates through it',
    '(the straight-through Gumbel-softmax relaxation, "gst").',
    '',
    `**Verdict at this scale: (1) ${essVerdict}; (2) ${gstVerdict ?? 'not run (no gst runs)'}.**`,
    `(1) cat minus DAIS, mean ESS per transition after training: ${interval(essDiff)}.`,
    ...(hasGst
      ? [
          `(2) gst minus cat, final bound (nats): ${interval(gstDiff)}; "unnecessary" counts as shown when the`,
          `interval's upper end is below +${EQUIVALENCE_MARGIN} nat (gst gains at most that), refuted when its lower end is above 0.`,
          `A gst iteration costs ${f(seconds('gst') / seconds('cat'), 1)}x a cat iteration here (mean training seconds).`,
        ]
      : []),
    `Beside the claims, the bound itself: cat minus DAIS ${interval(boundDiff)}: ${boundVerdict === 'shown' ? 'cat trains to the higher bound' : boundVerdict === 'refuted at this scale' ? 'DAIS trains to the higher bound (the stop-gradient estimator is biased: dsmcs-gradient-check.md)' : 'neither bound is higher beyond the spread'}.`,
    ...(unsettled
      ? [
          '',
          `What would settle it: more seeds narrow the interval (the t factor is ${f(overSeeds(essDiff).t, 2)} at ${seeds.length} seeds), and the paper's`,
          `length (5000 iterations) and scale: \`${d.largerCommand}\`.`,
        ]
      : []),
    '',
    `Generated by \`${d.command}\``,
    `${generatedText(d.generated)}.`,
    '',
    `Target \`${s.target.name}\` (d = ${s.target.dim}): ${s.target.description}. Initial N(0, ${s.initialScale ** 2} I), ${s.learnInitial ? 'learned' : 'fixed'};`,
    `${s.sampler.toUpperCase()} with ${s.steps} transitions; ${s.particles / s.groupSize} systems of ${s.groupSize} particles per iteration,`,
    `${s.iterations} iterations (${((100 * s.iterations) / 5000).toFixed(0)}% of the paper's 5000), Adam lr ${s.learningRate}. Each seed trains every variant from`,
    `that seed's streams; every run is evaluated on one stream (seed ${d.evalSeed}): ${s.evalParticles} fresh particles in`,
    `${s.evalParticles / s.groupSize} systems of ${s.groupSize}. The bound is the log mean weight per system (IW bound for DAIS, SMC bound`,
    'for DSMCS), ± one standard error over systems; the ESS is the reverse ESS per system as a fraction of',
    'N before each resampling decision, averaged over transitions. The target is normalized (log Z = 0).',
    '',
    '| seed | variant | bound | mean ESS, epoch 1 | mean ESS, final | train s |',
    '|---|---|---|---|---|---|',
    ...seeds.flatMap((seed) =>
      labels.flatMap((label) =>
        d.runs
          .filter((r) => r.seed === seed && r.result.label === label)
          .map(
            ({ result: r }) =>
              `| ${seed} | ${r.label} | ${pm(r.bound, r.boundStdErr)} | ${f(mean(r.earlyEss))} | ${f(meanEss(r))} | ${r.trainSeconds.toFixed(0)} |`,
          ),
      ),
    ),
    '',
    '| seed | ESS: cat - DAIS | bound: cat - DAIS | bound: gst - cat |',
    '|---|---|---|---|',
    ...seeds.map(
      (seed, i) =>
        `| ${seed} | ${signed(essDiff[i] as number)} | ${signed(boundDiff[i] as number)} | ${hasGst ? signed(gstDiff[i] as number) : '-'} |`,
    ),
    '',
  ].join('\n');
}
