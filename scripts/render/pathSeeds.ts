// docs/results/path-gradient-<experiment>.md from the JSON of scripts/path-gradient-seeds.ts: the
// path-gradient paper's claim on a lattice target, its verdict at this run's scale, the paired
// per-seed differences (path minus standard) at equal iterations and at equal training time, and
// the scale that would settle an unresolved claim. Pure: the results test re-renders the page.
import { generatedText, type Generated } from './common.js';
import type { Point } from './flow.js';
import { exceedsVerdict, overSeeds, type Verdict } from './overSeeds.js';

export const ESTIMATORS = ['standard', 'path-fast'] as const;
export type Estimator = (typeof ESTIMATORS)[number];

export interface PathSeedsData {
  generated: Generated;
  experiment: 'phi4' | 'u1';
  /** The page's file name without extension (path-gradient-EXPERIMENT unless --name set it). */
  name?: string;
  /** The target's lattice, as "T x X". */
  lattice: string;
  command: string;
  /** The command of a longer run, for a claim this run does not settle. */
  largerCommand: string;
  describe: string;
  learningRate: number;
  batch: number;
  iterations: number;
  evalParticles: number;
  runs: { seed: number; estimator: Estimator; points: Point[]; seconds: number }[];
}

/** Fewer effective draws than this in an evaluation and its ESS fraction is noise. */
export const RELIABLE_ESS_COUNT = 10;

/** Checkpoints averaged for a run's ESS: training noise moves a single checkpoint's value. */
export const LATE_CHECKPOINTS = 3;

export interface SeedPair {
  seed: number;
  /** Mean reverse ESS of each run's last LATE_CHECKPOINTS checkpoints. */
  standard: number;
  path: number;
  /** The same, of the checkpoints trained for at most the faster run's total seconds. */
  standardAtEqualTime: number;
  pathAtEqualTime: number;
  /** The smallest effective draw count among the final checkpoints. */
  minEssCount: number;
  standardSeconds: number;
  pathSeconds: number;
}

/** The mean reverse ESS of the last LATE_CHECKPOINTS checkpoints trained for at most `seconds`. */
export function lateEss(points: Point[], seconds = Infinity): number {
  const upTo = points.filter((p) => (p.trainSeconds ?? 0) <= seconds + 1e-9);
  const late = upTo.slice(-LATE_CHECKPOINTS);
  return late.reduce((a, p) => a + p.reverseEss, 0) / late.length;
}

export function seedPairs(d: PathSeedsData): SeedPair[] {
  const seeds = [...new Set(d.runs.map((r) => r.seed))];
  return seeds.map((seed) => {
    const run = (e: Estimator) => {
      const r = d.runs.find((x) => x.seed === seed && x.estimator === e);
      if (!r) throw new Error(`seed ${seed}: no ${e} run`);
      return r;
    };
    const s = run('standard');
    const p = run('path-fast');
    const budget = Math.min(s.seconds, p.seconds);
    return {
      seed,
      standard: lateEss(s.points),
      path: lateEss(p.points),
      standardAtEqualTime: lateEss(s.points, budget),
      pathAtEqualTime: lateEss(p.points, budget),
      minEssCount: Math.min(
        ...[s, p].flatMap((r) => r.points.slice(-LATE_CHECKPOINTS).map((x) => x.essCount)),
      ),
      standardSeconds: s.seconds,
      pathSeconds: p.seconds,
    };
  });
}

/** The verdict on "path gradients reach a higher ESS" from the per-seed differences. */
export const verdictOf = (diffs: number[], reliable: boolean): Verdict =>
  exceedsVerdict(diffs, reliable);

