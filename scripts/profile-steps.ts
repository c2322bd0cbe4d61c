// Where the time of one annealing step goes: a ULA step and an HMC step (AIS on the funnel, d = 10,
// 1000 particles) and one UHA-MCD training iteration (funnel, 32 steps, 1000 particles). Each
// workload runs under V8's sampling profiler; every sample's function is put in one category
// (tensor kernels, op dispatch, gradient tape, memory management, host random numbers, anneal's
// own code, garbage collection, other), and the op count comes from tf.profile.
//
//   npx tsx scripts/profile-steps.ts --label before      # writes docs/results/profile-before.json
//   npx tsx scripts/profile-steps.ts --render            # docs/results/profile.md from every JSON
//
// The categories are read off function names and source files, so they are approximate at the
// edges (an inlined function is charged to its caller), but the totals are exact wall times.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  AnnealingPath,
  DiagGaussian,
  LearnedSampler,
  Rng,
  Trainer,
  createTarget,
  initEngine,
  linearSchedule,
  makeKernel,
  runAis,
  tf,
} from '../src/index.js';
import {
  CATEGORIES,
  profileFiles,
  renderProfile,
  type Category,
  type ProfileData,
  type Result,
} from './render/profile.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const TAPE = /tape|backprop|gradient|grads?$|^grad|saveTensors|recordGradient|accumulate/i;
const MEMORY =
  /dispose|tidy|scope|track|keep|incRef|refCount|_?free|_?malloc|makeOutput|registerTensor|^move$|^write$|makeTensor|sbrk|dlmalloc|dlfree/i;

// V8 reports calls into the native addon as frames without a source file, under one of the
// addon's function names (not always the one called); the inspector serving the profiler itself
// shows up the same way as 'dispatch'.
const NATIVE = new Set(['gemm', 'unary', 'fused', 'normals', 'uniforms', 'setThreads', 'info']);

/** The category of a sample's function, or null for the profiler's own message handling. */
function categorize(frame: ProfileNode['callFrame']): Category | null {
  const { functionName: name, url } = frame;
  if (name === '(garbage collector)') return 'gc';
  if (url === '' && name === 'dispatch') return null;
  if (url === '' && NATIVE.has(name)) return 'kernels';
  if (url.startsWith('wasm://') || url.endsWith('.node'))
    return MEMORY.test(name) ? 'memory' : 'kernels';
  if (url.includes('/engine/rng.')) return 'rng';
  if (url.includes('@tensorflow')) {
    if (TAPE.test(name)) return 'tape';
    if (MEMORY.test(name)) return 'memory';
    return 'dispatch';
  }
  if (url.includes('/src/') || url.includes('/dist/')) return 'anneal';
  return 'other';
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/** Self time per category (ms) over the profiled region. */
function breakdown(profile: CpuProfile): Record<Category, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] as number);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const cat = node.callFrame.functionName === '(program)' ? 'other' : categorize(node.callFrame);
    if (cat) out[cat] += us / 1000;
  }
  return out;
}

interface Workload {
  name: string;
  /** What one unit is (a step, an iteration) and how many units one call runs. */
  unit: string;
  units: number;
  run: () => void;
  dispose: () => void;
}

function aisWorkload(sampler: 'ais-ula' | 'ais-hmc'): Workload {
  const steps = 64;
  const target = createTarget('funnel');
  const initial = DiagGaussian.isotropic(target.dim, 1);
  const path = new AnnealingPath(initial, target);
  const kernel = makeKernel(
    sampler,
    steps,
    sampler === 'ais-hmc' ? { stepSize: 0.05, leapfrogSteps: 5 } : { stepSize: 0.01 },
  );
  const betas = linearSchedule(steps);
  let seed = 0;
  return {
    name: `${sampler === 'ais-ula' ? 'ULA' : 'HMC (L = 5)'} step, AIS on funnel d=10, N=1000`,
    unit: 'step',
    units: steps,
    run: () => {
      const r = runAis({ path, kernel, betas, particles: 1000, rng: Rng.fromSeed(seed++) });
      r.logW.dataSync();
      tf.dispose([r.z, r.logW]);
    },
    dispose: () => {
      initial.dispose();
      target.dispose?.();
    },
  };
}

function trainingWorkload(): Workload {
  const target = createTarget('funnel');
  const sampler = new LearnedSampler(
    target,
    { kind: 'uha-mcd', steps: 32, stepSize: 0.01 },
    Rng.fromSeed(1),
  );
  const trainer = new Trainer(
    sampler,
    { particles: 1000, learningRate: 1e-3, clipNorm: 10, lrSchedule: { kind: 'constant' } },
    Rng.fromSeed(2),
  );
  return {
    name: 'UHA-MCD training iteration, funnel d=10, K=32, N=1000',
    unit: 'iteration',
    units: 1,
    run: () => {
      trainer.step();
    },
    dispose: () => {
      trainer.dispose();
      sampler.dispose();
      target.dispose?.();
    },
  };
}

async function measure(session: Session, w: Workload, reps: number): Promise<Result> {
  w.run(); // warm-up: compile, allocate
  const prof = await tf.profile(() => w.run());
  const opsPerUnit = prof.kernels.length / w.units;
  await post(session, 'Profiler.setSamplingInterval', { interval: 50 });
  await post(session, 'Profiler.start');
  const start = performance.now();
  for (let i = 0; i < reps; i++) w.run();
  const ms = performance.now() - start;
  const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop');
  const parts = breakdown(profile);
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(
    CATEGORIES.map((c) => [c, total > 0 ? parts[c] / total : 0]),
  ) as Record<Category, number>;
  w.dispose();
  return { workload: w.name, unit: w.unit, msPerUnit: ms / reps / w.units, opsPerUnit, shares };
}

function render(): void {
  const files = profileFiles(readdirSync('docs/results')).map((f): [string, ProfileData] => [
    f,
    JSON.parse(readFileSync(`docs/results/${f}`, 'utf8')) as ProfileData,
  ]);
  writeFileSync('docs/results/profile.md', renderProfile(files));
  process.stderr.write('wrote docs/results/profile.md\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      label: { type: 'string' },
      reps: { type: 'string', default: '10' },
      render: { type: 'boolean', default: false },
    },
  });
  if (values.render) return render();
  if (!values.label || !/^[a-z0-9-]+$/.test(values.label)) {
    process.stderr.write(
      'profile-steps: give --label NAME (lowercase letters, digits, dashes) or --render\n',
    );
    process.exit(2);
  }
  const backend = await initEngine();
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  const reps = Number(values.reps);
  const results: Result[] = [];
  for (const make of [
    () => aisWorkload('ais-ula'),
    () => aisWorkload('ais-hmc'),
    trainingWorkload,
  ]) {
    const w = make();
    process.stderr.write(`profiling ${w.name} ...\n`);
    results.push(await measure(session, w, reps));
  }
  session.disconnect();
  const { nativeStatus } = await import('../src/engine/index.js').then((m) => ({
    nativeStatus: (m as { nativeStatus?: () => string }).nativeStatus,
  }));
  const out = {
    label: values.label,
    date: new Date().toISOString(),
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores)`,
    backend,
    native: nativeStatus ? nativeStatus() : 'none',
    results,
  };
  const file = `docs/results/profile-${values.label}.json`;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stderr.write(`wrote ${file}\n`);
  if (existsSync('docs/results')) render();
}

await main();
