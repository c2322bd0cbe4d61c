// Every results page and the JSON it is rendered from. `npx tsx scripts/render-results.ts`
// re-renders them all; test/results.test.ts checks that each committed page equals its rendering,
// so no page holds a number its JSON does not.
import { AUTO_SECTIONS, renderAuto, type AutoSection } from './auto.js';
import {
  renderClaims,
  TABLE1_PAIRED_PAGES,
  withClaim,
  withReadmeClaims,
  type Paper,
} from './claims.js';
import { renderBenchmark, type BenchmarkData } from './benchmark.js';
import { renderFlowSmc, type FlowSmcData } from './flowSmc.js';
import { renderFab, type FabData } from './fab.js';
import type { Files } from './common.js';
import { renderCoverage, type CoverageData } from './coverage.js';
import { renderDsmcs, type DsmcsData } from './dsmcs.js';
import { renderDsmcsSeeds, type DsmcsSeedsData } from './dsmcsSeeds.js';
import { renderDsmcsGradients, type DsmcsGradientData } from './dsmcsGradients.js';
import { renderEngineFacts, type EngineFactsData } from './engineFacts.js';
import { renderFlow, type FlowData } from './flow.js';
import { renderFlowTarget, type FlowTargetData } from './flowTarget.js';
import { renderFlowRuntime, type FlowRuntimeData } from './flowRuntime.js';
import { renderFunnel, type FunnelData } from './funnel.js';
import { renderFunnel32, type Funnel32Data } from './funnel32.js';
import { renderImplicit, type ImplicitData } from './implicit.js';
import { renderLogisticAccuracy, type LogisticAccuracyData } from './logisticAccuracy.js';
import {
  combinePaths,
  renderLogisticReference,
  type LogisticReferenceData,
} from './logisticReference.js';
import { renderMcd, type McdData } from './mcd.js';
import { renderMcdSeeds, type McdSeedsData } from './mcdSeeds.js';
import { renderMutants, type MutantsData } from './mutants.js';
import { renderPathSeeds, type PathSeedsData } from './pathSeeds.js';
import { renderPerformance, type Saved } from './performance.js';
import { profileFiles, renderProfile, type ProfileData } from './profile.js';
import { renderPublished, type PublishedData } from './published.js';
import { renderSeeds, type SeedsData } from './seeds.js';
import { renderVae, type VaeData } from './vae.js';
import { renderVaeGpu, type VaeGpuData } from './vaeGpu.js';
import { renderVaePaired, type VaePairedData } from './vaePaired.js';
import { renderVaeTable1Paired, type VaeTable1PairedData } from './vaeTable1Paired.js';
import { renderVaeGpuRun, type VaeGpuRunData } from './vaeGpuRun.js';
import { renderWorkers, type WorkersData } from './workers.js';

export type { Files };

export interface ResultPage {
  /** The markdown page, from the repository root. */
  page: string;
  render(files: Files): string;
}

const json = <T>(files: Files, path: string) => JSON.parse(files.read(path)) as T;

/** Reference log Z of the logistic-regression targets, by target name. */
export function logisticReferences(files: Files): Record<string, number> {
  const d = json<LogisticReferenceData>(files, 'docs/results/logistic-reference.json');
  return Object.fromEntries(
    d.rows.map((r) => [r.dataset, combinePaths(r.fromLaplace, r.fromPrior).value]),
  );
}

/** The published numbers anneal's pages are set beside. */
const published = (files: Files) => json<PublishedData>(files, 'docs/results/published.json');

/** The pages of scripts/benchmark.ts runs (one per number of steps). */
const BENCHMARK_PAGES = ['benchmark-k8'];

/** The pages of scripts/flow-smc.ts runs. */
const FLOW_SMC_PAGES = ['flow-smc', 'flow-smc-aft'];

/** The pages of scripts/fab.ts runs. */
const FAB_PAGES = ['fab', 'fab-funnel'];

/** The pages of scripts/mcd-table.ts runs. */
const MCD_TABLES = [
  'mcd-static',
  'mcd-static-frozen',
  'mcd-static-frozen-d200',
  'mcd-static-frozen-d500',
  'mcd-static-frozen-k64',
  'mcd-static-scale',
];

