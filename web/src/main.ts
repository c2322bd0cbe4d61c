// The playground page: settings from the URL and the form, a sampler run animated step by step
// over the target's density, live ESS / log Z / ELBO charts, and training in the browser.
import { runAsCode } from './code.js';
import './style.css';
import { initBrowserEngine, type BrowserEngine } from '../../src/browser.js';
import { WASM_FILES } from './wasmFiles.js';
import {
  DEFAULT_SETTINGS,
  TRAINABLE,
  parseSettings,
  settingsToQuery,
  type Settings,
  type SettingsError,
} from './settings.js';
import { Playground, type RunResult } from './playground.js';
import { SettingsForm } from './form.js';
import { GRID, drawDensity, drawParticles } from './view.js';
import { lineChart } from './charts.js';

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const statusEl = el<HTMLOutputElement>('status');
const banner = el<HTMLDivElement>('errors');
const runButton = el<HTMLButtonElement>('run');
const trainButton = el<HTMLButtonElement>('train');
const linkButton = el<HTMLButtonElement>('link');
const codeButton = el<HTMLButtonElement>('code');
const codeView = el<HTMLDivElement>('code-view');
const densityCanvas = el<HTMLCanvasElement>('density');
const particleCanvas = el<HTMLCanvasElement>('particles');
const frameSlider = el<HTMLInputElement>('frame');
const frameLabel = el<HTMLSpanElement>('frame-label');
const backendEl = el<HTMLSpanElement>('backend');
const logZEl = el<HTMLSpanElement>('logz');
const essEl = el<HTMLSpanElement>('ess');
const learnedEl = el<HTMLSpanElement>('learned');
const trainEl = el<HTMLSpanElement>('train-progress');

const form = new SettingsForm(el('controls-fields'));
const essChart = lineChart(el('chart-ess'), 'ESS per step', 'step', [
  { label: 'ESS / N', stroke: '#1f77b4' },
]);
const logZChart = lineChart(el('chart-logz'), 'log Z along the path', 'step', [
  { label: 'estimate of log Z_k', stroke: '#d62728' },
  { label: 'exact log Z', stroke: '#444', dash: [6, 4] },
]);
const elboChart = lineChart(el('chart-elbo'), 'Training ELBO', 'iteration', [
  { label: 'ELBO', stroke: '#2ca02c' },
  { label: 'exact log Z', stroke: '#444', dash: [6, 4] },
]);

let settings: Settings = DEFAULT_SETTINGS;
let playground: Playground | null = null;
let engine: BrowserEngine | null = null;
let last: RunResult | null = null;
let busy = false;
let training = false;
let stopTraining = false;
let elboHistory: number[] = [];

