// "Copy as code" in the playground: the command it shows is accepted and run by the CLI, and the
// TypeScript it shows runs against the package, for every sampler of the page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFlowRunConfig } from '../src/flows/config.js';
import { runAsCode } from '../web/src/code.js';
import { DEFAULT_SETTINGS, PAGE_SAMPLERS, type Settings } from '../web/src/settings.js';
import { annealInProcess } from './helpers/inProcess.js';

/** Small runs: the point is that the code is right, not the numbers. */
const small = (over: Partial<Settings>): Settings => ({
  ...DEFAULT_SETTINGS,
  steps: 8,
  particles: 100,
  iters: 3,
  batch: 16,
  ...over,
});

async function runCommand(command: string): Promise<{ status: number; out: string }> {
  const argv = command.split(' ').slice(2); // drop "npx anneal"
  const r = await annealInProcess([...argv, '--json', '--quiet']);
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('playground: copy as code', () => {
  for (const sampler of PAGE_SAMPLERS.filter((s) => s !== 'flow' && s !== 'fab')) {
    for (const trained of [false, true]) {
      it(`${sampler}${trained ? ', trained' : ''}: the command runs`, async () => {
        const s = small({
          sampler,
          target: sampler === 'smc' ? 'mgm' : 'gmm8',
          schedule: 'linear',
        });
        const code = runAsCode(s, trained);
        assert.match(code.command, /^npx anneal logz --target /);
        const r = await runCommand(code.command);
        assert.equal(r.status, 0, `${code.command}\n${r.out}`);
        const json = JSON.parse(r.out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as {
          particles: number;
          steps: number;
        };
        assert.equal(json.particles, s.particles);
        assert.equal(json.steps, s.steps);
      });
    }
  }

  it('the flow shows its config and the TypeScript of the same run', () => {
    const code = runAsCode(small({ sampler: 'flow', target: 'mgm' }), true);
    assert.match(code.command, /npx anneal flow train flow.json/);
    const config = JSON.parse(/echo '(.*)' > flow.json/.exec(code.command)?.[1] ?? 'null') as {
      flow: { layers: number };
    };
    assert.equal(config.flow.layers, DEFAULT_SETTINGS.layers);
    assert.match(
      code.typescript,
      /new FlowModel\(flow, target, \{ kind: 'reverse-kl', estimator: 'path-fast' \}\)/,
    );
    // The configs are what `anneal flow train` takes (the reverse-KL flow's and FAB's).
    assert.equal(parseFlowRunConfig(config).train.loss.kind, 'reverse-kl');
    const fab = runAsCode(small({ sampler: 'fab', target: 'mgm' }), true);
    const fabConfig = JSON.parse(
      /echo '(.*)' > flow.json/.exec(fab.command)?.[1] ?? 'null',
    ) as unknown;
    assert.equal(parseFlowRunConfig(fabConfig).train.loss.kind, 'fab');
    assert.match(fab.typescript, /new FabModel\(flow, target, \{"intermediate":2,/);
  });

  it('the TypeScript runs against the package and prints finite numbers', () => {
    const dir = join(process.cwd(), 'scratch', 'copy-as-code');
    mkdirSync(dir, { recursive: true });
    try {
      for (const [name, s] of [
        ['hmc.ts', small({ sampler: 'ais-hmc' })],
        ['uha.ts', small({ sampler: 'uha' })],
        ['smc.ts', small({ sampler: 'smc', target: 'mgm' })],
        ['flow.ts', small({ sampler: 'flow', target: 'mgm' })],
        ['fab.ts', small({ sampler: 'fab', target: 'mgm' })],
      ] as const) {
        const file = join(dir, name);
        writeFileSync(file, runAsCode(s, true).typescript);
        const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${name}: ${r.stderr.slice(0, 1000)}`);
        const numbers = r.stdout.trim().split(/\s+/).slice(0, 2).map(Number);
        assert.ok(numbers.every(Number.isFinite), `${name}: ${r.stdout}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
