// docs/results/mcd-static.md from the JSON of scripts/mcd-table.ts. Pure: the results test
// re-renders it.
import type { BudgetPlan } from '../budget.js';
import { CMCD_METHODS, CMCD_MODELS, cmcdRow, type PublishedData } from './published.js';
import { generatedText, pm, pmMarked, unreliableNote, type Generated } from './common.js';

export interface McdRow {
  target: string;
  dim: number;
  sampler: string;
  steps: number;
  logZ: number;
  logZStdErr: number | null;
  elbo: number;
  elboStdErr: number | null;
  /** Reverse ESS as a fraction of the evaluation particles, and as a count. */
  ess: number;
  essCount: number;
  logZStdErrReliable: boolean;
  trueLogZ: number | null;
  skipped: number;
  trainSeconds: number;
  evalSeconds: number;
  seed: number;
}

export interface McdData {
  generated: Generated;
  iterations: number;
  trainParticles: number;
  evalParticles: number;
  batches: number;
  lr: number;
  seed: number;
  mixtureLoc: number;
  /** Mixture dimension when not the registry's default (20). */
  mixtureDim?: number | null;
  /** Scale of the mixtures' initial N(0, s^2 I) when not 2. */
  mixtureInitialScale?: number | null;
  /** Parameter groups kept at their initial values by every sampler ('initial', 'schedule'). */
  frozen?: string[];
  /** The --targets, --steps and --kinds lists, where a run used other than the defaults. */
  selection?: { targets?: string; steps?: string; kinds?: string };
  /** When --budget chose the iterations: the budget and the probe behind it. */
  budget?: BudgetPlan;
  rows: McdRow[];
}

export function mcdCommand(d: McdData): string {
  return `npx tsx scripts/mcd-table.ts --iterations ${d.iterations} --train-particles ${d.trainParticles} --eval-particles ${d.evalParticles} --lr ${d.lr} --seed ${d.seed} --mixture-loc ${d.mixtureLoc}${setupFlags(d)}`;
}

/** The flags beyond the budget that set up the comparison (dimension, initial scale, freezing). */
function setupFlags(d: McdData): string {
  const picked = Object.entries(d.selection ?? {})
    .map(([flag, list]) => ` --${flag} ${list}`)
    .join('');
  const frozen = d.frozen?.length ? ` --freeze ${d.frozen.join(',')}` : '';
  const dim =
    (d.mixtureDim ? ` --mixture-dim ${d.mixtureDim}` : '') +
    (d.mixtureInitialScale ? ` --mixture-initial-scale ${d.mixtureInitialScale}` : '');
  return `${dim}${frozen}${picked}`;
}

/** Training iterations of the published runs (the CMCD authors' base config). */
const PUBLISHED_ITERATIONS = 150000;

/**
 * What the table may be ranked by: where most log Z estimates are unreliable, or sit above the
 * reference by more than two standard errors (a lower bound in expectation rarely does), only the
 * ELBO ranks the samplers.
 */
function rankingNote(
  rows: McdRow[],
  marked: number,
  reference: (r: McdRow) => number | null,
): string[] {
  const above = rows.filter((r) => {
    const ref = reference(r);
    return ref !== null && r.logZStdErr !== null && r.logZ - ref > 2 * r.logZStdErr;
  }).length;
  const oneSeed =
    'One training seed per cell: the table is what this run shows, not a ranking of the methods (that needs several training seeds and their spread).';
  if (2 * marked < rows.length && above === 0) return [oneSeed, ''];
  return [
    oneSeed,
    `Rank the samplers by the ELBO column only: ${marked} of ${rows.length} log Z estimates are marked unreliable (†)${above ? `, and ${above} ${above === 1 ? 'sits' : 'sit'} more than two standard errors above the reference, which a lower bound in expectation rarely does` : ''}.`,
    'Such log Z estimates say where a sampler landed on one run, not which sampler is better.',
    '',
  ];
}

/**
 * `references`: reference log Z by target name for targets without a closed form (the
 * logistic-regression data sets, from logistic-reference.json); the mixtures' exact value is 0.
 */
