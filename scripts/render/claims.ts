// The central claim of each seed paper, and its verdict over training seeds, derived from the JSON
// of the pages that test it. docs/results/claims.md lists the four; every results page about a
// paper opens with its claim and verdict (withClaim), so no page can be read without them.
import type { Files } from './common.js';
import type { DsmcsSeedsData } from './dsmcsSeeds.js';
import { dsmcsClaims } from './dsmcsSeeds.js';
import { overallVerdict, pairSummaries, type McdSeedsData } from './mcdSeeds.js';
import { exceedsVerdict, intervalText, type Verdict } from './overSeeds.js';
import { pathClaims, type PathSeedsData } from './pathSeeds.js';
import type { VaePairedData } from './vaePaired.js';
import {
  comparisons,
  labelOf,
  table1Verdict,
  type VaeTable1PairedData,
} from './vaeTable1Paired.js';

export type Paper = 'mcd' | 'path' | 'dsmcs' | 'ding-freedman';

export const CLAIMS: Record<Paper, { paper: string; method: string; claim: string }> = {
  mcd: {
    paper: 'Doucet et al. 2022',
    method: 'Monte Carlo Diffusion',
    claim:
      'learning the backward kernel (a score network) gives a tighter bound and a better log Z than AIS with the same forward kernel (ULA-MCD over ULA, UHA-MCD over UHA).',
  },
  path: {
    paper: 'Vaitl et al. 2024',
    method: 'Path gradients for flows',
    claim:
      'a flow trained by reverse KL with the path gradient estimator reaches a higher effective sample size than with the standard estimator.',
  },
  dsmcs: {
    paper: 'Zenn & Bamler 2023',
    method: 'Differentiable SMC samplers',
    claim:
      'resampling inside the annealed chain raises the effective sample size along it, and the gradient through the resampling step can be dropped.',
  },
  'ding-freedman': {
    paper: 'Ding & Freedman 2019',
    method: 'AIS-trained generative models',
    claim:
      'decoders trained on AIS chains reach a higher test log-likelihood than IWAE-trained ones at equal K, and improve with the number of temperatures T.',
  },
};

export interface ClaimVerdict {
  /** A Verdict, or one per part where a claim has two ("ESS gain: shown; ..."). */
  verdict: string;
  /** One markdown sentence per piece of evidence, each naming its page. */
  evidence: string[];
  /** Where the claim is not shown: what would settle it. */
  settle: string | null;
}

const has = (f: Files, name: string) => f.list('docs/results').includes(name);
const json = <T>(f: Files, name: string) => JSON.parse(f.read(`docs/results/${name}`)) as T;
const link = (name: string) => `[${name}](${name})`;

function mcdVerdict(f: Files): ClaimVerdict {
  const evidence: string[] = [];
  let verdict: Verdict = 'not resolved at this scale';
  if (has(f, 'mcd-seeds.json')) {
    const d = json<McdSeedsData>(f, 'mcd-seeds.json');
    const pairs = pairSummaries(d);
    verdict = overallVerdict(pairs);
    evidence.push(
      `Mixtures at d = ${d.mixtureDim}, ${pairs[0]?.seeds.length ?? 0} seeds (${link('mcd-seeds.md')}), MCD minus base ELBO: ` +
        pairs
          .map(
            (p) =>
              `${p.target} ${p.base.toUpperCase()} ${intervalText(p.elboDiffs, 2)}, ${p.elboVerdict}`,
          )
          .join('; ') +
        (pairs.every((p) => p.logZReliable)
          ? '.'
          : '; log Z not ranked (estimates unreliable at this budget).'),
    );
  }
  if (has(f, 'vae-mcd-paired.json')) {
    const d = json<VaePairedData>(f, 'vae-mcd-paired.json');
    for (const base of ['ula', 'uha'] as const) {
      const diffs = d.pairs.filter((p) => p.base === base).map((p) => p.ais.diff);
      if (diffs.length < 2) continue;
      evidence.push(
        `VAE on MNIST, ${diffs.length} seeds (${link('vae-mcd-paired.md')}), ${base.toUpperCase()}-MCD minus ${base.toUpperCase()} AIS log p(x): ${intervalText(diffs, 2)}, ${exceedsVerdict(diffs)}.`,
      );
    }
  }
  return {
    verdict,
    evidence,
    settle:
      verdict === 'shown'
        ? null
        : 'longer training and more seeds: the longer command on each evidence page.',
  };
}