const PAGES: ResultPage[] = [
  { page: 'docs/results/claims.md', render: (f) => renderClaims(f) },
  { page: 'README.md', render: (f) => withReadmeClaims(f.read('README.md'), f) },
  {
    page: 'docs/results/published.md',
    render: (f) => renderPublished(published(f), logisticReferences(f)),
  },
  {
    page: 'docs/results/coverage.md',
    render: (f) => renderCoverage(json<CoverageData>(f, 'docs/results/coverage.json')),
  },
  {
    page: 'docs/results/auto.md',
    render: (f) => {
      const present = new Set(f.list('docs/results'));
      return renderAuto(
        AUTO_SECTIONS.filter((s) => present.has(`auto-${s}.json`)).map((s) =>
          json<AutoSection>(f, `docs/results/auto-${s}.json`),
        ),
      );
    },
  },
  {
    page: 'docs/performance.md',
    render: (f) => renderPerformance(json<{ runs: Saved[] }>(f, 'docs/results/performance.json')),
  },
  {
    page: 'docs/results/engine-facts.md',
    render: (f) => renderEngineFacts(json<EngineFactsData>(f, 'docs/results/engine-facts.json')),
  },
  {
    page: 'docs/results/profile.md',
    render: (f) =>
      renderProfile(
        profileFiles(f.list('docs/results')).map((name): [string, ProfileData] => [
          name,
          json<ProfileData>(f, `docs/results/${name}`),
        ]),
      ),
  },
  {
    page: 'docs/results/workers.md',
    render: (f) => renderWorkers(json<WorkersData>(f, 'docs/results/workers.json')),
  },
  ...MCD_TABLES.map((name): ResultPage => ({
    page: `docs/results/${name}.md`,
    render: (f) =>
      renderMcd(json<McdData>(f, `docs/results/${name}.json`), logisticReferences(f), published(f)),
  })),
  ...['dsmcs-static', 'dsmcs-static-64x32', 'dsmcs-static-paper'].map((name): ResultPage => ({
    page: `docs/results/${name}.md`,
    render: (f) =>
      renderDsmcs(
        json<DsmcsData>(f, `docs/results/${name}.json`),
        json<DsmcsGradientData>(f, 'docs/results/dsmcs-gradient-check.json'),
      ),
  })),
  {
    page: 'docs/results/mcd-seeds.md',
    render: (f) => renderMcdSeeds(json<McdSeedsData>(f, 'docs/results/mcd-seeds.json')),
  },
  {
    page: 'docs/results/dsmcs-seeds.md',
    render: (f) => renderDsmcsSeeds(json<DsmcsSeedsData>(f, 'docs/results/dsmcs-seeds.json')),
  },
  {
    page: 'docs/results/dsmcs-gradient-check.md',
    render: (f) =>
      renderDsmcsGradients(json<DsmcsGradientData>(f, 'docs/results/dsmcs-gradient-check.json')),
  },
  ...['gmm', 'phi4', 'u1'].map((name): ResultPage => ({
    page: `docs/results/flow-${name}.md`,
    render: (f) => renderFlow(json<FlowData>(f, `docs/results/flow-${name}.json`)),
  })),
  ...['path-gradient-phi4', 'path-gradient-phi4-4x4', 'path-gradient-u1'].map(
    (name): ResultPage => ({
      page: `docs/results/${name}.md`,
      render: (f) => renderPathSeeds(json<PathSeedsData>(f, `docs/results/${name}.json`)),
    }),
  ),
  {
    page: 'docs/results/flow-runtime.md',
    render: (f) => renderFlowRuntime(json<FlowRuntimeData>(f, 'docs/results/flow-runtime.json')),
  },
  ...['vae-mnist', 'vae-mcd', 'vae-mcd-scale', 'vae-table1', 'vae-table1-scale'].map(
    (name): ResultPage => ({
      page: `docs/results/${name}.md`,
      render: (f) =>
        renderVae(
          json<VaeData>(f, `docs/results/${name}.json`),
          name === 'vae-mcd-scale'
            ? json<VaePairedData>(f, 'docs/results/vae-mcd-paired.json')
            : undefined,
        ),
    }),
  ),
  ...TABLE1_PAIRED_PAGES.map((name): ResultPage => ({
    page: `docs/results/${name}.md`,
    render: (f) => renderVaeTable1Paired(json<VaeTable1PairedData>(f, `docs/results/${name}.json`)),
  })),
  ...BENCHMARK_PAGES.map((name): ResultPage => ({
    page: `docs/results/${name}.md`,
    render: (f) =>
      renderBenchmark(json<BenchmarkData>(f, `docs/results/${name}.json`), published(f)),
  })),
  ...FLOW_SMC_PAGES.map((name): ResultPage => ({
    page: `docs/results/${name}.md`,
    render: (f) => renderFlowSmc(json<FlowSmcData>(f, `docs/results/${name}.json`), published(f)),
  })),
  ...FAB_PAGES.map((name): ResultPage => ({
    page: `docs/results/${name}.md`,
    render: (f) => renderFab(json<FabData>(f, `docs/results/${name}.json`), published(f)),
  })),
  {
    page: 'docs/results/vae-mcd-paired.md',
    render: (f) => renderVaePaired(json<VaePairedData>(f, 'docs/results/vae-mcd-paired.json')),
  },
  {
    page: 'docs/results/vae-gpu.md',
    render: (f) => renderVaeGpu(json<VaeGpuData>(f, 'docs/results/vae-gpu.json')),
  },
  {
    page: 'docs/results/vae-gpu-run.md',
    render: (f) => renderVaeGpuRun(json<VaeGpuRunData>(f, 'docs/results/vae-gpu-run.json')),
  },
  {
    page: 'docs/results/seeds-many-well-hmc.md',
    render: (f) => renderSeeds(json<SeedsData>(f, 'docs/results/seeds-many-well-hmc.json')),
  },
  {
    page: 'docs/results/mutants.md',
    render: (f) => renderMutants(json<MutantsData>(f, 'docs/results/mutants.json')),
  },
  {
    page: 'docs/results/implicit-posteriors.md',
    render: (f) => renderImplicit(json<ImplicitData>(f, 'docs/results/implicit-posteriors.json')),
  },
  {
    page: 'docs/results/funnel-32.md',
    render: (f) =>
      renderFunnel32(json<Funnel32Data>(f, 'docs/results/funnel-32.json'), published(f)),
  },
  {
    page: 'docs/results/logistic-reference.md',
    render: (f) =>
      renderLogisticReference(
        json<LogisticReferenceData>(f, 'docs/results/logistic-reference.json'),
      ),
  },
  {
    page: 'docs/results/logistic-accuracy.md',
    render: (f) =>
      renderLogisticAccuracy(json<LogisticAccuracyData>(f, 'docs/results/logistic-accuracy.json')),
  },
  {
    page: 'docs/results/flow-target.md',
    render: (f) => renderFlowTarget(json<FlowTargetData>(f, 'docs/results/flow-target.json')),
  },
  {
    page: 'docs/results/funnel.md',
    render: (f) => renderFunnel(json<FunnelData>(f, 'docs/results/funnel.json')),
  },
];

