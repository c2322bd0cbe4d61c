// A user's own target from a JavaScript module (`anneal logz --target-module`, `target.module` in a
// training config): the module exports a Target as its default export or as `target`, or a function
// that returns one (given the requested dim, sync or async). The result is checked like any target
// the library meets (checkTarget), so a wrong shape fails here in one line.
import { builtin } from '../io/files.js';
import { checkTarget, TargetError, type Target } from './target.js';
import { isEngineOutOfMemory, OUT_OF_MEMORY_ADVICE } from '../engine/errors.js';

interface NodePath {
  resolve(...parts: string[]): string;
}
interface NodeUrl {
  pathToFileURL(path: string): URL;
}
interface NodeFs {
  existsSync(path: string): boolean;
}

/** The absolute path of a module path given relative to the working directory. */
export function resolveTargetModule(path: string): string {
  const p = builtin<NodePath>('node:path');
  if (!p) throw new TargetError('target modules need Node >= 20.16');
  return p.resolve(path);
}

/**
 * Imports a target module and returns its target, checked.
 * @param path the module's file (.js or .mjs; .ts under tsx), absolute or relative to the working directory
 * @param options `dim` is passed to a factory export and must match a fixed target's dim
 */
/** The target module being loaded now, and what of it (for a process that ends mid-load). */
let loading: { path: string; stage: 'import' | 'factory' } | null = null;

/**
 * The target module whose import or factory is under way, or null: a module whose top-level await
 * or factory never settles leaves nothing else for the process to wait on, and it ends there.
 */
export function targetModuleLoading(): { path: string; stage: 'import' | 'factory' } | null {
  return loading;
}

export async function loadTargetModule(
  path: string,
  options: { dim?: number } = {},
): Promise<Target> {
  const file = resolveTargetModule(path);
  if (!builtin<NodeFs>('node:fs')?.existsSync(file))
    throw new TargetError(`target module '${path}' does not exist`);
  let mod: Record<string, unknown>;
  try {
    const url = builtin<NodeUrl>('node:url')?.pathToFileURL(file).href ?? file;
    loading = { path, stage: 'import' };
    mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new TargetError(`target module '${path}' failed to load: ${message}`);
  } finally {
    loading = null;
  }
  const exported = mod.default ?? mod.target;
  if (exported === undefined)
    throw new TargetError(
      `target module '${path}' must export a target (an object with name, dim and logProb, or a function returning one) as its default export or as 'target'`,
    );
  let target: unknown = exported;
  if (typeof exported === 'function') {
    try {
      loading = { path, stage: 'factory' };
      target = await (exported as (o: { dim?: number }) => unknown)({ dim: options.dim });
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new TargetError(`target module '${path}': its target factory failed: ${message}`);
    } finally {
      loading = null;
    }
  }
  if (typeof target !== 'object' || target === null)
    throw new TargetError(
      `target module '${path}' exports ${target === null ? 'null' : typeof target}, not a target`,
    );
  try {
    checkTarget(target as Target);
  } catch (error) {
    // The check runs the user's functions: say whose they are.
    if (error instanceof TargetError)
      throw new TargetError(`target module '${path}': ${error.message}`);
    throw error;
  }
  const t = target as Target;
  if (options.dim !== undefined && t.dim !== options.dim)
    throw new TargetError(
      `target module '${path}': the target '${t.name}' has dim ${t.dim}, not the requested ${options.dim}`,
    );
  return attributed(t, path);
}

/** An exception raised by a user's target module while a run uses it (exit status 1). */
export class TargetModuleError extends Error {
  override name = 'TargetModuleError';
}

/** The functions of a target that run the user's code. */
const USER_FUNCTIONS = ['logProb', 'score', 'logProbAndScore'] as const;

/**
 * The module's target, with every exception its functions raise reported as the module's (naming
 * the module and the function), not as the library's. The target's own object stays underneath:
 * its other fields and methods are read through, and its functions run with it as `this`.
 */
function attributed(target: Target, path: string): Target {
  const wrapper = Object.create(target) as Record<string, unknown>;
  for (const what of USER_FUNCTIONS) {
    const f = target[what] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof f !== 'function') continue;
    wrapper[what] = (...args: unknown[]) => {
      try {
        return f.apply(target, args);
      } catch (error) {
        if (error instanceof TargetModuleError) throw error;
        if (isEngineOutOfMemory(error))
          throw new TargetModuleError(
            `target module '${path}': while its ${what} ran, ${OUT_OF_MEMORY_ADVICE}`,
          );
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new TargetModuleError(`target module '${path}': its ${what} raised: ${message}`);
      }
    };
  }
  modulePaths.set(wrapper as unknown as Target, path);
  return wrapper as unknown as Target;
}

const modulePaths = new WeakMap<Target, string>();

/** The module path a target was loaded from (loadTargetModule), or undefined for any other. */
export function targetModulePath(target: Target): string | undefined {
  return modulePaths.get(target);
}