function pathVerdict(f: Files): ClaimVerdict {
  const pages = ['path-gradient-phi4-4x4', 'path-gradient-phi4', 'path-gradient-u1'].filter((n) =>
    has(f, `${n}.json`),
  );
  const evidence = pages.map((n) => {
    const d = json<PathSeedsData>(f, `${n}.json`);
    const c = pathClaims(d);
    return `${d.experiment === 'phi4' ? 'phi^4' : 'U(1)'} ${d.lattice}, ${c.pairs.length} seeds (${link(`${n}.md`)}), path minus standard ESS at equal iterations: ${intervalText(c.equalIt)}, ${c.verdict}; at equal time ${c.verdictTime}.`;
  });
  const verdicts = pages.map((n) => pathClaims(json<PathSeedsData>(f, `${n}.json`)).verdict);
  // Shown where some lattice shows it and none refutes it: the claim is about training far enough.
  const verdict: Verdict = verdicts.includes('refuted at this scale')
    ? 'not resolved at this scale'
    : verdicts.includes('shown')
      ? 'shown'
      : 'not resolved at this scale';
  return {
    verdict,
    evidence,
    settle:
      verdict === 'shown'
        ? 'on larger lattices, longer runs (the longer command on each page).'
        : 'longer runs (the longer command on each page).',
  };
}

function dsmcsVerdict(f: Files): ClaimVerdict {
  if (!has(f, 'dsmcs-seeds.json'))
    return {
      verdict: 'not resolved at this scale',
      evidence: [],
      settle: 'scripts/dsmcs-seeds.ts',
    };
  const d = json<DsmcsSeedsData>(f, 'dsmcs-seeds.json');
  const c = dsmcsClaims(d);
  const seeds = c.essDiff.length;
  const verdict =
    c.essVerdict === c.gstVerdict
      ? c.essVerdict
      : `resampling raises the ESS: ${c.essVerdict}; the resampling gradient can be dropped: ${c.gstVerdict ?? 'not run'}`;
  return {
    verdict,
    evidence: [
      `${seeds} seeds (${link('dsmcs-seeds.md')}): ESS, cat minus DAIS ${intervalText(c.essDiff)}, ${c.essVerdict}; bound, gst minus cat ${c.gstVerdict === null ? 'not run' : `${intervalText(c.gstDiff, 2)}, "unnecessary" ${c.gstVerdict}`}; bound, cat minus DAIS ${intervalText(c.boundDiff, 2)}.`,
    ],
    settle:
      verdict === 'shown' ? null : "the paper's length and more seeds (the page's longer command).",
  };
}

/** The paired Table 1 pages, one per K: the K = 5 column first, then any other K run. */
export const TABLE1_PAIRED_PAGES = ['vae-table1-paired', 'vae-table1-paired-k1'] as const;

function dingFreedmanVerdict(f: Files): ClaimVerdict {
  const present = TABLE1_PAIRED_PAGES.filter((name) => has(f, `${name}.json`));
  if (!present.length)
    return {
      verdict: 'not resolved at this scale',
      evidence: has(f, 'vae-table1-scale.json')
        ? [
            `One training seed per row so far (${link('vae-table1-scale.md')}, the K = 5 column): no spread over seeds, so no verdict.`,
          ]
        : [],
      settle: 'the K = 5 column over 3 training seeds: scripts/vae-table1-paired.ts.',
    };
  const columns = present.map((name) => ({
    name,
    data: json<VaeTable1PairedData>(f, `${name}.json`),
  }));
  const verdicts = columns.map((c) => table1Verdict(c.data));
  // One verdict where every K agrees; otherwise the verdict of each K column.
  const verdict = verdicts.every((v) => v === verdicts[0])
    ? (verdicts[0] as Verdict)
    : columns.map((c, i) => `at K = ${c.data.samples}: ${verdicts[i]}`).join('; ');
  return {
    verdict,
    evidence: columns.flatMap(({ name, data: d }) =>
      comparisons(d).map(
        (c) =>
          `${link(`${name}.md`)}, ${c.diffs.length} seeds: ${labelOf(c.second, d.samples)} minus ${labelOf(c.first, d.samples)}, AIS log p(x): ${intervalText(c.diffs, 2)}, ${c.verdict}.`,
      ),
    ),
    settle: verdicts.every((v) => v === 'shown')
      ? null
      : "longer training, more seeds and a longer AIS evaluation (the page's longer command).",
  };
}

