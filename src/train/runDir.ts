// A run directory: config.json (resolved), checkpoint.json, metrics.jsonl, eval.json. Every file is
// written to a temporary name and renamed into place, so a run that fails or is killed never leaves
// a half-written file behind, and what an earlier run wrote is only replaced whole.
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SavedParam } from '../nets/params.js';
import { plainIssue } from './issues.js';
import { parseJsonText } from '../io/json.js';
import type { TrainerState } from './trainer.js';

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  version: number;
  /** The resolved config the run was started with (validated by whoever reads it). */
  config: unknown;
  params: Record<string, SavedParam>;
  trainer: TrainerState;
  /** What a model keeps besides its parameters (FAB's replay buffer), where it keeps anything. */
  model?: unknown;
}

export class RunDirError extends Error {
  override name = 'RunDirError';
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export const runFiles = (dir: string) => ({
  config: join(dir, 'config.json'),
  checkpoint: join(dir, 'checkpoint.json'),
  /** The checkpoint before the newest, kept until a newer one is whole in place. */
  previous: join(dir, 'checkpoint.previous.json'),
  metrics: join(dir, 'metrics.jsonl'),
  eval: join(dir, 'eval.json'),
});

/** Creates a fresh run directory; refuses to reuse one that already holds a run. */
export function createRunDir(dir: string, config: object): void {
  if (dir.trim() === '') throw new RunDirError('the run directory (--out) is an empty path');
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new RunDirError(`run directory '${dir}' is a file; choose a folder for --out`);
  const files = runFiles(dir);
  if (existsSync(files.config) || existsSync(files.checkpoint)) {
    throw new RunDirError(
      `run directory '${dir}' already holds a run; pass --resume to continue it, or choose another --out`,
    );
  }
  // A folder anneal did not make is the user's: a run written into it would append to, replace
  // or mix with their files.
  const foreign = existsSync(dir) ? readdirSync(dir).sort() : [];
  if (foreign.length)
    throw new RunDirError(
      `'${dir}' already holds files that are not an anneal run (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? `, and ${foreign.length - 3} more` : ''}); choose a new or empty folder for --out`,
    );
  mkdirSync(dir, { recursive: true });
  writeAtomic(files.config, `${JSON.stringify(config, null, 2)}\n`);
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new RunDirError(`${what} not found: '${path}'`);
  try {
    return parseJsonText(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as Error).name !== 'JsonTextError') throw error;
    throw new RunDirError(`${what} '${path}' ${(error as Error).message}: the file is damaged`);
  }
}

const count = z.number().int().nonnegative();
const SavedArraySchema = z
  .object({ shape: z.array(count), values: z.array(z.number().nullable()) })
  .refine((p) => p.values.length === p.shape.reduce((a, b) => a * b, 1), {
    message: 'holds a different number of values than its shape',
  });
/** What a checkpoint must hold to be loaded: shapes consistent, the stream state whole. */
const CheckpointShapeSchema = z.object({
  version: z.literal(CHECKPOINT_VERSION),
  config: z.record(z.string(), z.unknown()),
  params: z.record(z.string(), SavedArraySchema),
  trainer: z.object({
    iteration: count,
    skippedTotal: count,
    rng: z.object({ key: z.tuple([count, count]), counter: count }),
    optimizer: z.array(SavedArraySchema.and(z.object({ name: z.string() }))),
  }),
});

/** A checkpoint file, checked whole (JSON, shapes, stream state). */
function readCheckpointFile(path: string): Checkpoint {
  const raw = readJson(path, 'checkpoint');
  const result = CheckpointShapeSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new RunDirError(
      `checkpoint '${path}' is damaged or from another version: ${where}: ${issue ? plainIssue(issue) : 'invalid'}`,
    );
  }
  return raw as Checkpoint;
}

/** The run's newest checkpoint (for evaluation: an older one is never taken in its place). */
export function readCheckpoint(dir: string): Checkpoint {
  return readCheckpointFile(runFiles(dir).checkpoint);
}

/**
 * The checkpoint to resume from: the newest, or, where that one is damaged or gone (a disk fault,
 * a kill between two renames), the one before it, with `fallback` saying why.
 */
export function readCheckpointToResume(dir: string): { checkpoint: Checkpoint; fallback?: string } {
  const files = runFiles(dir);
  try {
    return { checkpoint: readCheckpointFile(files.checkpoint) };
  } catch (error) {
    if (!(error instanceof RunDirError) || !existsSync(files.previous)) throw error;
    const checkpoint = readCheckpointFile(files.previous);
    return {
      checkpoint,
      fallback: `${error.message}; resuming from the checkpoint before it (iteration ${checkpoint.trainer.iteration}); the damaged file is kept as checkpoint.damaged.json`,
    };
  }
}

export type RunKind = 'sampler' | 'flow' | 'vae' | 'craft';

const RUN_COMMANDS: Record<RunKind, string> = {
  sampler: 'anneal logz --from or anneal train --resume',
  flow: 'anneal flow eval --from or anneal flow train --resume',
  vae: 'anneal vae eval --from or anneal vae train --resume',
  craft: 'anneal craft eval --from or anneal craft train --resume',
};

/** What kind of run a stored config belongs to, from its top-level fields; null if none fits. */
export function runKindOf(config: unknown): RunKind | null {
  if (config === null || typeof config !== 'object') return null;
  if ('craft' in config) return 'craft';
  if ('flow' in config) return 'flow';
  if ('model' in config || 'data' in config) return 'vae';
  if ('sampler' in config) return 'sampler';
  return null;
}

/**
 * Refuses a run directory of another kind in one line that names the command for it, before its
 * config is validated against the wrong schema. Returns the config unchanged.
 */
