// "Copy as code": the playground's current run as an `anneal` command and as a TypeScript program,
// so that what was tried in the tab can be run again, at scale, from Node. Both come from the same
// resolved settings the page runs with (defaults filled in from the target's view).
import {
  SAMPLER_TABLE,
  samplerTakes,
  type AnySamplerName,
} from '../../src/annealing/samplerTable.js';
import { learnedKind, librarySampler, type Settings } from './settings.js';
import { TARGET_VIEWS, defaultLeapfrog, defaultStepSize, fabSettings } from './targets.js';

export interface RunAsCode {
  /** The command line (the same sampler, target, steps, particles, step size and seed). */
  command: string;
  /** A TypeScript program against the package. */
  typescript: string;
  /** What the command line cannot say the same way, one line each (empty when it matches). */
  caveats: string[];
}

const quote = (v: string | number) => String(v);

/** The page's run as code; `trained`: include the training the page has done. */
export function runAsCode(s: Settings, trained = false): RunAsCode {
  const view = TARGET_VIEWS[s.target];
  const stepSize = s.stepSize ?? defaultStepSize(view, s.sampler);
  const leapfrog = s.leapfrog ?? defaultLeapfrog(s.sampler);
  const initScale = s.initScale ?? view.initScale;
  const options = view.options as Record<string, number>;
  const caveats: string[] = [];

  const targetArgs = [
    '--target',
    view.name,
    ...Object.entries(options).flatMap(([k, v]) => [`--${k}`, quote(v)]),
  ];
  // The page's SMC and AIS-ULA are learned ULA samplers (untrained until "Train").
  const kind = learnedKind(s.sampler);
  const train = trained && kind !== null;
  const library = librarySampler(s.sampler);
  let command: string;
  if (library === null) {
    command = [
      '# flows train from a config file (JSON or YAML):',
      `echo '${JSON.stringify({
        seed: s.seed,
        target: { name: view.name, ...options },
        flow: { kind: 'realnvp', layers: s.layers, hidden: [32, 32] },
        train: {
          iterations: s.iters,
          batch: s.batch,
          learningRate: s.lr,
          ...(s.sampler === 'fab' ? { loss: { kind: 'fab', ...fabSettings(s) } } : {}),
        },
      })}' > flow.json`,
      'npx anneal flow train flow.json --out runs/flow',
    ].join('\n');
  } else {
    // The table's sampler; the page's trained AIS-ULA is the learned sampler it trains as.
    const cliSampler = train && SAMPLER_TABLE[library].family === 'ais' && kind ? kind : library;
    const fixed = !samplerTakes(cliSampler, 'training');
    const args = [
      'npx anneal logz',
      ...targetArgs,
      '--sampler',
      cliSampler,
      '--steps',
      quote(s.steps),
      '--particles',
      quote(s.particles),
      '--step-size',
      quote(stepSize),
      '--seed',
      quote(s.seed),
    ];
    if (samplerTakes(cliSampler, 'leapfrogSteps')) args.push('--leapfrog', quote(leapfrog));
    if (s.schedule !== 'linear') args.push('--schedule', s.schedule);
    if (SAMPLER_TABLE[cliSampler].family === 'smc')
      args.push('--resampling', s.resampling, '--ess-threshold', quote(s.ess));
    if (!fixed)
      args.push(
        '--init-scale',
        quote(initScale),
        '--train-iters',
        quote(train ? s.iters : 0),
        '--train-particles',
        quote(s.batch),
        '--lr',
        quote(s.lr),
      );
    else if (initScale !== 1) args.push('--init-scale', quote(initScale));
    command = args.join(' ');
    if (kind?.endsWith('-mcd'))
      caveats.push(
        'the page uses a smaller score network (32 wide, 2 blocks); the command line uses the default size',
      );
    if (s.schedule !== 'linear' && !fixed)
      caveats.push('learned samplers start from the linear schedule on the command line');
    caveats.push(
      'the page draws every random number from the same seeded stream as Node, but evaluates in one batch; numbers agree within their standard errors',
    );
  }

  const typescript =
    library === null
      ? flowProgram(s, view.name, options)
      : samplerProgram(s, view.name, options, {
          library,
          stepSize,
          leapfrog,
          initScale,
          learnedKind: kind,
          train,
        });
  return { command, typescript, caveats };
}

