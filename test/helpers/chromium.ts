// Debian's Chromium driven by playwright-core: where it is, and the flags that keep it headless,
// sandbox-free (CI runs as root) and off the network.
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.ANNEAL_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests cannot run here, or null when Chromium is installed. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set ANNEAL_CHROMIUM`;
}
