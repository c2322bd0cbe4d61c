// The training loop shared by every run directory (learned samplers, flows): resume from the last
// checkpoint, step the trainer, write metrics with each checkpoint so the two always agree after a
// crash, and stop early on request with a resumable checkpoint.
import type { ParamStore } from '../nets/params.js';
import {
  CHECKPOINT_VERSION,
  RunDirError,
  appendMetrics,
  readCheckpointToResume,
  restorePreviousCheckpoint,
  runFiles,
  truncateMetrics,
  writeAtomic,
  writeCheckpoint,
  hasCheckpoint,
  lockRunDir,
  removeStaleTemporaries,
} from './runDir.js';
import {
  divergenceMessage,
  MAX_CONSECUTIVE_SKIPS,
  TrainingDivergedError,
  type IterationMetrics,
  type Trainer,
} from './trainer.js';

export interface MetricRow {
  iteration: number;
  loss: number | null;
  elbo: number | null;
  gradNorm: number | null;
  learningRate: number;
  skipped: number;
  seconds: number;
}

export interface RunHooks {
  onIteration?: (m: IterationMetrics, total: number) => void;
  onEvalStep?: (k: number, steps: number) => void;
  /** Stop after this many iterations in total (leaving a resumable checkpoint); for long runs. */
  stopAfter?: number;
  /** Something the user should know that does not stop the run (a damaged checkpoint passed over). */
  onWarning?: (message: string) => void;
}

export interface LoopSpec {
  dir: string;
  resuming: boolean;
  /** The resolved config, stored in every checkpoint. */
  config: object;
  train: { iterations: number; logEvery: number; checkpointEvery: number };
  params: ParamStore;
  trainer: Trainer;
  hooks: RunHooks;
  /** The command that resumes this kind of run, for the interruption message (default 'anneal train'). */
  resumeCommand?: string;
}

/** A path as one shell word: as is when it is plain, else in single quotes (pasted, it works). */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** A run stopped by SIGINT or SIGTERM: what was finished, and the command that goes on from there. */
export class TrainingInterrupted extends Error {
  override name = 'TrainingInterrupted';
  constructor(
    readonly iteration: number,
    readonly dir: string,
    resumeCommand: string,
    /** Where the signal came: in training (the last iteration checkpointed) or in the evaluation. */
    readonly phase: 'training' | 'evaluation' = 'training',
  ) {
    super(
      phase === 'training'
        ? `interrupted at iteration ${iteration}; resume with: ${resumeCommand} --resume ${shellWord(dir)}`
        : `interrupted during the evaluation; training is finished and checkpointed (iteration ${iteration}); evaluate with: ${resumeCommand} --resume ${shellWord(dir)}`,
    );
  }
}

/** Watches SIGINT and SIGTERM for the life of a run. */
export interface SignalWatch {
  /** Whether a signal came. */
  requested(): boolean;
  stop(): void;
}

/**
 * Watches for SIGINT and SIGTERM: the first one is only recorded, for the run to stop at its next
 * safe point (after an iteration, between evaluation batches); a second one is Node's default
 * again: it ends the process at once.
 */
export function watchSignals(): SignalWatch {
  let requested = false;
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const handler = () => {
    requested = true;
    for (const s of signals) process.removeListener(s, handler);
  };
  for (const s of signals) process.once(s, handler);
  return {
    requested: () => requested,
    stop: () => {
      for (const s of signals) process.removeListener(s, handler);
    },
  };
}

/** Lets a pending signal's handler run (signals are delivered between macrotasks). */
export const yieldToSignals = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runTrainingLoop(
  spec: LoopSpec,
  watch?: SignalWatch,
): Promise<{ trainSeconds: number; completed: boolean }> {
  const { dir, trainer, params } = spec;
  const started = performance.now();
  if (spec.resuming) {
    removeStaleTemporaries(dir);
    if (hasCheckpoint(dir)) {
      const { checkpoint, fallback } = readCheckpointToResume(dir);
      if (fallback) {
        restorePreviousCheckpoint(dir);
        spec.hooks.onWarning?.(fallback);
      }
      try {
        params.load(checkpoint.params);
        await trainer.loadState(checkpoint.trainer);
        trainer.sampler.loadState?.(checkpoint.model);
      } catch (error) {
        // Parameters or optimizer slots of other names or shapes: another config's checkpoint.
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new RunDirError(
          `the checkpoint in '${dir}' does not fit its config (${message}); was it copied from another run?`,
        );
      }
      truncateMetrics(dir, checkpoint.trainer.iteration);
    } else {
      // Killed before its first checkpoint: the freshly built state is the run's iteration 0.
      truncateMetrics(dir, 0);
    }
  }
  const save = async () => {
    writeCheckpoint(dir, {
      version: CHECKPOINT_VERSION,
      config: spec.config,
      params: await params.saveAsync(),
      trainer: await trainer.saveState(),
      ...(trainer.sampler.saveState ? { model: trainer.sampler.saveState() } : {}),
    });
  };
  const signals = watch ?? watchSignals();
  try {
    return await loop(spec, started, save, signals.requested);
  } finally {
    if (!watch) signals.stop();
  }
}

