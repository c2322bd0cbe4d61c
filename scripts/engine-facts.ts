// The measured facts behind docs/engine.md: the cost of TF.js's broadcasting ops and row gathers on
// wasm against the arithmetic and GatherNd forms the engine uses, the import cost of the TF.js
// umbrella package, host random numbers, and what differentiable resampling costs a DSMCS training
// iteration against DAIS. Each fact is the median of several rounds, with its range.
//
//   npx tsx scripts/engine-facts.ts [--rounds 5] [--out docs/results/engine-facts.json]
//   npx tsx scripts/engine-facts.ts --render        # docs/results/engine-facts.md from the JSON
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checked, usage } from './args.js';
import { generatedNow } from './render/common.js';
import { renderEngineFacts, type EngineFact, type EngineFactsData } from './render/engineFacts.js';
import { initEngine, nativeStatus, Rng, tf } from '../src/index.js';
import { dsmcsBench } from '../bench/dsmcs.js';

const HELP = `usage: npx tsx scripts/engine-facts.ts [--rounds N] [--out FILE] | --render`;
const { values } = checked(() =>
  parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      out: { type: 'string', default: 'docs/results/engine-facts.json' },
      render: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }),
);
if (values.help) usage(HELP);
const PAGE = 'docs/results/engine-facts.md';
if (values.render) {
  const data = JSON.parse(readFileSync(values.out, 'utf8')) as EngineFactsData;
  writeFileSync(PAGE, renderEngineFacts(data));
  process.exit(0);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds: a positive integer (${HELP})`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Milliseconds per call of `fn` (its tensors disposed): the median of `calls` timed calls. */
function msPerCall(fn: () => tf.Tensor | tf.Tensor[], calls = 30): number {
  for (let i = 0; i < 5; i++) tf.dispose(fn());
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    const out = fn();
    // Force the work (wasm runs synchronously; a read makes sure on any backend).
    (Array.isArray(out) ? out[0] : out)?.dataSync();
    times.push(performance.now() - t);
    tf.dispose(out);
  }
  return median(times);
}

const samples = new Map<
  string,
  { group: string; what: string; unit: EngineFact['unit']; xs: number[] }
>();
const record = (id: string, group: string, what: string, unit: EngineFact['unit'], x: number) => {
  const entry = samples.get(id) ?? { group, what, unit, xs: [] };
  entry.xs.push(x);
  samples.set(id, entry);
};

await initEngine({ backend: 'wasm' });
const BROADCAST = 'Broadcasting ops on a [64, 32, 32] tensor (65k floats)';
const GATHER = 'Row gathers of 2048 rows';
const HOST = 'Start-up and host work';
const DSMCS =
  'Differentiable resampling in training (UHA, 32 steps, 64 systems of 32 particles, d = 50)';

// Import time of the TF.js umbrella package against tfjs-core with the two backends, in fresh processes.
const importSeconds = (modules: string[]) => {
  const code = `const t = performance.now(); ${modules.map((m) => `await import('${m}');`).join(' ')} console.log((performance.now() - t) / 1000);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n').at(-1));
};

