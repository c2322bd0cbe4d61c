// docs/results/mcd-seeds.md from the JSON of scripts/mcd-seeds.ts: the MCD paper's claim on its
// static targets (a learned backward kernel beats the AIS backward kernel of the same forward
// chain), judged per target and pair from per-seed paired differences and their 95% interval over
// training seeds. The ELBO ranks always (a mean over particles, its error known); log Z ranks only
// where every estimate of both samplers is reliable. Pure: the results test re-renders the page.
import { generatedText, pm, pmMarked, type Generated } from './common.js';
import type { McdRow } from './mcd.js';
import { exceedsVerdict, intervalText, overSeeds, type Verdict } from './overSeeds.js';

export const BASES = ['ula', 'uha'] as const;
export type Base = (typeof BASES)[number];

export interface McdSeedsData {
  generated: Generated;
  command: string;
  /** The command of a longer run, for a claim this run does not settle. */
  largerCommand: string;
  iterations: number;
  trainParticles: number;
  evalParticles: number;
  lr: number;
  mixtureLoc: number;
  mixtureDim: number;
  mixtureInitialScale: number;
  /** Initial step size of each base sampler and its MCD (absent in older files: 0.01 and 0.05). */
  stepSizes?: Record<Base, number>;
  frozen: string[];
  rows: McdRow[];
}

/** The step sizes of files written before they were a flag. */
const OLD_STEPS: Record<Base, number> = { ula: 0.01, uha: 0.05 };

const LABEL: Record<string, string> = {
  ula: 'ULA',
  'ula-mcd': 'ULA-MCD',
  uha: 'UHA',
  'uha-mcd': 'UHA-MCD',
};

export interface PairSummary {
  target: string;
  steps: number;
  base: Base;
  seeds: number[];
  /** Per seed: MCD minus base. */
  elboDiffs: number[];
  logZDiffs: number[];
  /** Whether every log Z of both samplers rests on enough effective particles to rank. */
  logZReliable: boolean;
  elboVerdict: Verdict;
  logZVerdict: Verdict;
}

export function pairSummaries(d: McdSeedsData): PairSummary[] {
  const keys = [...new Set(d.rows.map((r) => `${r.target}\t${r.steps}`))];
  return keys.flatMap((key) => {
    const [target, stepsText] = key.split('\t') as [string, string];
    const steps = Number(stepsText);
    const here = d.rows.filter((r) => r.target === target && r.steps === steps);
    const seeds = [...new Set(here.map((r) => r.seed))];
    return BASES.filter((b) => here.some((r) => r.sampler === b)).map((base) => {
      const row = (seed: number, kind: string) => {
        const r = here.find((x) => x.seed === seed && x.sampler === kind);
        if (!r) throw new Error(`${target} K=${steps} seed ${seed}: no ${kind} run`);
        return r;
      };
      const pairs = seeds.map((s) => [row(s, base), row(s, `${base}-mcd`)] as const);
      const elboDiffs = pairs.map(([a, m]) => m.elbo - a.elbo);
      const logZDiffs = pairs.map(([a, m]) => m.logZ - a.logZ);
      const logZReliable = pairs.every(([a, m]) => a.logZStdErrReliable && m.logZStdErrReliable);
      return {
        target,
        steps,
        base,
        seeds,
        elboDiffs,
        logZDiffs,
        logZReliable,
        elboVerdict: exceedsVerdict(elboDiffs),
        logZVerdict: exceedsVerdict(logZDiffs, logZReliable),
      };
    });
  });
}

const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** The headline verdict over every pair: shown only where every pair shows MCD higher. */
export function overallVerdict(pairs: PairSummary[]): Verdict {
  const v = pairs.map((p) => p.elboVerdict);
  if (v.every((x) => x === 'shown')) return 'shown';
  if (v.every((x) => x === 'refuted at this scale')) return 'refuted at this scale';
  return 'not resolved at this scale';
}