async function loop(
  spec: LoopSpec,
  started: number,
  save: () => Promise<void>,
  interrupted: () => boolean,
): Promise<{ trainSeconds: number; completed: boolean }> {
  const { dir, trainer, hooks, train } = spec;
  const stopAt = Math.min(train.iterations, hooks.stopAfter ?? Infinity);
  const patience = Math.min(MAX_CONSECUTIVE_SKIPS, train.iterations);
  let consecutive = 0;
  let pending: MetricRow[] = [];
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  while (trainer.iteration < stopAt) {
    const m = await trainer.stepAsync();
    hooks.onIteration?.(m, train.iterations);
    consecutive = m.skipped ? consecutive + 1 : 0;
    if (consecutive >= patience) {
      // The rows since the last checkpoint show the way into the divergence; a resume drops rows
      // past its checkpoint, so writing them costs nothing there.
      appendMetrics(dir, pending);
      throw new TrainingDivergedError(
        `${divergenceMessage(m.iteration, consecutive, m.learningRate)}${hasCheckpoint(dir) ? '; the last checkpoint is kept' : ''}`,
      );
    }
    const last = m.iteration === stopAt;
    if (m.iteration % train.logEvery === 0 || last) {
      pending.push({
        iteration: m.iteration,
        loss: finite(m.loss),
        elbo: finite(m.elbo),
        gradNorm: finite(m.gradNorm),
        learningRate: m.learningRate,
        skipped: m.skippedTotal,
        seconds: (performance.now() - started) / 1000,
      });
    }
    const stopping = interrupted() && !last;
    if (m.iteration % train.checkpointEvery === 0 || last || stopping) {
      // Metrics first: a kill between the two writes then leaves rows past the checkpoint, which
      // resume drops and recomputes; the other order would lose the checkpoint's own rows.
      appendMetrics(dir, pending);
      pending = [];
      await save();
    }
    if (stopping)
      throw new TrainingInterrupted(m.iteration, dir, spec.resumeCommand ?? 'anneal train');
    // Signals are delivered between macrotasks: let one through after every iteration.
    await yieldToSignals();
  }
  if (trainer.iteration === 0) await save();
  return {
    trainSeconds: (performance.now() - started) / 1000,
    completed: trainer.iteration >= train.iterations,
  };
}

/** What every run-directory command returns. */
export interface TrainedRun<C, E> {
  config: C;
  iterations: number;
  skipped: number;
  completed: boolean;
  evaluation: E | null;
  trainSeconds: number;
}

/** What a run's evaluation gives: its result, and the record written to eval.json. */
export interface EvaluationRecord<E> {
  evaluation: E;
  record: object;
}

/**
 * What a run's evaluation calls between its pieces of work (batches, chunks of images, pictures):
 * lets a signal through, and ends the run there when one came (TrainingInterrupted).
 */
export type EvaluationPause = () => Promise<void>;

/**
 * The training loop, then, once training is complete, the run's evaluation, written atomically to
 * eval.json as `record` (a stopped run writes none). The one place runs finish, for samplers,
 * flows and VAEs alike. SIGINT and SIGTERM are watched for the whole life of the run: in training
 * the finished iteration is checkpointed, in the evaluation the run stops at its next pause; either
 * way the lock is released and the message says how to go on.
 */
export async function trainThenEvaluate<C extends object, E>(
  spec: LoopSpec & { config: C },
  evaluate: (pause: EvaluationPause) => EvaluationRecord<E> | Promise<EvaluationRecord<E>>,
): Promise<TrainedRun<C, E>> {
  const release = lockRunDir(spec.dir);
  const signals = watchSignals();
  try {
    return await trainAndRecord(spec, evaluate, signals);
  } catch (error) {
    // The user's own code failed mid-run (in training or in the evaluation): the run stays at its
    // last checkpoint, for a resume once their module is fixed.
    if (error instanceof Error && error.name === 'TargetModuleError' && hasCheckpoint(spec.dir))
      error.message += `; the run is kept at its last checkpoint: fix the module, then resume with: ${spec.resumeCommand ?? 'anneal train'} --resume ${shellWord(spec.dir)}`;
    throw error;
  } finally {
    signals.stop();
    release();
  }
}

async function trainAndRecord<C extends object, E>(
  spec: LoopSpec & { config: C },
  evaluate: (pause: EvaluationPause) => EvaluationRecord<E> | Promise<EvaluationRecord<E>>,
  signals: SignalWatch,
): Promise<TrainedRun<C, E>> {
  const { trainSeconds, completed } = await runTrainingLoop(spec, signals);
  const { trainer } = spec;
  let evaluation: E | null = null;
  if (completed) {
    const pause: EvaluationPause = async () => {
      await yieldToSignals();
      if (signals.requested())
        throw new TrainingInterrupted(
          trainer.iteration,
          spec.dir,
          spec.resumeCommand ?? 'anneal train',
          'evaluation',
        );
    };
    await pause();
    const r = await evaluate(pause);
    evaluation = r.evaluation;
    writeAtomic(runFiles(spec.dir).eval, `${JSON.stringify(r.record, null, 2)}\n`);
  }
  return {
    config: spec.config,
    iterations: trainer.iteration,
    skipped: trainer.skippedTotal,
    completed,
    evaluation,
    trainSeconds,
  };
}
