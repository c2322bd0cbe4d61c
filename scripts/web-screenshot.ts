// Screenshot of the built playground for the README: serves dist-web/ (run `npm run build:web`
// first), opens it in Debian's headless Chromium with the given settings and waits for the run.
//   npx tsx scripts/web-screenshot.ts "target=rings&sampler=smc&autorun=1" docs/playground.png
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../test/helpers/chromium.js';

const [query = 'autorun=1', out = 'docs/playground.png'] = process.argv.slice(2);
const missing =
  chromiumMissing() ??
  (existsSync('dist-web/index.html') ? null : 'dist-web/ is missing: run npm run build:web first');
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
  if (state !== 'done') {
    // No picture of a page that did not run: say what the page said, in one line.
    const messages = await page.locator('.field-error:not(:empty), #errors p').allTextContents();
    console.error(`web-screenshot: the page did not run (${state}): ${messages.join('; ')}`);
    process.exitCode = 2;
  } else {
    await page.screenshot({ path: out });
    const backend = await page.locator('#backend').textContent();
    console.log(`${out}: backend ${backend}, log Z ${await page.locator('#logz').textContent()}`);
  }
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
