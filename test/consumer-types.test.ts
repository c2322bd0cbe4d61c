// The code a user copies from the docs compiles in their own strict TypeScript project: every
// example and every README and guide ```ts block, type-checked by `tsc` in a fresh folder that
// depends on this checkout's build (dist/, made by `npm test`'s build step) through a link.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asModule, codeBlocks, writeConsumerFiles } from '../scripts/consumer.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

describe("a user's TypeScript project", () => {
  it('type-checks every example and every README and guide block under --strict', () => {
    const app = mkdtempSync(join(tmpdir(), 'anneal-consumer-'));
    try {
      writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      mkdirSync(join(app, 'node_modules'));
      symlinkSync(root, join(app, 'node_modules/anneal'), 'dir');
      const files = writeConsumerFiles(app, root, join(root, 'node_modules/@types'));
      const guideBlocks = codeBlocks(readFileSync(join(root, 'docs/guide.md'), 'utf8')).length;
      assert.ok(guideBlocks >= 5, `only ${guideBlocks} guide blocks found`);
      assert.ok(files.length >= 5 + guideBlocks);
      const r = spawnSync(process.execPath, [tsc, '-p', app], { encoding: 'utf8' });
      assert.equal(r.status, 0, `tsc in a user's project:\n${r.stdout}${r.stderr}`);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it("gives a guide snippet the package's names it uses, and a target where it needs one", () => {
    const exported = new Map([
      ['estimateLogZ', 'anneal'],
      ['Target', 'anneal'],
      ['Flow', 'anneal/flows'],
      ['sampler', 'anneal'],
    ]);
    const text = asModule(
      'const sampler = 1;\nconst f = new Flow(2);\nestimateLogZ({ target });\n',
      exported,
    );
    assert.match(text, /^import \{ estimateLogZ \} from 'anneal';$/m);
    assert.match(text, /^import \{ Flow \} from 'anneal\/flows';$/m);
    assert.match(text, /^import type \{ Target \} from 'anneal';$/m);
    assert.match(text, /^declare const target: Target;$/m);
    // A name the block declares itself is not imported over it.
    assert.doesNotMatch(text, /import \{[^}]*\bsampler\b/);
  });
});