for (let round = 0; round < rounds; round++) {
  process.stderr.write(`round ${round + 1} of ${rounds}\n`);
  const rng = Rng.fromSeed(round + 1);
  const a = tf.keep(rng.normal([64, 32, 32]));
  const b = tf.keep(rng.normal([64, 32, 32]));
  const row = tf.keep(rng.normal([64, 1, 32]));
  const cond = tf.keep(tf.greater(a, b));
  const ops: [string, string, () => tf.Tensor][] = [
    ['broadcastTo', '`tf.broadcastTo` of [64, 1, 32]', () => tf.broadcastTo(row, [64, 32, 32])],
    ['tile', '`tf.tile` of [64, 1, 32]', () => tf.tile(row, [1, 32, 1])],
    ['where', '`tf.where`', () => tf.where(cond, a, b)],
    ['minimum', '`tf.minimum`', () => tf.minimum(a, b)],
    ['greater', '`tf.greater`', () => tf.greater(a, b)],
    ['addBroadcast', '`tf.add` with a [64, 1, 32] operand', () => tf.add(a, row)],
    [
      'minAsArithmetic',
      '`min(a, b)` as `a - relu(a - b)`',
      () => tf.tidy(() => tf.sub(a, tf.relu(tf.sub(a, b)))),
    ],
    ['softmax', '`tf.softmax`', () => tf.softmax(a)],
  ];
  for (const [id, what, fn] of ops) record(`broadcast.${id}`, BROADCAST, what, 'ms', msPerCall(fn));
  tf.dispose([a, b, row, cond]);

  for (const cols of [202, 50]) {
    const x = tf.keep(rng.normal([2048, cols]));
    const idx = tf.keep(
      tf.tensor1d(
        Array.from(rng.uniformArray(2048), (u) => Math.floor(u * 2048)),
        'int32',
      ),
    );
    const idx2 = tf.keep(tf.reshape(idx, [2048, 1]));
    record(
      `gather.v2.${cols}`,
      GATHER,
      `\`tf.gather\` (GatherV2), ${cols} columns`,
      'ms',
      msPerCall(() => tf.gather(x, idx)),
    );
    record(
      `gather.nd.${cols}`,
      GATHER,
      `\`tf.gatherND\` of the same rows, ${cols} columns`,
      'ms',
      msPerCall(() => tf.gatherND(x, idx2)),
    );
    if (cols === 202) {
      record(
        'gather.split',
        GATHER,
        '`tf.split` of 2048 x 202 into column blocks of 50, 50, 50, 50, 1, 1',
        'ms',
        msPerCall(() => tf.split(x, [50, 50, 50, 50, 1, 1], 1)),
      );
      record(
        'gather.scatter',
        GATHER,
        '`tf.scatterND` (scatter-add) of 2048 rows of 202 back',
        'ms',
        msPerCall(() => tf.scatterND(idx2, x, [2048, 202])),
      );
    }
    tf.dispose([x, idx, idx2]);
  }

  const t = performance.now();
  for (let i = 0; i < 100; i++) rng.normalArray(10000);
  record(
    'host.normals',
    HOST,
    '10^4 standard normals from a seeded host stream',
    'ms',
    (performance.now() - t) / 100,
  );
  const core = importSeconds([
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-cpu',
  ]);
  const umbrella = importSeconds(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
  record('host.importCore', HOST, 'import of tfjs-core with the wasm and cpu backends', 's', core);
  record(
    'host.importUmbrella',
    HOST,
    'import of the `@tensorflow/tfjs` umbrella package with the wasm backend',
    's',
    umbrella,
  );

  const rows = await dsmcsBench({ quick: true, log: () => {} });
  const ms = (label: string) =>
    rows.find((r) => r.workload.startsWith(`${label},`))?.medianMs ?? Number.NaN;
  const dais = ms('DAIS (no resampling)');
  record('dsmcs.dais', DSMCS, 'DAIS (no resampling): one training iteration', 'ms', dais);
  for (const scheme of ['cat', 'gst', 'bern-gst']) {
    record(
      `dsmcs.${scheme}`,
      DSMCS,
      `DSMCS ${scheme}: one training iteration`,
      'ms',
      ms(`DSMCS ${scheme}`),
    );
    record(
      `dsmcs.${scheme}.ratio`,
      DSMCS,
      `DSMCS ${scheme} / DAIS, the same round`,
      'x',
      ms(`DSMCS ${scheme}`) / dais,
    );
  }
}

const facts: EngineFact[] = [...samples].map(([id, s]) => ({
  id,
  group: s.group,
  what: s.what,
  unit: s.unit,
  median: median(s.xs),
  min: Math.min(...s.xs),
  max: Math.max(...s.xs),
}));
const tfjs = (
  JSON.parse(readFileSync('node_modules/@tensorflow/tfjs-core/package.json', 'utf8')) as {
    version: string;
  }
).version;
const data: EngineFactsData = {
  generated: generatedNow({ node: process.version, backend: 'wasm' }),
  commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
  tfjs,
  native: nativeStatus(),
  rounds,
  facts,
};
writeFileSync(values.out, `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(PAGE, renderEngineFacts(data));
process.stderr.write(`wrote ${values.out} and ${PAGE}\n`);
