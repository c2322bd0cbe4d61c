import { Command, CommanderError, Option } from 'commander';
import { SAMPLER_DEFAULTS, SAMPLERS, SMC_SAMPLERS } from '../annealing/samplers.js';
import { RESAMPLING_NAMES } from '../annealing/resampling.js';
import { LEARNED_DEFAULTS, LEARNED_SAMPLERS } from '../annealing/learned.js';
import { SCHEDULES } from '../annealing/schedule.js';
import { BACKENDS } from '../engine/index.js';
import { TARGET_OPTIONS, targetOptionFlagText, targetOptionHelp } from '../targets/options.js';
import { reportError, EXIT_USAGE } from './errors.js';
import { logzCommand } from './logz.js';
import { targetsCommand } from './targets.js';
import { trainCommand } from './train.js';
import { craftEvalCommand, craftTrainCommand } from './craft.js';
import { flowEvalCommand, flowTrainCommand } from './flow.js';
import { vaeEvalCommand, vaeTrainCommand } from './vae.js';
import { plotCommand } from './plot.js';
import { VAE_OBJECTIVES } from '../models/vae.js';
import { VAE_SAMPLERS } from '../models/vaeSampler.js';
import { FORWARD_KL_ESTIMATORS, REVERSE_KL_ESTIMATORS } from '../flows/estimators.js';
import { bayesFactorCommand } from './bayesFactor.js';

/** The options the user typed (not those left at their defaults), by attribute name. */
function givenOptions(cmd: Command): Set<string> {
  return new Set(
    cmd.options
      .map((o) => o.attributeName())
      .filter((name) => cmd.getOptionValueSource(name) === 'cli'),
  );
}

/** Help lines "  names   what they are", names padded to one column. */
function helpRows(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([names]) => names.length)) + 2;
  return rows.map(([names, what]) => `  ${names.padEnd(width)}${what}`).join('\n');
}

/**
 * The command tree. Commander's own error output goes to `writeErr` (kept, not printed: main prints
 * one line of its own, or the help text when a command is missing).
 */
