// docs/results/fab.md from the JSON of scripts/fab.ts: flows trained by FAB (flow annealed
// importance sampling bootstrap) over training seeds, evaluated as FAB evaluates (log Z from the
// flow's importance sampling and from AIS started at the flow, each in batches of 2000 whose
// absolute errors are averaged; the flow's reverse ESS), beside the published numbers: fab-jax's
// log Z errors (docs/results/published.json) and the FAB paper's flow ESS on the 40-mode mixture
// (quoted in the JSON with its source). Pure: the results test re-renders it.
import { generatedText, meanSd, type Generated } from './common.js';
import type { PublishedData } from './published.js';

export interface FabRow {
  target: string;
  seed: number;
  trueLogZ: number | null;
  flowLogZ: number;
  /** Mean |log Z_batch - exact| over the flow's importance-sampling batches. */
  flowMae: number | null;
  /** Reverse ESS fraction of the flow for the target. */
  flowEss: number;
  forwardEss: number | null;
  nll: number | null;
  aisLogZ: number;
  aisMae: number | null;
  aisEss: number;
  stepSizes: number[];
  skipped: number;
  trainSeconds: number;
}

export interface FabTargetRun {
  target: string;
  /** The target as the page names it (with its dimension). */
  label: string;
  iterations: number;
  paperIterations: number;
  paperSource: string;
  /** What the run's settings are, in words. */
  settings: string;
  /** A published flow ESS, where the FAB paper gives one. */
  paperEss: { value: number; source: string } | null;
  /** fab-jax's README row for this target, where it has one. */
  paperMaeTarget: string | null;
}

export interface FabData {
  generated: Generated;
  command: string;
  largerCommand: string;
  evalParticles: number;
  evalBatch: number;
  runs: FabTargetRun[];
  rows: FabRow[];
}

const f = (x: number | null, digits = 4) => (x === null ? '-' : x.toFixed(digits));

/** mean ± sd and the standard error of the mean over seeds. */
function stats(xs: number[]): { mean: number; sd: number; se: number } {
  const { mean, sd } = meanSd(xs);
  return { mean, sd, se: xs.length > 1 ? sd / Math.sqrt(xs.length) : Infinity };
}

/** Below (or above) a published bound only when the 95% interval of the mean is clear of it. */
function verdict(
  ours: { mean: number; se: number },
  bound: number,
  better: 'lower' | 'higher',
  seeds: number,
): string {
  const lo = ours.mean - 1.96 * ours.se;
  const hi = ours.mean + 1.96 * ours.se;
  const meets = better === 'lower' ? hi <= bound : lo >= bound;
  const misses = better === 'lower' ? lo > bound : hi < bound;
  if (meets) return 'meets the published value';
  if (misses) return 'short of the published value at this training length';
  return `not resolved with ${seeds} seeds: the 95% interval of the mean contains the published value`;
}

export function renderFab(d: FabData, published: PublishedData): string {
  const lines: string[] = [
    '# FAB: flows trained by AIS towards p^2/q, beside the published numbers',
    '',
    'Flow annealed importance sampling bootstrap (FAB) trains a RealNVP flow on the alpha = 2 divergence with',
    'AIS from the flow towards p^2/q and a prioritized replay buffer, with the settings of the published runs',
    '(below, per target), shortened to what this machine could run. Evaluated as FAB evaluates:',
    `${d.evalParticles} draws split into estimates of ${d.evalBatch}; "MAE" is the mean over those estimates of |log Z - exact|,`,
    'from the flow alone (importance sampling) and from AIS started at the flow (targeting p, with the tuned moves);',
    "ESS is the flow's reverse ESS as a fraction. Each cell: mean ± standard deviation over training seeds.",
    '',
  ];
  for (const run of d.runs) {
    const rows = d.rows.filter((r) => r.target === run.target);
    if (rows.length === 0) continue;
    const ess = stats(rows.map((r) => r.flowEss));
    const flowMae = rows.every((r) => r.flowMae !== null)
      ? stats(rows.map((r) => r.flowMae as number))
      : null;
    const aisMae = rows.every((r) => r.aisMae !== null)
      ? stats(rows.map((r) => r.aisMae as number))
      : null;
    const paper = run.paperMaeTarget
      ? published.fab.logZMae.find((r) => r.target === run.paperMaeTarget)
      : undefined;
    const share = (100 * run.iterations) / run.paperIterations;
    lines.push(
      `## ${run.label}`,
      '',
      `${run.settings}. Trained ${run.iterations} gradient updates of the published ${run.paperIterations} (${share.toPrecision(2)}%; ${run.paperSource}).`,
      '',
      '| quantity | anneal | published | verdict |',
      '|---|---|---|---|',
      `| flow reverse ESS | ${f(ess.mean, 3)} ± ${f(ess.sd, 3)} | ${run.paperEss ? `${run.paperEss.value} (${run.paperEss.source})` : '-'} | ${run.paperEss ? verdict(ess, run.paperEss.value, 'higher', rows.length) : '-'} |`,
    );
    if (flowMae)
      lines.push(
        `| log Z MAE, flow | ${f(flowMae.mean, 5)} ± ${f(flowMae.sd, 5)} | ${paper ? `${paper.mae} ± ${paper.stdErr} (se)` : '-'} | ${paper ? verdict(flowMae, paper.mae, 'lower', rows.length) : '-'} |`,
      );
    if (aisMae)
      lines.push(
        `| log Z MAE, AIS from the flow | ${f(aisMae.mean, 5)} ± ${f(aisMae.sd, 5)} | ${paper ? `${paper.mae} ± ${paper.stdErr} (se)` : '-'} | ${paper ? verdict(aisMae, paper.mae, 'lower', rows.length) : '-'} |`,
      );
    lines.push('');
  }
  if (d.rows.length > 0 && published.fab)
    lines.push(
      `The published log Z errors are fab-jax's README table (${published.fab.note}); the README does not say whether they come from the flow or from AIS, so both are set beside them.`,
      '',
    );
  lines.push(
    `A run at the published lengths: \`${d.largerCommand}\`.`,
    '',
    `Generated by \`${d.command}\``,
    `${generatedText(d.generated)}.`,
    '',
    '| target | seed | flow ESS | forward ESS | NLL | log Z flow | MAE flow | log Z AIS | MAE AIS | AIS ESS | step sizes | skipped | train s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...d.rows.map(
      (r) =>
        `| ${r.target} | ${r.seed} | ${f(r.flowEss, 3)} | ${f(r.forwardEss, 3)} | ${f(r.nll, 3)} | ${f(r.flowLogZ)} | ${f(r.flowMae, 5)} | ${f(r.aisLogZ)} | ${f(r.aisMae, 5)} | ${f(r.aisEss, 3)} | ${r.stepSizes.map((s) => s.toPrecision(2)).join(', ')} | ${r.skipped} | ${r.trainSeconds.toFixed(0)} |`,
    ),
    '',
  );
  return lines.join('\n');
}