const ONE_SEED = 'This page: one training seed, so it ranks nothing by itself.';
/** The pages about one paper's claim that do not open with it themselves, and what each is. */
const CLAIM_PAGES: Record<string, { paper: Paper; role: string }> = {
  ...Object.fromEntries(
    [...MCD_TABLES, 'vae-mcd', 'vae-mcd-scale', 'flow-target'].map((n) => [
      n,
      { paper: 'mcd', role: ONE_SEED },
    ]),
  ),
  'vae-mcd-paired': { paper: 'mcd', role: 'This page is part of that evidence.' },
  ...Object.fromEntries(
    ['flow-gmm', 'flow-phi4', 'flow-u1'].map((n) => [n, { paper: 'path', role: ONE_SEED }]),
  ),
  ...Object.fromEntries(
    ['dsmcs-static', 'dsmcs-static-64x32', 'dsmcs-static-paper'].map((n) => [
      n,
      { paper: 'dsmcs', role: ONE_SEED },
    ]),
  ),
  'dsmcs-gradient-check': {
    paper: 'dsmcs',
    role: 'This page: why the trained variants fall behind DAIS (gradient bias), not a verdict.',
  },
  ...Object.fromEntries(
    ['vae-mnist', 'vae-table1', 'vae-table1-scale'].map((n) => [
      n,
      { paper: 'ding-freedman', role: ONE_SEED },
    ]),
  ),
};

export const RESULT_PAGES: ResultPage[] = PAGES.map((p) => {
  const c = CLAIM_PAGES[p.page.replace(/^docs\/results\/(.*)\.md$/, '$1')];
  return c ? { page: p.page, render: (f) => withClaim(p.render(f), c.paper, f, c.role) } : p;
});
