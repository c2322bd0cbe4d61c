import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseRunConfig, type RunConfig } from '../train/config.js';
import { UsageError } from './errors.js';
import { parseJsonText } from '../io/json.js';

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
  if (ext === '.json') {
    try {
      raw = parseJsonText(text, { uniqueKeys: true });
    } catch (error) {
      throw new UsageError(`config file '${path}' ${(error as Error).message}`);
    }
  } else
    try {
      raw = yamlValue(text);
    } catch (error) {
      const first = String((error as Error).message).split('\n')[0];
      throw new UsageError(`config file '${path}' is not valid YAML: ${first}`);
    }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`config file '${path}' must hold an object with ${what}`);
  }
  return raw;
}

/**
 * The value of a YAML text holding one document, with the parser's own console output silenced:
 * more than one document, a syntax error or an unknown tag (`!foo`, which anneal's configs never
 * need) raises one line saying which and where.
 */
function yamlValue(text: string): unknown {
  const docs = parseAllDocuments(text, { logLevel: 'silent' });
  if (!Array.isArray(docs)) return null;
  if (docs.length > 1)
    throw new Error(`it holds ${docs.length} documents (separated by ---); a config is one`);
  const doc = docs[0];
  if (!doc) return null;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new Error(problem.message.split('\n')[0]?.replace(/:$/, ''));
  return doc.toJS();
}

/** Reads a sampler run config and validates it. */
export function loadConfigFile(path: string): RunConfig {
  return parseRunConfig(readConfigObject(path, 'target, sampler and train'), path);
}