function buildProgram(writeErr: (text: string) => void): Command {
  const program = new Command('anneal')
    .description('Differentiable annealed Monte Carlo: log Z estimation with AIS and friends.')
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr });

  program
    .command('plot')
    .description(
      'draw a run directory or a saved logz report as SVG: training curves (loss, ELBO), ESS, running log Z and acceptance per step, and what the auto sampler chose per temperature',
    )
    .argument(
      '<runDir>',
      'run directory (from anneal train, flow train or vae train), or a saved `anneal logz --json` report (FILE.json)',
    )
    .option('--out <dir>', 'folder for the pictures (default: the run directory)')
    .addHelpText(
      'after',
      `
Writes training.svg (metrics.jsonl) and steps.svg (eval.json of a sampler run). The training
commands write the same pictures into their run directory when they finish. Given FILE.json, a
saved logz report, writes FILE-steps.svg (ESS, running log Z and acceptance per step) and, for the
auto sampler, FILE-tempering.svg: beta, step size, acceptance, moves, the increment's ESS and the
preconditioner's median scale at each temperature.

Examples:
  $ anneal plot runs/funnel-uha
  $ anneal logz --target german-credit --json > gc.json && anneal plot gc.json`,
    )
    .action(async (dir: string, opts: { out?: string }) => plotCommand(dir, opts));

  program
    .command('bayes-factor')
    .description(
      'the log Bayes factor of two models, log Z of the first minus log Z of the second, from two saved `anneal logz --json` reports',
    )
    .argument('<first>', 'report of the first model (FILE.json)')
    .argument('<second>', 'report of the second model (FILE.json)')
    .option(
      '--paired',
      'the two runs used the same seed and batches: the error comes from the batch-by-batch differences (independent runs: the variances add)',
    )
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ anneal logz --target-module m1.js --sampler ais-hmc --seed 3 --json > m1.json
  $ anneal logz --target-module m2.js --sampler ais-hmc --seed 3 --json > m2.json
  $ anneal bayes-factor m1.json m2.json --paired`,
    )
    .action((first: string, second: string, opts: { paired?: boolean; json?: boolean }) =>
      bayesFactorCommand(first, second, opts),
    );

  program
    .command('targets')
    .description('list the built-in targets, their dimensions and whether log Z is known exactly')
    .option('--json', 'print a JSON array on stdout')
    .action((opts: { json?: boolean }) => targetsCommand(opts));

  const logz = program
    .command('logz')
    .description('estimate log Z of a target with an annealed sampler')
    .option(
      '--target <name>',
      'target name (see `anneal targets`); required unless --target-module or --from',
    )
    .option(
      '--target-module <file>',
      'your own target: a JavaScript module exporting it (default or `target`), or a function of {dim} returning it',
    )
    .option(
      '--from <runDir>',
      'evaluate the trained sampler of a run directory (from `anneal train`)',
    )
    .addOption(
      new Option(
        '--sampler <name>',
        'sampler: auto (the default: adaptive SMC that tunes itself), fixed AIS (ais-*), learned (ula, uha, *-mcd) or SMC (smc-*: resampling inside the chain)',
      )
        .choices(['auto', ...SAMPLERS, ...LEARNED_SAMPLERS, ...SMC_SAMPLERS])
        .default('auto'),
    )
    .option('--steps <K>', 'annealing steps', '64')
    .option('--particles <N>', 'particles (auto: per system, default 512)', '1000')
    .option('--seed <int>', 'random seed', '0')
    .option(
      '--step-size <x>',
      `step size (ULA and MALA delta, HMC/UHA leapfrog epsilon; the initial value when learned); default ${SAMPLER_DEFAULTS['ais-ula'].stepSize} for ULA, ${SAMPLER_DEFAULTS['ais-hmc'].stepSize} for HMC and UHA, ${SAMPLER_DEFAULTS['ais-mala'].stepSize} for MALA`,
    )
    .option(
      '--leapfrog <L>',
      `leapfrog steps per transition (default ${SAMPLER_DEFAULTS['ais-hmc'].leapfrogSteps} for HMC, ${LEARNED_DEFAULTS.leapfrogSteps} for UHA)`,
    )
    .option('--eta <x>', `initial UHA momentum damping in (0, 1) (default ${LEARNED_DEFAULTS.eta})`)
    .addOption(
      new Option('--schedule <name>', 'annealing schedule').choices(SCHEDULES).default('linear'),
    );
  // --dim, --loc, ..., --beta: the target options' table, with the targets that take each.
  for (const row of TARGET_OPTIONS)
    logz.option(`${targetOptionFlagText(row)} <${row.arg}>`, targetOptionHelp(row));
  logz
    .option('--init-scale <s>', 'scale of the initial N(mean, s^2 I)', '1')
    .option('--init-mean <m>', 'mean of the initial distribution (every coordinate)', '0')
    .option(
      '--init-flow <runDir>',
      'start from a trained flow (`anneal flow train`) instead of a Gaussian',
    )
    .option(
      '--batches <B>',
      'independent batches for the standard error (default: the most, up to 10, that split the particles evenly)',
    )
    .option(
      '--workers <N>',
      "worker threads sharing the batches (of AIS, SMC, or a learned sampler's evaluation) or the auto sampler's systems, each with its own random stream, so any N gives the same numbers (default 1: this thread only)",
    )
    .option('--train-iters <N>', 'learned samplers: training iterations before evaluating', '0')
    .option('--train-particles <N>', 'learned samplers: particles per training iteration', '256')
    .option('--lr <x>', 'learned samplers: Adam learning rate', '0.005')
    .addOption(
      new Option(
        '--resampling <scheme>',
        "SMC samplers: resampling scheme (default systematic; 'none' is AIS; cat, gst, bern-cat, bern-gst are the DSMCS variants)",
      ).choices(RESAMPLING_NAMES),
    )
    .option(
      '--ess-threshold <f>',
      'SMC samplers: resample only when the ESS falls below this fraction of N (default: every step)',
    )
    .option(
      '--temperature <t>',
      'SMC samplers: GST softmax temperature (gst, bern-gst; default 0.1)',
    )
    .addOption(
      new Option('--backend <name>', 'tensor backend (default $ANNEAL_BACKEND or wasm)').choices(
        BACKENDS,
      ),
    )
    .option(
      '--target-se <x>',
      'auto: add independent systems until the standard error of log Z is at most x (default 0.03)',
    )
    .option(
      '--max-seconds <s>',
      'auto: stop adding systems after s seconds and report what it has (default 50; 600 with --target-se)',
    )
    .option('--systems <S>', 'auto: the fewest independent systems pooled (default 8)')
    .option(
      '--waste-free [P]',
      'auto: waste-free SMC, resampling N/P particles and keeping every state of their chains of P (default P 8)',
    )
    .addOption(
      new Option(
        '--start <how>',
        'auto: start from a Gaussian fitted to the target (fit, the default) or the initial distribution as given (initial)',
      ).choices(['fit', 'initial']),
    )
    .addOption(
      new Option(
        '--move <kernel>',
        'auto: the MCMC move between temperatures (default hmc)',
      ).choices(['hmc', 'mala']),
    )
    .option(
      '--samples <file>',
      'write the final particles (posterior draws) and their log-weights as CSV or JSON, or equal-weight draws for ArviZ (FILE.arviz.json), by the extension',
    )
    .option(
      '--per-step',
      'also print the per-step readings (ESS, log Z, acceptance, ...) with what each averages over; --json always has them',
    )
    .option('--json', 'print one JSON object on stdout')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  $ anneal logz --target german-credit
  $ anneal logz --target-module ./my-model.js --target-se 0.02 --samples draws.csv
  $ anneal logz --target funnel --sampler ais-ula --steps 64 --particles 1000 --seed 1
  $ anneal logz --target many-well --sampler ais-hmc --steps 100 --step-size 0.1 --leapfrog 5 --json
  $ anneal logz --target mgm --dim 6 --loc 1 --sigma2 0.5 --schedule geometric
  $ anneal logz --target funnel --sampler uha --steps 32 --train-iters 200 --lr 0.01
  $ anneal logz --target many-well --sampler smc-hmc --steps 100 --resampling systematic --ess-threshold 0.5
  $ anneal logz --from runs/funnel-uha --particles 20000 --seed 7`,
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) =>
      logzCommand(opts, givenOptions(cmd)),
    );

  const train = program
    .command('train')
    .description('train a learned sampler from a config file (JSON or YAML) into a run directory')
    .argument('[config]', 'config file (.json, .yaml, .yml)');
  for (const option of trainOptions()) train.addOption(option);
  train
    .addHelpText(
      'after',
      `
The run directory holds config.json (resolved, defaults filled in), checkpoint.json, metrics.jsonl
(iteration, loss, elbo, gradNorm, learningRate, skipped, seconds) and eval.json (the trained
sampler evaluated with fresh particles). See configs/ for examples and the README for every field.

Samplers (sampler.kind) and objectives (train.objective.kind):
${helpRows([
  [LEARNED_SAMPLERS.join(', '), 'learned annealed samplers (resampling: DSMCS)'],
  ['elbo', 'the ELBO of each particle (default for AIS samplers)'],
  ['iw', 'the bound of systems of groupSize particles (default for SMC samplers)'],
  ['logvar', 'the variance of the log-weights along paths drawn off the tape (ula, ula-mcd, cmcd)'],
])}

Examples:
  $ anneal train configs/funnel-uha.yaml --out runs/funnel-uha
  $ anneal train configs/funnel-uha.yaml --out runs/funnel-uha --stop-after 100
  $ anneal train --resume runs/funnel-uha`,
    )
    .action(async (config: string | undefined, opts: Record<string, unknown>) =>
      trainCommand(config, opts),
    );

  const flow = program
    .command('flow')
    .description('normalizing flows: train by reverse or forward KL, evaluate a trained run');
  const flowTrain = flow
    .command('train')
    .description('train a flow from a config file (JSON or YAML) into a run directory')
    .argument('[config]', 'config file (.json, .yaml, .yml)');
  for (const option of trainOptions()) flowTrain.addOption(option);
  flowTrain
    .addHelpText(
      'after',
      `
Losses (loss.kind and loss.estimator in the config):
${helpRows([
  [
    `reverse-kl: ${REVERSE_KL_ESTIMATORS.join(', ')}`,
    'flow samples; score-function or path gradients',
  ],
  [
    `forward-kl: ${FORWARD_KL_ESTIMATORS.join(', ')}`,
    'target samples (given, exact, or by SMC-HMC)',
  ],
])}

Examples:
  $ anneal flow train configs/flow-mgm-reverse.yaml --out runs/flow-mgm
  $ anneal flow train --resume runs/flow-mgm`,
    )
    .action(async (config: string | undefined, opts: Record<string, unknown>) =>
      flowTrainCommand(config, opts),
    );
  flow
    .command('eval')
    .description(
      'evaluate a trained flow: log Z by importance sampling, ESS, NLL (and AIS from the flow for FAB runs)',
    )
    .requiredOption('--from <runDir>', 'run directory (from `anneal flow train`)')
    .option('--particles <N>', 'flow draws for log Z and reverse ESS', '10000')
    .option('--batches <B>', 'independent batches for the standard error', '10')
    .option('--test-samples <N>', 'target samples for NLL and forward ESS', '10000')
    .option('--seed <int>', 'random seed', '0')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: Record<string, unknown>) => flowEvalCommand(opts));

  const craft = program
    .command('craft')
    .description(
      'CRAFT: SMC with a learned flow per temperature step, then HMC; train, evaluate a trained run',
    );
  const craftTrain = craft
    .command('train')
    .description('train CRAFT from a config file (JSON or YAML) into a run directory')
    .argument('[config]', 'config file (.json, .yaml, .yml)');
  for (const option of trainOptions()) craftTrain.addOption(option);
  craftTrain
    .addHelpText(
      'after',
      `
Each iteration runs one SMC pass of train.particles and gives every step's flow the gradient of
its weighted transport KL on the particles it received (craft.steps, craft.layers, craft.hmc,
craft.resampling in the config).

Examples:
  $ anneal craft train configs/craft-funnel.yaml --out runs/craft-funnel
  $ anneal craft train --resume runs/craft-funnel`,
    )
    .action(async (config: string | undefined, opts: Record<string, unknown>) =>
      craftTrainCommand(config, opts),
    );
  craft
    .command('eval')
    .description('evaluate a trained CRAFT run: its SMC log Z over independent systems')
    .requiredOption('--from <runDir>', 'run directory (from `anneal craft train`)')
    .option('--particles <N>', 'particles in all', '6000')
    .option('--systems <S>', 'independent SMC systems for the standard error', '3')
    .option('--seed <int>', 'random seed', '0')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: Record<string, unknown>) => craftEvalCommand(opts));

  const vae = program
    .command('vae')
    .description(
      'VAEs on binarized MNIST-style images: train (ELBO, IWAE, AIS-trained, learned samplers; see `vae train --help`), evaluate by AIS',
    );
  const vaeTrain = vae
    .command('train')
    .description('train a VAE from a config file (JSON or YAML) into a run directory')
    .argument('[config]', 'config file (.json, .yaml, .yml)');
  for (const option of trainOptions()) vaeTrain.addOption(option);
  vaeTrain
    .addHelpText(
      'after',
      `
Objectives (train.objective.kind in the config; samples K, temperatures T, steps):
${helpRows([
  [
    VAE_OBJECTIVES.join(', '),
    'the ELBO, the K-sample IWAE bound, IWAE with DReG encoder gradients',
  ],
  ['ais', 'decoder trained on K annealed chains of T temperatures, encoder on the ELBO'],
  ['mh-hmc', 'decoder trained at T Metropolis-corrected HMC moves from a q(z|x) draw'],
  [
    VAE_SAMPLERS.join(', '),
    'a learned annealed sampler from q(z|x) to the posterior, all on its bound',
  ],
])}

Examples:
  $ anneal vae train configs/vae-mnist-small.yaml --out runs/vae
  $ anneal vae train --resume runs/vae`,
    )
    .action(async (config: string | undefined, opts: Record<string, unknown>) =>
      vaeTrainCommand(config, opts),
    );
  vae
    .command('eval')
    .description(
      "evaluate a trained VAE on test images: its own bound (ELBO or sampler's), IWAE bound, AIS log-likelihood",
    )
    .requiredOption('--from <runDir>', 'run directory (from `anneal vae train`)')
    .option('--test-images <N>', 'evaluate the first N test images (default: as the config)')
    .option('--iwae-samples <K>', 'draws per image for the IWAE bound')
    .option('--ais-steps <N>', 'AIS annealing steps (0 skips AIS)')
    .option('--ais-chains <K>', 'AIS chains per image')
    .option('--ais-step-size <x>', 'HMC leapfrog step size')
    .option('--ais-leapfrog <L>', 'HMC leapfrog steps per transition')
    .option('--seed <int>', 'seed of the evaluation stream')
    .option('--elbo-samples <S>', "draws per image for the model's own bound")
    .option(
      '--bdmc <N>',
      'BDMC on N images simulated from the model: AIS lower and reverse-AIS upper bounds, and their gap',
    )
    .option('--pictures <dir>', 'write samples.png and reconstructions.png into this folder')
    .option('--json', 'print one JSON object on stdout')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Example:
  $ anneal vae eval --from runs/vae --ais-steps 10000 --ais-chains 16`,
    )
    .action(async (opts: Record<string, unknown>) => vaeEvalCommand(opts));

  const all = [...program.commands, ...flow.commands, ...craft.commands, ...vae.commands];
  for (const cmd of all) cmd.exitOverride().configureOutput({ writeErr });
  return program;
}

/** The options every training command takes (`anneal train`, `anneal flow train`, ...). */
function trainOptions(): Option[] {
  return [
    new Option('--out <dir>', 'run directory (default runs/<config name>)'),
    new Option('--resume <runDir>', 'continue a stopped run from its last checkpoint, exactly'),
    new Option(
      '--stop-after <N>',
      'stop after N iterations in total, leaving a resumable checkpoint',
    ),
    new Option('--backend <name>', 'tensor backend, overriding the config').choices(BACKENDS),
    new Option('--json', 'print one JSON object on stdout'),
    new Option('--quiet', 'no progress bar'),
  ];
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let commanderOutput = '';
  const program = buildProgram((text) => {
    commanderOutput += text;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      )
        return 0;
      // `anneal`, `anneal flow`, `anneal craft`, `anneal vae` without a command: the usage, as a mistake.
      if (error.code === 'commander.help') {
        process.stderr.write(commanderOutput);
        return EXIT_USAGE;
      }
      // Commander adds its suggestion on a second line: keep it on the one line.
      const msg = error.message
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean (.*)\)$/, ' (did you mean $1)')
        .replace(/\n/g, ' ');
      process.stderr.write(`anneal: ${msg}\n`);
      return EXIT_USAGE;
    }
    return reportError(error);
  }
}