export function renderMcd(
  d: McdData,
  references: Record<string, number> = {},
  published?: PublishedData,
): string {
  // The CMCD authors' run of the same method on the same target at the same K, where there is one.
  const theirs = (r: McdRow) => {
    const model = CMCD_MODELS[r.target];
    const method = CMCD_METHODS[r.sampler];
    return published && model && method ? cmcdRow(published, model, method, r.steps) : undefined;
  };
  const anyTheirs = d.rows.some((r) => theirs(r) !== undefined);
  const theirCells = (r: McdRow) => {
    if (!anyTheirs) return '';
    const t = theirs(r);
    if (!t || t.elbo === null || t.logZ === null) return ' - | - |';
    return ` ${t.elbo.toFixed(3)} / ${t.logZ.toFixed(3)} | ${(r.elbo - t.elbo).toFixed(3)} |`;
  };
  const reference = (r: McdRow) => r.trueLogZ ?? references[r.target] ?? null;
  const gap = (r: McdRow) => {
    const ref = reference(r);
    return ref === null ? '-' : (r.logZ - ref).toFixed(3);
  };
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(a < b / 10 ? 1 : 0)}%`;
  const marked = d.rows.filter((r) => r.logZStdErr !== null && !r.logZStdErrReliable).length;
  return [
    '# Learned annealed samplers on static targets (reduced scale)',
    '',
    `Generated by \`${mcdCommand(d)}\``,
    ...(d.budget
      ? [
          `(the iterations chosen by \`--budget ${d.budget.minutes}\`: the most that train every cell in about ${d.budget.minutes} minutes)`,
        ]
      : []),
    `${generatedText(d.generated)}.`,
    '',
    `Each sampler is trained for ${d.iterations} Adam iterations (lr ${d.lr}, ${d.trainParticles} particles, clip 10) on the ELBO, with`,
    d.frozen?.length
      ? `its ${d.frozen.map((f) => (f === 'initial' ? 'initial distribution' : f)).join(' and ')} fixed (the same for every sampler) and the other parameters learned, then evaluated`
      : 'step sizes, schedule, initial distribution (and damping, mass, score network) learned, then evaluated',
    `with ${d.evalParticles} fresh particles; ± is one standard error (log Z from ${d.batches} independent batches). ESS is the`,
    'reverse effective sample size, as a fraction of the particles and as a count. The mixtures are',
    'normalized (exact log Z = 0); for logistic regression, which has no closed form, "log Z - ref." is',
    'the distance from the reference log Z of logistic-reference.md (long SMC runs). Both log Z and the',
    'ELBO are lower bounds in expectation: higher is better.',
    '',
    'A reduced-scale run: the samplers are far from converged at this budget, so the table shows what',
    "a short training reaches, not the methods' limits. The published runs train far longer: the",
    "CMCD authors' code, which runs MCD, UHA and ULA beside their own method (src/configs/base.py in",
    `shreyaspadhy/CMCD), trains for ${PUBLISHED_ITERATIONS.toLocaleString('en-US')} iterations; this run has ${pct(d.iterations, PUBLISHED_ITERATIONS)} of that. A longer run here is`,
    `\`npx tsx scripts/mcd-table.ts --iterations 2000 --train-particles 512 --eval-particles 20000${d.frozen?.length || d.mixtureDim || d.mixtureInitialScale ? ` --mixture-loc ${d.mixtureLoc}${setupFlags(d)}` : ''}\``,
    '(a budget of our choosing, still well short of the published one).',
    '',
    ...rankingNote(d.rows, marked, reference),
    `The mixtures' means lie in [-${d.mixtureLoc}, ${d.mixtureLoc}]^d (unit component scale); the initial distribution`,
    `starts at N(0, ${d.mixtureInitialScale ?? 2}^2 I) there, and at the prior N(0, I) on logistic regression.`,
    '',
    ...(anyTheirs
      ? [
          "Published: the CMCD authors' run of the same method on the same target with the same K (ELBO / log Z;",
          'docs/results/published.md), trained for 150,000 iterations; ELBO gap = this run minus theirs.',
          '',
        ]
      : []),
    `| target | d | sampler | K | log Z | log Z - ref. | ESS (count) | ELBO |${anyTheirs ? ' published ELBO / log Z | ELBO gap |' : ''} skipped | train s | eval s |`,
    `|---|---|---|---|---|---|---|---|${anyTheirs ? '---|---|' : ''}---|---|---|`,
    ...d.rows.map(
      (r) =>
        `| ${r.target} | ${r.dim} | ${r.sampler} | ${r.steps} | ${pmMarked(r.logZ, r.logZStdErr, r.logZStdErrReliable)} | ${gap(r)} | ${r.ess.toFixed(3)} (${r.essCount.toFixed(1)}) | ${pm(r.elbo, r.elboStdErr)} |${theirCells(r)} ${r.skipped} | ${r.trainSeconds.toFixed(0)} | ${r.evalSeconds.toFixed(1)} |`,
    ),
    '',
    ...unreliableNote(marked, d.rows.length, 'log Z estimates'),
  ].join('\n');
}
