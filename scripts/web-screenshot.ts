// Screenshot of the built playground for the README: serves dist-web/ (run `npm run build:web`
// first), opens it in Debian's headless Chromium with the given settings and waits for the run.
//   npx tsx scripts/web-screenshot.ts "target=rings&sampler=smc&autorun=1" docs/playground.png
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../test/helpers/chromium.js';

const [query = 'autorun=1', out = 'docs/playground.png'] = process.argv.slice(2);
const missing = chromiumMissing();
if (missing) {
  console.error(`web-screenshot: ${missing}`);
  process.exit(2);
}
const server = await preview({
  configFile: 'web/vite.config.ts',
  logLevel: 'silent',
  preview: { port: 0, host: '127.0.0.1' },
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.goto(`${server.resolvedUrls?.local[0]}?${query}`);
  await page.waitForFunction(
    () =>
      ['done', 'invalid', 'error'].includes(document.getElementById('status')?.dataset.state ?? ''),
    null,
    { timeout: 600_000 },
  );
  const state = await page.locator('#status').getAttribute('data-state');
  await page.screenshot({ path: out });
  console.log(
    `${out}: ${state}, backend ${await page.locator('#backend').textContent()}, log Z ${await page.locator('#logz').textContent()}`,
  );
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