export function renderMcdSeeds(d: McdSeedsData): string {
  const pairs = pairSummaries(d);
  const verdict = overallVerdict(pairs);
  const seeds = [...new Set(d.rows.map((r) => r.seed))];
  const unreliable = d.rows.filter((r) => !r.logZStdErrReliable).length;
  const shownPairs = pairs.filter((p) => p.elboVerdict === 'shown').length;
  const t = overSeeds(pairs[0]?.elboDiffs ?? [0, 0]).t;
  return [
    `# MCD against its AIS counterpart on the mixtures at d = ${d.mixtureDim}, ${seeds.length} training seeds`,
    '',
    '**Claim** (Doucet et al. 2022): Monte Carlo Diffusion, which learns the backward kernel (a score',
    'network), gives a tighter bound and a better log Z estimate than AIS with the same forward',
    'kernel (ULA-MCD against ULA, UHA-MCD against UHA).',
    '',
    `**Verdict at this scale: ${verdict}** by the ELBO (MCD higher in ${shownPairs} of ${pairs.length} target/sampler pairs, judged by the 95% interval over seeds);`,
    unreliable === 0
      ? 'every log Z estimate rests on enough effective particles, so log Z ranks too (below).'
      : `log Z ranks nowhere: ${unreliable} of ${d.rows.length} estimates rest on fewer than 10 effective particles per batch, so their values say where a run landed, not which sampler is better.`,
    '',
    '| target | K | pair | ELBO: MCD - base | verdict | log Z: MCD - base | verdict |',
    '|---|---|---|---|---|---|---|',
    ...pairs.map(
      (p) =>
        `| ${p.target} | ${p.steps} | ${LABEL[`${p.base}-mcd`]} - ${LABEL[p.base]} | ${intervalText(p.elboDiffs, 2)} | ${p.elboVerdict} | ${p.logZReliable ? intervalText(p.logZDiffs, 2) : 'not ranked (unreliable estimates)'} | ${p.logZVerdict} |`,
    ),
    '',
    ...(pairs.some((p) => p.elboVerdict === 'refuted at this scale')
      ? [
          "Where MCD ends below its base sampler: each MCD run starts as exactly its base sampler and its family contains it (a zero score network), so MCD's optimum is at least the base's; a pair refuted here says that MCD's training, at this budget and learning rate, did not find a better backward kernel, not that none exists.",
          '',
        ]
      : []),
    ...(verdict === 'shown' && unreliable === 0
      ? []
      : [
          `What would settle it: ${unreliable ? 'log Z needs a sampler trained until its estimates are reliable (at least 10 effective particles per evaluation batch), ' : ''}`,
          `more seeds narrow the interval (the t factor is ${t.toFixed(2)} at ${seeds.length} seeds), and the paper trains far longer`,
          `(the CMCD authors' configs, which run MCD beside their method: 150,000 iterations); a longer run is`,
          `\`${d.largerCommand}\`.`,
          '',
        ]),
    `Generated by \`${d.command}\``,
    `${generatedText(d.generated)}.`,
    '',
    `Mixtures of 8 components in d = ${d.mixtureDim} (means in [-${d.mixtureLoc}, ${d.mixtureLoc}]^d, unit scale; normalized, log Z = 0).`,
    `Every sampler starts from N(0, ${d.mixtureInitialScale}^2 I)${d.frozen.length ? ` and keeps that initial distribution and the linear schedule fixed (${d.frozen.join(', ')} frozen), the same for all` : ''};`,
    `with initial step sizes ${BASES.map((b) => `${LABEL[b]} ${(d.stepSizes ?? OLD_STEPS)[b]}`).join(', ')} (each MCD as its base);`,
    `each is trained for ${d.iterations} Adam iterations (lr ${d.lr}, ${d.trainParticles} particles, clip 10) on the ELBO from the`,
    "seed's streams (MCD's score network starts at zero, so each MCD run starts as exactly its base",
    `sampler), then evaluated on ${d.evalParticles} fresh particles; ± is one standard error (log Z over 10 batches).`,
    'Both the ELBO and log Z are lower bounds in expectation: higher is better.',
    '',
    '| target | K | seed | sampler | ELBO | log Z | ESS (count) | train s |',
    '|---|---|---|---|---|---|---|---|',
    ...d.rows.map(
      (r) =>
        `| ${r.target} | ${r.steps} | ${r.seed} | ${LABEL[r.sampler] ?? r.sampler} | ${pm(r.elbo, r.elboStdErr)} | ${pmMarked(r.logZ, r.logZStdErr, r.logZStdErrReliable)} | ${r.ess.toFixed(3)} (${r.essCount.toFixed(1)}) | ${r.trainSeconds.toFixed(0)} |`,
    ),
    '',
    ...(unreliable
      ? [
          `† ${unreliable} of ${d.rows.length} log Z estimates rest on fewer than 10 effective particles per batch.`,
          '',
        ]
      : []),
    '| target | K | pair | seed | ELBO: MCD - base | log Z: MCD - base |',
    '|---|---|---|---|---|---|',
    ...pairs.flatMap((p) =>
      p.seeds.map(
        (s, i) =>
          `| ${p.target} | ${p.steps} | ${LABEL[`${p.base}-mcd`]} - ${LABEL[p.base]} | ${s} | ${signed(p.elboDiffs[i] as number)} | ${signed(p.logZDiffs[i] as number)}${p.logZReliable ? '' : '†'} |`,
      ),
    ),
    '',
  ].join('\n');
}