const f = (x: number, digits = 3) => x.toFixed(digits);
const signed = (x: number, digits = 3) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** Path minus standard ESS per seed, at equal iterations and equal time, and their verdicts. */
export function pathClaims(d: PathSeedsData) {
  const pairs = seedPairs(d);
  const equalIt = pairs.map((p) => p.path - p.standard);
  const equalTime = pairs.map((p) => p.pathAtEqualTime - p.standardAtEqualTime);
  const reliable = pairs.every((p) => p.minEssCount >= RELIABLE_ESS_COUNT);
  return {
    pairs,
    equalIt,
    equalTime,
    reliable,
    verdict: verdictOf(equalIt, reliable),
    verdictTime: verdictOf(equalTime, reliable),
  };
}

export function renderPathSeeds(d: PathSeedsData): string {
  const { pairs, equalIt, equalTime, reliable, verdict, verdictTime } = pathClaims(d);
  const it = overSeeds(equalIt);
  const tm = overSeeds(equalTime);
  const name = d.experiment === 'phi4' ? 'phi^4' : 'U(1)';
  const interval = (o: ReturnType<typeof overSeeds>) =>
    `${signed(o.mean)} (sd ${f(o.sd)}, 95% t-interval [${signed(o.low)}, ${signed(o.high)}], ${o.seeds} seeds)`;
  const higher = equalIt.filter((x) => x > 0).length;
  const settle =
    verdict === 'shown'
      ? []
      : [
          '',
          `What would settle it: ${it.seeds < 9 ? `more seeds narrow the interval (the t factor is ${f(it.t, 2)} at ${it.seeds} seeds and about 2.3 at 9), and ` : ''}longer training`,
          'moves both estimators toward convergence, where the paper reports the gain (it trains far longer,',
          `with far larger networks: docs/references.md); a longer run is \`${d.largerCommand}\`.`,
        ];
  return [
    `# Path gradients on ${name} (${d.lattice}): standard vs path gradient, ${pairs.length} seeds`,
    '',
    '**Claim** (Vaitl et al. 2024): training a flow by reverse KL with the path gradient estimator',
    'reaches a higher effective sample size than the standard (total derivative) estimator.',
    '',
    `**Verdict at this scale: ${verdict}** (equal iterations); ${verdictTime} at equal training time.`,
    `Path minus standard reverse ESS after ${d.iterations} iterations: ${interval(it)}, path higher in`,
    `${higher} of ${pairs.length} seeds; at equal training time: ${interval(tm)}.`,
    ...(reliable
      ? []
      : [
          '',
          `No ranking: some final evaluations have fewer than ${RELIABLE_ESS_COUNT} effective draws, so their ESS fractions are noise.`,
        ]),
    ...settle,
    '',
    `Generated by \`${d.command}\``,
    `${generatedText(d.generated)}.`,
    '',
    `${d.describe}; Adam lr ${d.learningRate}, batch ${d.batch}, ${d.iterations} iterations. Both`,
    'estimators start from the same initialization and training stream in each seed; each',
    `checkpoint is evaluated on ${d.evalParticles} flow draws from one fixed evaluation stream. A run's`,
    `ESS is the mean over its last ${LATE_CHECKPOINTS} checkpoints (one checkpoint's value moves with the training`,
    "noise); at equal training time, over the last checkpoints within the faster run's training",
    'seconds (evaluations excluded).',
    '',
    '| seed | standard ESS | path ESS | path - standard | standard s | path s | at equal time: standard | path | path - standard |',
    '|---|---|---|---|---|---|---|---|---|',
    ...pairs.map(
      (p, i) =>
        `| ${p.seed} | ${f(p.standard)} | ${f(p.path)} | ${signed(equalIt[i] as number)} | ${f(p.standardSeconds, 0)} | ${f(p.pathSeconds, 0)} | ${f(p.standardAtEqualTime)} | ${f(p.pathAtEqualTime)} | ${signed(equalTime[i] as number)} |`,
    ),
    '',
    `![reverse ESS during training, by iteration and by training seconds](${d.name ?? `path-gradient-${d.experiment}`}.svg)`,
    '',
  ].join('\n');
}
