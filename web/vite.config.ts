// The playground's build: a static folder (dist-web/) with relative paths, so it can be served
// from any directory; the wasm backend's binaries are emitted as assets by their ?url imports.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    // TF.js is one large module; splitting it buys nothing for a single page.
    chunkSizeWarningLimit: 5000,
  },
  // The compute worker (web/src/worker.ts) as an ES module, bundled and tree-shaken like the page.
  worker: { format: 'es' },
  server: { port: 5173 },
  preview: { port: 4173 },
});