export function expectRunKind(dir: string, config: unknown, kind: RunKind): unknown {
  const found = runKindOf(config);
  if (found !== null && found !== kind)
    throw new RunDirError(
      `'${dir}' is a ${found} run, not a ${kind} run; use ${RUN_COMMANDS[found]}`,
    );
  return config;
}

/** Whether a process with this id is running (one we may not signal still counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The text of a file, or null when it is gone (another process moved it). */
function readIfThere(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Takes the run directory for this process: a `.lock` file holding its id, created only if absent
 * (a hard link, which fails where the name exists). A second process on the same directory is refused in one line. A lock left
 * by a process that no longer runs (killed) is taken over without a window for two owners: it is
 * first renamed to a name of this process's own, which only one process can do to a given file;
 * if what was moved turns out not to be the stale lock (another process took over first), it is
 * put back. Returns the release, which removes the lock if it is still this process's.
 */
export function lockRunDir(dir: string): () => void {
  const path = join(dir, '.lock');
  const mine = String(process.pid);
  const inUse = (holder: number) =>
    new RunDirError(
      `run directory '${dir}' is in use by process ${holder}; wait for it to finish, or stop it first`,
    );
  // The lock appears with its content in one step (a hard link to a file already written), so no
  // other process ever reads it empty and takes it for a stale one.
  const written = `${path}.new-${process.pid}`;
  writeFileSync(written, mine);
  for (let attempt = 0; ; attempt++) {
    try {
      linkSync(written, path);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST' || attempt > 20) {
        rmSync(written, { force: true });
        throw error;
      }
    }
    const text = readIfThere(path);
    if (text === null) continue;
    const holder = Number(text.trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      rmSync(written, { force: true });
      throw inUse(holder);
    }
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') continue;
      throw error;
    }
    const moved = readIfThere(aside);
    if (moved !== null && moved !== text) {
      // A live process's fresh lock, not the stale one: give it back (unless yet another lock
      // appeared meanwhile, which then stands), and leave the directory to it.
      try {
        linkSync(aside, path);
      } catch {
        // a lock is in place either way
      }
      rmSync(aside, { force: true });
      rmSync(written, { force: true });
      throw inUse(Number(moved.trim()));
    }
    rmSync(aside, { force: true });
  }
  rmSync(written, { force: true });
  return () => {
    if (readIfThere(path)?.trim() === mine) rmSync(path, { force: true });
  };
}

/**
 * Puts the checkpoint before the newest back in place (after readCheckpointToResume fell back to
 * it), so that the next checkpoint write keeps a sound one as its previous: the damaged newest is
 * set aside as checkpoint.damaged.json, for a look at what happened.
 */
export function restorePreviousCheckpoint(dir: string): void {
  const files = runFiles(dir);
  if (existsSync(files.checkpoint))
    renameSync(files.checkpoint, join(dir, 'checkpoint.damaged.json'));
  const tmp = `${files.checkpoint}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  try {
    linkSync(files.previous, tmp);
  } catch {
    copyFileSync(files.previous, tmp);
  }
  renameSync(tmp, files.checkpoint);
}

/** Whether the run directory holds a checkpoint (a run killed before its first has none). */
export function hasCheckpoint(dir: string): boolean {
  const files = runFiles(dir);
  return existsSync(files.checkpoint) || existsSync(files.previous);
}

/**
 * Deletes the temporary files of atomic writes that a killed process left behind (FILE.tmp-PID):
 * the file they were to replace is intact, so they hold nothing the run needs.
 */
export function removeStaleTemporaries(dir: string): string[] {
  // A lock's own temporaries (.lock.new-PID, .lock.stale-PID) are stale once their process is gone.
  const lockTemporary = (name: string) => {
    const m = /^\.lock\.(?:new|stale)-(\d+)$/.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  };
  const stale = readdirSync(dir).filter((name) => /\.tmp-\d+$/.test(name) || lockTemporary(name));
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale;
}

export function readRunConfig(dir: string): unknown {
  return readJson(runFiles(dir).config, 'run config');
}

/**
 * Writes the checkpoint whole under a temporary name, keeps the one it replaces as
 * checkpoint.previous.json (a hard link, or a copy where links are not available), then renames
 * the new one into place: at every moment a complete checkpoint is on disk under its own name, and
 * a newest one damaged later still leaves the one before it to resume from.
 */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const files = runFiles(dir);
  const tmp = `${files.checkpoint}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(checkpoint));
  if (existsSync(files.checkpoint)) {
    const kept = `${files.previous}.tmp-${process.pid}`;
    rmSync(kept, { force: true });
    try {
      linkSync(files.checkpoint, kept);
    } catch {
      copyFileSync(files.checkpoint, kept);
    }
    renameSync(kept, files.previous);
  }
  renameSync(tmp, files.checkpoint);
}

/** Keeps metric lines up to `iteration` (what a checkpoint covers) and rewrites the file whole. */
export function truncateMetrics(dir: string, iteration: number): void {
  const path = runFiles(dir).metrics;
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line, i) => {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new RunDirError(
          `'${path}' line ${i + 1} is not JSON: the run's metrics are damaged (delete that line to resume)`,
        );
      }
      if (
        row === null ||
        typeof row !== 'object' ||
        typeof (row as { iteration?: unknown }).iteration !== 'number'
      )
        throw new RunDirError(
          `'${path}' line ${i + 1} has no iteration: the run's metrics are damaged (delete that line to resume)`,
        );
      return (row as { iteration: number }).iteration <= iteration;
    });
  writeAtomic(path, kept.map((l) => `${l}\n`).join(''));
}

/** Appends metric lines (each line is complete: written in one call). */
export function appendMetrics(dir: string, rows: object[]): void {
  if (rows.length === 0) return;
  const path = runFiles(dir).metrics;
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  writeAtomic(path, existing + rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
