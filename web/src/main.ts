// The playground page: settings from the URL and the form, a sampler run animated step by step
// over the target's density, live ESS / log Z / ELBO charts, and training in the browser. All
// computation runs in a Web Worker (compute.ts, worker.ts); this thread only draws.
import { runAsCode } from './code.js';
import './style.css';
import {
  DEFAULT_SETTINGS,
  TRAINABLE,
  isFlowSampler,
  parseSettings,
  settingsToQuery,
  type Settings,
  type SettingsError,
} from './settings.js';
import { Compute } from './compute.js';
import { TARGET_VIEWS, type RunResult } from './targets.js';
import type { Applied } from './protocol.js';
import { SettingsForm } from './form.js';
import { drawDensity, drawParticles } from './view.js';
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
const compute = new Compute((message) => fail(message));
/** What the worker last reported of its engine and sampler (null until the first settings). */
let applied: Applied | null = null;
let last: RunResult | null = null;
let busy = false;
let training = false;
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
  runButton.disabled = busy || !valid || !applied;
  trainButton.disabled =
    (!training && busy) || !valid || !applied || !TRAINABLE.includes(settings.sampler);
  trainButton.textContent = training ? 'Stop' : 'Train';
  trainButton.title = TRAINABLE.includes(settings.sampler)
    ? 'optimize step sizes, schedule (and score net / flow) on the ELBO'
    : 'MH-corrected HMC has no reparameterized gradient: pick ULA, UHA, MCD, SMC or the flow to train';
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

async function applySettings(next: Settings): Promise<void> {
  settings = next;
  const reply = await compute.apply(next);
  applied = reply;
  const e = reply.engine;
  const skipped = e.skipped.map((x) => `${x.backend}: ${x.reason}`).join('; ');
  backendEl.textContent = `${e.backend}${e.gpu ? ' (GPU)' : ' (CPU)'}${skipped ? ` · skipped ${skipped}` : ''}`;
  backendEl.dataset.backend = e.backend;
  if (reply.rebuilt && reply.density) {
    elboHistory = [];
    elboChart.set([], [], []);
    drawDensity(densityCanvas, reply.density);
    particleCanvas.getContext('2d')?.clearRect(0, 0, particleCanvas.width, particleCanvas.height);
    delete particleCanvas.dataset.frame;
    last = null;
  }
  learnedEl.textContent = reply.learned;
  form.showRelevant(next.sampler);
}

function showFrame(frame: number): void {
  if (!last) return;
  const f = Math.max(0, Math.min(last.frameCount - 1, frame));
  const view = TARGET_VIEWS[settings.target];
  const inside = drawParticles(particleCanvas, view, last.frames, f, last.particles);
  particleCanvas.dataset.frame = String(f);
  particleCanvas.dataset.drawn = String(inside);
  frameSlider.value = String(f);
  const what = isFlowSampler(settings.sampler) ? 'layer' : 'step';
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
  if (!applied || busy) return;
  busy = true;
  updateButtons(true);
  setStatus('running', 'running the sampler…');
  // No frame is shown until the new run's result arrives (the tests wait on this).
  delete particleCanvas.dataset.frame;
  try {
    last = await compute.run();
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
    compute.stop();
    return;
  }
  if (!applied || busy) return;
  busy = true;
  training = true;
  updateButtons(true);
  const n = settings.iters;
  const exact = applied.exactLogZ;
  const start = performance.now();
  setStatus('training', 'training…');
  let failed = false;
  try {
    const done = await compute.train(n, (elbos, count, of) => {
      elboHistory.push(...elbos);
      const xs = elboHistory.map((_, k) => k + 1);
      elboChart.set(
        xs,
        elboHistory,
        xs.map(() => exact),
      );
      const perIt = (performance.now() - start) / count;
      const last = elbos[elbos.length - 1] as number;
      trainEl.textContent = `iteration ${count}/${of} · ELBO ${last.toFixed(3)} · ${((perIt * (of - count)) / 1000).toFixed(1)} s left`;
      trainEl.dataset.iterations = String(elboHistory.length);
      trainEl.dataset.elbo = String(last);
    });
    learnedEl.textContent = done.learned;
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