function setStatus(state: string, text: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

function showBanner(messages: string[]): void {
  banner.hidden = messages.length === 0;
  banner.replaceChildren(
    ...messages.map((m) => {
      const p = document.createElement('p');
      p.textContent = m;
      return p;
    }),
  );
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function fail(error: unknown): void {
  showBanner([errorText(error)]);
  setStatus('error', 'stopped by an error (see above)');
}

function updateButtons(valid: boolean): void {
  runButton.disabled = busy || !valid || !engine;
  trainButton.disabled =
    (!training && busy) || !valid || !engine || !TRAINABLE.includes(settings.sampler);
  trainButton.textContent = training ? 'Stop' : 'Train';
  trainButton.title = TRAINABLE.includes(settings.sampler)
    ? 'optimize step sizes, schedule (and score net / flow) on the ELBO'
    : 'MH-corrected HMC has no reparameterized gradient: pick ULA, UHA, MCD, SMC or the flow to train';
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

/** Structure-defining settings: a change builds a new (untrained) sampler. */
function sameSampler(a: Settings, b: Settings): boolean {
  const keys: (keyof Settings)[] = [
    'target',
    'sampler',
    'steps',
    'stepSize',
    'leapfrog',
    'schedule',
    'resampling',
    'ess',
    'layers',
    'initScale',
    'seed',
    'backend',
  ];
  return keys.every((k) => a[k] === b[k]);
}

async function applySettings(next: Settings): Promise<void> {
  const rebuild = !playground || !sameSampler(settings, next);
  const backendChanged = next.backend !== settings.backend || !engine;
  settings = next;
  if (backendChanged) {
    playground?.dispose();
    playground = null;
    engine = await initBrowserEngine({ backend: next.backend, wasmFiles: WASM_FILES });
    const skipped = engine.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
    backendEl.textContent = `${engine.backend}${engine.gpu ? ' (GPU)' : ' (CPU)'}${skipped ? ` · skipped ${skipped}` : ''}`;
    backendEl.dataset.backend = engine.backend;
  }
  if (rebuild || !playground) {
    playground?.dispose();
    playground = new Playground(next);
    elboHistory = [];
    elboChart.set([], [], []);
    learnedEl.textContent = playground.learnedSummary();
    drawDensity(densityCanvas, playground.logDensityGrid(GRID));
    particleCanvas.getContext('2d')?.clearRect(0, 0, particleCanvas.width, particleCanvas.height);
    last = null;
  } else {
    // Run-time settings: the learned parameters stay; a new batch size or rate restarts Adam.
    playground.settings.particles = next.particles;
    playground.settings.iters = next.iters;
    if (playground.settings.batch !== next.batch || playground.settings.lr !== next.lr) {
      playground.settings.batch = next.batch;
      playground.settings.lr = next.lr;
      playground.resetOptimizer();
    }
  }
  form.showRelevant(next.sampler);
}

function showFrame(frame: number): void {
  if (!last || !playground) return;
  const f = Math.max(0, Math.min(last.frameCount - 1, frame));
  const inside = drawParticles(particleCanvas, playground.view, last.frames, f, last.particles);
  particleCanvas.dataset.frame = String(f);
  particleCanvas.dataset.drawn = String(inside);
  frameSlider.value = String(f);
  const what = settings.sampler === 'flow' ? 'layer' : 'step';
  frameLabel.textContent = `${what} ${f} of ${last.frameCount - 1}`;
  if (last.ess.length) {
    const steps = Array.from({ length: f }, (_, i) => i + 1);
    essChart.set(steps, last.ess.slice(0, f));
    logZChart.set(
      steps,
      last.logZPath.slice(0, f),
      steps.map(() => last?.exactLogZ ?? null),
    );
  }
}

async function animate(result: RunResult): Promise<void> {
  frameSlider.max = String(result.frameCount - 1);
  const duration = Math.min(3000, 60 * result.frameCount);
  const start = performance.now();
  for (;;) {
    const t = Math.min(1, (performance.now() - start) / duration);
    showFrame(Math.round(t * (result.frameCount - 1)));
    if (t >= 1) return;
    await nextFrame();
  }
}

function showReadout(r: RunResult): void {
  const s = r.summary;
  const se = s.logZStdErr === null ? '' : ` ± ${s.logZStdErr.toFixed(3)}`;
  const exact = r.exactLogZ === null ? '' : ` (exact ${r.exactLogZ.toFixed(3)})`;
  logZEl.textContent = `${s.logZ.toFixed(3)}${se}${exact}`;
  logZEl.dataset.logz = String(s.logZ);
  logZEl.dataset.se = String(s.logZStdErr ?? NaN);
  logZEl.dataset.exact = String(r.exactLogZ ?? NaN);
  essEl.textContent = `${(100 * s.essFraction).toFixed(1)}% of ${r.particles} · ELBO ${s.elbo.toFixed(3)} · ${r.ms.toFixed(0)} ms`;
  if (!r.ess.length) {
    essChart.set([], []);
    logZChart.set([], [], []);
  }
}

async function run(): Promise<void> {
  if (!playground || busy) return;
  busy = true;
  updateButtons(true);
  setStatus('running', 'running the sampler…');
  await nextFrame();
  try {
    last = playground.run();
    showReadout(last);
    await animate(last);
    showBanner([]);
    setStatus('done', 'done');
  } catch (error) {
    fail(error);
  } finally {
    busy = false;
    updateButtons(true);
  }
}

async function train(): Promise<void> {
  if (training) {
    stopTraining = true;
    return;
  }
  if (!playground || busy) return;
  busy = true;
  training = true;
  stopTraining = false;
  updateButtons(true);
  const p = playground;
  const n = settings.iters;
  const start = performance.now();
  setStatus('training', 'training…');
  let failed = false;
  try {
    for (let i = 0; i < n && !stopTraining; i++) {
      const m = p.trainStep();
      if (!m) break;
      elboHistory.push(m.elbo);
      if (i % 5 === 4 || i === n - 1) {
        const xs = elboHistory.map((_, k) => k + 1);
        const exact = p.target.logZ ?? null;
        elboChart.set(
          xs,
          elboHistory,
          xs.map(() => exact),
        );
        const perIt = (performance.now() - start) / (i + 1);
        trainEl.textContent = `iteration ${i + 1}/${n} · ELBO ${m.elbo.toFixed(3)} · ${((perIt * (n - i - 1)) / 1000).toFixed(1)} s left`;
        trainEl.dataset.iterations = String(elboHistory.length);
        trainEl.dataset.elbo = String(m.elbo);
        await nextFrame();
      }
    }
    learnedEl.textContent = p.learnedSummary();
  } catch (error) {
    failed = true;
    fail(error);
  } finally {
    training = false;
    busy = false;
    updateButtons(true);
  }
  if (!failed) await run();
}

function readForm(): { next: Settings; errors: SettingsError[] } {
  const { settings: next, errors } = parseSettings(form.values());
  return { next, errors };
}

async function onFormChange(): Promise<void> {
  const { next, errors } = readForm();
  form.showErrors(errors);
  form.showRelevant(next.sampler);
  if (errors.length) {
    showBanner([]);
    setStatus('invalid', 'fix the highlighted settings');
    updateButtons(false);
    return;
  }
  history.replaceState(null, '', `?${settingsToQuery(next)}`);
  try {
    await applySettings(next);
    setStatus('ready', 'ready');
    showBanner([]);
  } catch (error) {
    fail(error);
  }
  updateButtons(true);
}

async function main(): Promise<void> {
  window.addEventListener('error', (e) => fail(e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => fail(e.reason));
  const raw = [...new URLSearchParams(location.search)];
  const parsed = parseSettings(raw);
  form.show(parsed.settings, new Map(raw), parsed.errors);
  form.onChange(() => void onFormChange());
  runButton.addEventListener('click', () => void run());
  trainButton.addEventListener('click', () => void train());
  linkButton.addEventListener('click', () => {
    const url = `${location.origin}${location.pathname}?${settingsToQuery(settings)}&autorun=1`;
    history.replaceState(null, '', `?${settingsToQuery(settings)}`);
    // The clipboard needs a secure context; elsewhere the address bar has the link.
    const copied = navigator.clipboard?.writeText(url);
    if (copied) {
      copied.then(
        () => (linkButton.textContent = 'Copied'),
        () => (linkButton.textContent = 'See address bar'),
      );
    } else linkButton.textContent = 'See address bar';
    setTimeout(() => (linkButton.textContent = 'Copy link'), 2000);
  });
  codeButton.addEventListener('click', () => {
    // The run as it stands: with the training done so far in the tab, if any.
    const code = runAsCode(settings, elboHistory.length > 0);
    el<HTMLPreElement>('code-command').textContent = code.command;
    el<HTMLPreElement>('code-typescript').textContent = code.typescript;
    const caveats = el<HTMLUListElement>('code-caveats');
    caveats.replaceChildren(
      ...code.caveats.map((c) => Object.assign(document.createElement('li'), { textContent: c })),
    );
    codeView.hidden = false;
    // The clipboard needs a secure context; elsewhere the code shows below the buttons.
    const copied = navigator.clipboard?.writeText(`${code.command}\n\n${code.typescript}`);
    if (copied) {
      copied.then(
        () => (codeButton.textContent = 'Copied'),
        () => (codeButton.textContent = 'See below'),
      );
    } else codeButton.textContent = 'See below';
    setTimeout(() => (codeButton.textContent = 'Copy as code'), 2000);
  });
  frameSlider.addEventListener('input', () => showFrame(Number(frameSlider.value)));

  const general = parsed.errors.filter(
    (e) => e.field === null || e.field === 'autotrain' || e.field === 'autorun',
  );
  showBanner(
    parsed.errors.length
      ? [
          'Some settings in this link are not valid; fix them in the form (each is marked):',
          ...general.map((e) => e.message),
        ]
      : [],
  );
  setStatus('starting', 'starting the tensor backend…');
  try {
    await applySettings(parsed.settings);
  } catch (error) {
    fail(error);
    return;
  }
  const formValid = readForm().errors.length === 0;
  setStatus(formValid ? 'ready' : 'invalid', formValid ? 'ready' : 'fix the highlighted settings');
  updateButtons(formValid);
  // A link with any bad setting does not run by itself: what would run is not what was asked.
  if (parsed.errors.length) return;
  if (parsed.settings.autotrain) await train();
  else if (parsed.settings.autorun) await run();
}

void main();