export function claimVerdicts(f: Files): Record<Paper, ClaimVerdict> {
  return {
    mcd: mcdVerdict(f),
    path: pathVerdict(f),
    dsmcs: dsmcsVerdict(f),
    'ding-freedman': dingFreedmanVerdict(f),
  };
}

/**
 * `page` with its paper's claim and verdict after its title: the claim, the verdict over seeds with
 * a pointer to claims.md, and what this page is (it ranks nothing by itself where it has one seed).
 */
export function withClaim(page: string, paper: Paper, f: Files, role: string): string {
  const c = CLAIMS[paper];
  const v = claimVerdicts(f)[paper];
  const lines = page.split('\n');
  const title = lines.findIndex((l) => l.startsWith('# '));
  const header = [
    '',
    `**Claim** (${c.paper}): ${c.claim}`,
    '',
    `**Verdict over training seeds: ${v.verdict}** (the evidence: [claims.md](claims.md)). ${role}`,
  ];
  lines.splice(title + 1, 0, ...header);
  return lines.join('\n');
}

export function renderClaims(f: Files): string {
  const all = claimVerdicts(f);
  return [
    "# The seed papers' central claims, and what anneal's runs show",
    '',
    'Each verdict rests on runs over several training seeds: per seed, the paired difference between',
    'the two methods (same initialization, streams and evaluation), and the 95% Student-t interval of',
    'those differences over seeds. Shown: the interval lies on the claimed side of zero; refuted: on',
    'the other side; not resolved: it holds zero, or the estimates are too unreliable to rank. A',
    "verdict holds at the scale these runs reach on 2 cores, far below the papers' training; each",
    'evidence page gives its scale and the command of a longer run.',
    '',
    ...(Object.keys(CLAIMS) as Paper[]).flatMap((k) => {
      const v = all[k];
      return [
        `## ${CLAIMS[k].paper}: ${CLAIMS[k].method}`,
        '',
        `**Claim**: ${CLAIMS[k].claim}`,
        '',
        `**Verdict: ${v.verdict}.**`,
        '',
        ...v.evidence.map((e) => `- ${e}`),
        ...(v.evidence.length ? [''] : []),
        ...(v.settle ? [`What would settle it or carry it further: ${v.settle}`, ''] : []),
      ];
    }),
  ].join('\n');
}

const README_OPEN =
  '<!-- claims: rendered from docs/results/*.json by scripts/render-results.ts -->';
const README_CLOSE = '<!-- /claims -->';

/** The pages each verdict rests on, from its evidence lines' links. */
const evidencePages = (v: ClaimVerdict) => [
  ...new Set(v.evidence.flatMap((e) => [...e.matchAll(/\[([a-z0-9-]+\.md)\]/g)].map((m) => m[1]))),
];

/** `readme` with its claims block (between the markers) re-rendered from the evidence. */
export function withReadmeClaims(readme: string, f: Files): string {
  const start = readme.indexOf(README_OPEN);
  const end = readme.indexOf(README_CLOSE);
  if (start < 0 || end < start) throw new Error('README.md: the claims markers are missing');
  const all = claimVerdicts(f);
  const items = (Object.keys(CLAIMS) as Paper[]).map((k) => {
    const pages = evidencePages(all[k]).map((p) => `[\`${p}\`](docs/results/${p})`);
    return `- ${CLAIMS[k].method} (${CLAIMS[k].paper}): **${all[k].verdict}**. Claim: ${CLAIMS[k].claim}${pages.length ? ` Evidence: ${pages.join(', ')}.` : ''}`;
  });
  const block = [README_OPEN, '', ...items, '', README_CLOSE].join('\n');
  return readme.slice(0, start) + block + readme.slice(end + README_CLOSE.length);
}
