// End-to-end test of the browser playground: the built page (dist-web/, made by `npm run
// build:web`, which `npm test` runs first) served locally and driven in Debian's headless Chromium
// through playwright-core. Skips, saying why, where Chromium is not installed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from './helpers/chromium.js';

const BUILT = 'dist-web/index.html';
const SCREENSHOT_DIR = 'test-results';
const skip = chromiumMissing() ?? false;

describe('browser playground in headless Chromium', { skip }, () => {
  let server: PreviewServer;
  let browser: Browser;
  let base: string;

  before(async () => {
    if (!existsSync(BUILT)) {
      throw new Error(`${BUILT} is missing: run npm run build:web (npm test runs it first)`);
    }
    server = await preview({
      configFile: 'web/vite.config.ts',
      logLevel: 'silent',
      preview: { port: 0, host: '127.0.0.1', strictPort: false },
    });
    base = server.resolvedUrls?.local[0] as string;
    assert.ok(base, 'the preview server has a local URL');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  /** A page that records console errors and uncaught exceptions. */
  async function open(query: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${base}?${query}`);
    return { page, problems };
  }

  async function settled(page: Page, timeout = 240_000): Promise<string> {
    await page.waitForFunction(
      () =>
        ['done', 'invalid', 'error'].includes(
          document.getElementById('status')?.dataset.state ?? '',
        ),
      null,
      { timeout },
    );
    return (await page.locator('#status').getAttribute('data-state')) as string;
  }

  /** Pixels of a canvas that are not fully transparent. */
  const paintedPixels = (page: Page, id: string) =>
    page.evaluate((canvasId) => {
      const c = document.getElementById(canvasId) as HTMLCanvasElement;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
      return n;
    }, id);

  it('runs AIS-HMC on the 8-Gaussian mixture: particles drawn, log Z near its exact value', async () => {
    const particles = 500;
    const { page, problems } = await open(
      `sampler=ais-hmc&target=gmm8&particles=${particles}&steps=64&seed=1&autorun=1`,
    );
    assert.equal(await settled(page), 'done', (await page.locator('#errors').textContent()) ?? '');
    const backend = await page.locator('#backend').getAttribute('data-backend');
    assert.ok(['webgl', 'wasm', 'cpu'].includes(backend ?? ''), `backend shown: ${backend}`);

    const drawn = Number(await page.locator('#particles').getAttribute('data-drawn'));
    assert.ok(drawn >= 0.95 * particles, `${drawn} of ${particles} particles drawn in the box`);
    assert.ok((await paintedPixels(page, 'particles')) > particles, 'particle pixels painted');
    assert.ok((await paintedPixels(page, 'density')) > 0, 'density painted');

    const logZEl = page.locator('#logz');
    const logZ = Number(await logZEl.getAttribute('data-logz'));
    const se = Number(await logZEl.getAttribute('data-se'));
    const exact = Number(await logZEl.getAttribute('data-exact'));
    assert.ok(Number.isFinite(logZ), `log Z readout ${logZ}`);
    assert.equal(exact, 0, 'gmm8 is normalized');
    // The batch-means standard error of the estimate; AIS-HMC with 64 steps has negligible bias.
    assert.ok(se > 0 && se < 0.1, `standard error ${se}`);
    assert.ok(Math.abs(logZ - exact) <= 4 * se, `log Z ${logZ} ± ${se}, exact ${exact}`);

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/playground.png` });
    assert.ok(existsSync(`${SCREENSHOT_DIR}/playground.png`));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('WebGL computes what wasm computes: the same seed gives the same log Z', async (t) => {
    const query = 'sampler=uha&target=rings&steps=16&particles=200&seed=3&autorun=1';
    const readings: number[] = [];
    for (const backend of ['webgl', 'wasm']) {
      const { page, problems } = await open(`${query}&backend=${backend}`);
      const state = await settled(page);
      const message = (await page.locator('#errors').textContent()) ?? '';
      if (backend === 'webgl' && state === 'error' && /no backend could start/.test(message)) {
        t.skip(`WebGL is not available in this Chromium: ${message}`);
        await page.close();
        return;
      }
      assert.equal(state, 'done', message);
      assert.equal(await page.locator('#backend').getAttribute('data-backend'), backend);
      readings.push(Number(await page.locator('#logz').getAttribute('data-logz')));
      assert.deepEqual(problems, []);
      await page.close();
    }
    // Draws come from the same host-side stream; only float32 rounding differs between backends.
    const [gl, wasm] = readings as [number, number];
    assert.ok(Number.isFinite(gl) && Math.abs(gl - wasm) < 1e-3, `webgl ${gl} vs wasm ${wasm}`);
  });

  it('trains ULA-MCD on wasm: the ELBO curve fills and the trained sampler runs', async () => {
    const { page, problems } = await open(
      'sampler=ula-mcd&target=mgm&steps=16&particles=300&iters=20&backend=wasm&autotrain=1',
    );
    assert.equal(await settled(page), 'done', (await page.locator('#errors').textContent()) ?? '');
    assert.equal(await page.locator('#backend').getAttribute('data-backend'), 'wasm');
    const progress = page.locator('#train-progress');
    assert.equal(await progress.getAttribute('data-iterations'), '20');
    assert.ok(Number.isFinite(Number(await progress.getAttribute('data-elbo'))));
    assert.match((await page.locator('#learned').textContent()) ?? '', /mean step size/);
    assert.ok(Number.isFinite(Number(await page.locator('#logz').getAttribute('data-logz'))));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('keeps drawing while a long run computes: the work runs in a Web Worker', async () => {
    const { page, problems } = await open(
      'sampler=ais-hmc&target=gmm8&steps=399&particles=5000&backend=wasm',
    );
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'ready');
    await page.click('#run');
    // Frames the page paints until the run's result arrives (or 1 s): a page that computed on its
    // own thread would paint none while it computes.
    // (A string, so that the test's compiler adds no helpers the page lacks.)
    const { frames, elapsed } = (await page.evaluate(`new Promise((resolve) => {
      const canvas = document.getElementById('particles');
      const start = performance.now();
      let frames = 0;
      const tick = () => {
        const elapsed = performance.now() - start;
        if (canvas.dataset.frame !== undefined || elapsed > 1000) resolve({ frames, elapsed });
        else {
          frames += 1;
          requestAnimationFrame(tick);
        }
      };
      requestAnimationFrame(tick);
    })`)) as { frames: number; elapsed: number };
    // A run computed on the page's thread is over before this check gets to run at all.
    assert.ok(
      elapsed > 200,
      `the result came ${elapsed.toFixed(0)} ms after the click: computed on the page's thread, or too short a run to tell`,
    );
    assert.ok(
      frames / (elapsed / 1000) > 10,
      `${frames} frames in ${elapsed.toFixed(0)} ms while computing`,
    );
    assert.equal(await settled(page), 'done', (await page.locator('#errors').textContent()) ?? '');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('bad settings in the URL and the form give inline messages, not a blank page', async () => {
    const { page, problems } = await open('particles=abc&target=nope&partcles=3&autorun=1');
    assert.equal(await settled(page), 'invalid');
    assert.match(
      (await page.locator('#error-particles').textContent()) ?? '',
      /particles must be a whole number from 2 to 5000 \(got 'abc'\)/,
    );
    assert.match((await page.locator('#error-target').textContent()) ?? '', /got 'nope'/);
    assert.equal(await page.locator('#setting-particles').getAttribute('aria-invalid'), 'true');
    assert.match((await page.locator('#errors').textContent()) ?? '', /unknown setting 'partcles'/);
    assert.ok(await page.locator('#run').isDisabled(), 'no run with invalid settings');
    assert.ok(
      (await paintedPixels(page, 'density')) > 0,
      'the page still draws the default target',
    );

    // Fixing the field in the form clears its message and enables Run; a new mistake is caught.
    await page.locator('#setting-particles').fill('300');
    await page.locator('#setting-particles').dispatchEvent('change');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'ready');
    assert.equal(await page.locator('#error-particles').textContent(), '');
    assert.ok(await page.locator('#run').isEnabled());
    assert.match(page.url(), /particles=300/);
    await page.locator('#setting-steps').fill('ten');
    await page.locator('#setting-steps').dispatchEvent('change');
    await page.waitForFunction(
      () => document.getElementById('status')?.dataset.state === 'invalid',
    );
    assert.match((await page.locator('#error-steps').textContent()) ?? '', /got 'ten'/);
    assert.ok(await page.locator('#run').isDisabled());
    assert.deepEqual(problems, []);
    await page.close();
  });
});