function samplerProgram(
  s: Settings,
  name: string,
  options: Record<string, number>,
  r: {
    library: AnySamplerName;
    stepSize: number;
    leapfrog: number;
    initScale: number;
    learnedKind: string | null;
    train: boolean;
  },
): string {
  const header = [
    `import { createTarget, estimateLogZ, initEngine, trainAndEvaluate } from 'anneal';`,
    '',
    'await initEngine();',
    `const target = createTarget(${JSON.stringify(name)}, ${JSON.stringify(options)});`,
  ];
  // A fixed AIS sampler (the page's AIS-ULA too, untrained) runs in estimateLogZ.
  if (r.learnedKind === null || (SAMPLER_TABLE[r.library].family === 'ais' && !r.train)) {
    return [
      ...header,
      'const r = estimateLogZ({',
      '  target,',
      `  sampler: '${r.library}',`,
      `  steps: ${s.steps},`,
      `  particles: ${s.particles},`,
      `  stepSize: ${r.stepSize},`,
      ...(samplerTakes(r.library, 'leapfrogSteps') ? [`  leapfrogSteps: ${r.leapfrog},`] : []),
      ...(s.schedule !== 'linear' ? [`  schedule: '${s.schedule}',`] : []),
      ...(r.initScale !== 1 ? [`  initial: { scale: ${r.initScale} },`] : []),
      `  seed: ${s.seed},`,
      '});',
      'console.log(r.logZ, r.logZStdErr, r.trueLogZ);',
      'target.dispose?.();',
      '',
    ].join('\n');
  }
  const resampling =
    SAMPLER_TABLE[r.library].family === 'smc'
      ? `, resampling: { scheme: '${s.resampling}', essThreshold: ${s.ess} }`
      : '';
  const scoreNet = r.learnedKind.endsWith('-mcd')
    ? ', scoreNet: { hidden: 32, blocks: 2, timeFeatures: 8 }'
    : '';
  return [
    ...header,
    'const r = trainAndEvaluate({',
    '  target,',
    `  sampler: { kind: '${r.learnedKind}', steps: ${s.steps}, stepSize: ${r.stepSize}, leapfrogSteps: ${r.leapfrog}, initialScale: ${r.initScale}${resampling}${scoreNet} },`,
    `  trainIterations: ${r.train ? s.iters : 0},`,
    `  trainParticles: ${s.batch},`,
    `  learningRate: ${s.lr},`,
    `  particles: ${s.particles},`,
    `  seed: ${s.seed},`,
    '});',
    'console.log(r.logZ, r.logZStdErr, r.trueLogZ);',
    'r.sampler.dispose();',
    'target.dispose?.();',
    '',
  ].join('\n');
}

function flowProgram(s: Settings, name: string, options: Record<string, number>): string {
  const fab = s.sampler === 'fab';
  return [
    `import { createTarget, evaluateFlow, ${fab ? 'FabModel' : 'FlowModel'}, Flow, initEngine, Rng, Trainer } from 'anneal';`,
    '',
    'await initEngine();',
    `const target = createTarget(${JSON.stringify(name)}, ${JSON.stringify(options)});`,
    `const [initRng, trainRng, evalRng] = Rng.fromSeed(${s.seed}).split(3);`,
    `const flow = new Flow(2, { kind: 'realnvp', layers: ${s.layers}, conditioner: { hidden: [32, 32] } }, initRng);`,
    fab
      ? `const model = new FabModel(flow, target, ${JSON.stringify(fabSettings(s))}, ${s.batch});`
      : `const model = new FlowModel(flow, target, { kind: 'reverse-kl', estimator: 'path-fast' });`,
    `const trainer = new Trainer(model, { particles: ${s.batch}, learningRate: ${s.lr} }, trainRng);`,
    `for (let i = 0; i < ${s.iters}; i++) trainer.step();`,
    'trainer.dispose();',
    `const e = evaluateFlow(flow, target, { particles: ${s.particles}, rng: evalRng });`,
    'console.log(e.logZ, e.logZStdErr, e.essFraction);',
    'flow.dispose();',
    'target.dispose?.();',
    '',
  ].join('\n');
}
