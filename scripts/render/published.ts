// docs/results/published.md from docs/results/published.json (scripts/published/extract.py): the
// published numbers anneal's pages are set beside, with their sources, and the lookups the other
// renderers use for their gap columns. Pure: the results test re-renders it.

export interface PublishedRow {
  model: string;
  method: string;
  steps: number;
  elbo: number | null;
  elboStd: number | null;
  logZ: number | null;
  logZStd: number | null;
}

interface Source {
  repository: string;
  commit: string;
  path: string;
}

export interface PublishedData {
  cmcd: { source: Source; note: string; rows: PublishedRow[] };
  fab: {
    source: Source;
    note: string;
    logZMae: { target: string; mae: number; stdErr: number }[];
  };
}

/** The CMCD results file's name for anneal's targets that it also ran. */
export const CMCD_MODELS: Record<string, string> = {
  sonar: 'log_sonar',
  ionosphere: 'log_ionosphere',
  funnel: 'funnel',
  seeds: 'seeds',
  brownian: 'brownian',
  lgcp: 'lgcp',
};

/** The CMCD results file's name for anneal's learned samplers that it also ran. */
export const CMCD_METHODS: Record<string, string> = {
  ula: 'ULA',
  uha: 'UHA',
  'ula-mcd': 'MCD',
  ldvi: 'LDVI',
  cmcd: 'CMCD',
  // The results file's name for the underdamped form.
  'cmcd-ud': 'CMCD (second order)',
};

/** The published row of a method on a model at a number of steps, if the file has it. */
export function cmcdRow(
  d: PublishedData,
  model: string,
  method: string,
  steps: number,
): PublishedRow | undefined {
  return d.cmcd.rows.find((r) => r.model === model && r.method === method && r.steps === steps);
}

const cell = (x: number | null, sd: number | null, digits = 3) =>
  x === null ? '-' : `${x.toFixed(digits)}${sd === null ? '' : ` ± ${sd.toFixed(digits)}`}`;

const LOGISTIC_METHODS = ['ULA', 'MCD', 'UHA', 'LDVI', 'CMCD', 'CMCD (second order)', 'SMC'];
const FUNNEL_METHODS = ['CMCD', 'SMC', 'CRAFT', 'AFT'];

/**
 * `references`: anneal's own reference log Z by target name (logistic-reference.json), to show
 * that the published runs and anneal's agree on what the logistic targets' log Z is.
 */
export function renderPublished(d: PublishedData, references: Record<string, number>): string {
  const src = (s: Source) => `\`${s.path}\` in ${s.repository} at commit ${s.commit.slice(0, 10)}`;
  const lines = [
    '# Published numbers',
    '',
    'Generated from `docs/results/published.json`, which `python3 scripts/published/extract.py` writes',
    'from the sources named below: numbers quoted from other projects, not runs of anneal.',
    '',
    `## The CMCD authors' results (${src(d.cmcd.source)})`,
    '',
    `ELBO and log Z as their results file has them (${d.cmcd.note}); ± is that file's spread column.`,
    "Their runs train each method for 150,000 iterations (the repository's base config). The other",
    "pages set these beside anneal's runs at the same number of steps where anneal ran the same method",
    '(ULA, UHA, MCD on the logistic targets; `docs/results/mcd-static.md`) and on the funnel',
    '(`docs/results/funnel-32.md`).',
    '',
  ];
  for (const [ours, model] of Object.entries(CMCD_MODELS).filter(([o]) => o !== 'funnel')) {
    lines.push(
      `### ${ours} (their \`${model}\`)`,
      '',
      '| method | K = 8: ELBO | log Z | K = 64: ELBO | log Z | K = 256: ELBO | log Z |',
      '|---|---|---|---|---|---|---|',
    );
    for (const method of LOGISTIC_METHODS) {
      const at = (k: number) => cmcdRow(d, model, method, k);
      lines.push(
        `| ${method} | ${[8, 64, 256].map((k) => `${cell(at(k)?.elbo ?? null, at(k)?.elboStd ?? null)} | ${cell(at(k)?.logZ ?? null, at(k)?.logZStd ?? null)}`).join(' | ')} |`,
      );
    }
    const best = cmcdRow(d, model, 'CMCD', 256)?.logZ;
    const ref = references[ours];
    if (best !== null && best !== undefined && ref !== undefined)
      lines.push(
        '',
        `Their CMCD at 256 steps puts log Z at ${best.toFixed(3)}; anneal's reference (logistic-reference.md, long SMC runs) is ${ref.toFixed(3)}: a difference of ${(best - ref).toFixed(3)} nats, ${Math.abs(best - ref) < 0.05 ? 'as expected where both projects build the same model (prior N(0, I), standardized features and an intercept)' : 'more than the two estimates explain: the models may differ'}.`,
      );
    lines.push('');
  }
  lines.push(
    '### funnel (d = 10, their `funnel`)',
    '',
    '| method | K = 32: ELBO | log Z | K = 256: ELBO | log Z |',
    '|---|---|---|---|---|',
    ...FUNNEL_METHODS.map((method) => {
      const at = (k: number) => cmcdRow(d, 'funnel', method, k);
      return `| ${method} | ${[32, 256].map((k) => `${cell(at(k)?.elbo ?? null, at(k)?.elboStd ?? null)} | ${cell(at(k)?.logZ ?? null, at(k)?.logZStd ?? null)}`).join(' | ')} |`;
    }),
    '',
    'The funnel is normalized (log Z = 0). CRAFT and AFT carry flows between their SMC steps.',
    '',
    `## FAB (${src(d.fab.source)})`,
    '',
    `The ${d.fab.note}.`,
    '',
    '| target | mean absolute error of log Z |',
    '|---|---|',
    ...d.fab.logZMae.map((r) => `| ${r.target} | ${r.mae} ± ${r.stdErr} |`),
    '',
    '## Not quoted, and why',
    '',
    '- The DSMCS paper (Zenn & Bamler, 2023) gives its results as figures only (the effective sample size of',
    "  DAIS and DSMCS at two points of training, and the differences of their ELBOs), and its authors'",
    '  repository (jzenn/DSMCS) holds code but no results files: there is no table of numbers to quote.',
    '  `dsmcs-static-paper.md` compares with the claim in words (the resampling variants match or beat DAIS),',
    '  and `dsmcs-gradient-check.md` shows why ours do not.',
    "- The path-gradient paper's Table 2 (Vaitl et al., 2024) is in the paper's text only; its authors'",
    '  repository (lenz3000/unified-path-gradients) has no results files, and the table could not be',
    '  read from a copy of the paper here, so the flow pages carry no gap column.',
    '',
  );
  return `${lines.join('\n').trimEnd()}\n`;
}
