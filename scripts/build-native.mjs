// Builds the optional native kernels (native/, a Node-API addon) with node-gyp and the machine's
// C++ compiler. Never fails the build: where it cannot compile, it says why in one line and anneal
// runs on TF.js's wasm kernels instead. Skips the compile when the addon is newer than its sources.
//
//   node scripts/build-native.mjs [--force]      (run by `npm run build`)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'native';
const addon = join(dir, 'build', 'Release', 'anneal_native.node');
const say = (line) => process.stderr.write(`native kernels: ${line}\n`);

if (process.env.ANNEAL_NATIVE === '0') {
  say('skipped (ANNEAL_NATIVE=0)');
  process.exit(0);
}
const sources = [
  join(dir, 'binding.gyp'),
  ...readdirSync(join(dir, 'src')).map((f) => join(dir, 'src', f)),
];
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
if (!process.argv.includes('--force') && existsSync(addon) && statSync(addon).mtimeMs >= newest) {
  process.exit(0);
}
// npm puts its own node-gyp on PATH for scripts and names it in npm_config_node_gyp.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
const started = Date.now();
const result = spawnSync(cmd, [...args, 'rebuild', '--directory', dir], {
  encoding: 'utf8',
  env: process.env,
});
if (result.status !== 0) {
  const output = `${result.stderr ?? ''}\n${result.stdout ?? ''}`;
  const line =
    output
      .split('\n')
      .find((l) => /error/i.test(l) && !/^gyp ERR! (stack|cwd|node|System|command)/.test(l)) ??
    result.error?.message ??
    `node-gyp exited with ${result.status}`;
  say(`not built (${line.trim().slice(0, 200)}); anneal will use TF.js's wasm kernels`);
  process.exit(0);
}
say(`built ${addon} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
