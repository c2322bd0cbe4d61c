import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseRunConfig, type RunConfig } from '../train/config.js';
import { UsageError } from './errors.js';

/** Reads a .json, .yaml or .yml file holding one object. */
export function readConfigObject(path: string, what: string): object {
  if (!existsSync(path)) throw new UsageError(`config file not found: '${path}'`);
  if (statSync(path).isDirectory())
    throw new UsageError(`config '${path}' is a folder; give a config file (.json, .yaml, .yml)`);
  // A file the process may not read fails with a system error naming it, which the CLI reports
  // as one line (permission denied, and the like).
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const first = String((error as Error).message).split('\n')[0];
    throw new UsageError(
      `config file '${path}' is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${first}`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`config file '${path}' must hold an object with ${what}`);
  }
  return raw;
}

/** Reads a sampler run config and validates it. */
export function loadConfigFile(path: string): RunConfig {
  return parseRunConfig(readConfigObject(path, 'target, sampler and train'), path);
}
