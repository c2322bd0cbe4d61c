// File access that keeps modules bundleable for browsers: Node's fs and url come through
// process.getBuiltinModule (Node >= 20.16) instead of a static import, and every failure is one
// DataError line naming the file.

export class DataError extends Error {
  override name = 'DataError';
}

interface NodeFs {
  readFileSync(path: string | URL): Uint8Array;
  readFileSync(path: string | URL, encoding: 'utf8'): string;
}

interface NodeUrl {
  fileURLToPath(url: URL): string;
}

type GetBuiltin = (id: string) => unknown;

export function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/** A file path for messages: file: URLs become plain paths. */
export function describePath(path: string | URL): string {
  if (typeof path === 'string') return path;
  if (path.protocol === 'file:') {
    const url = builtin<NodeUrl>('node:url');
    if (url) return url.fileURLToPath(path);
  }
  return path.href;
}

function read<T>(path: string | URL, how: (fs: NodeFs) => T, hint: string): T {
  const shown = describePath(path);
  const fs = builtin<NodeFs>('node:fs');
  if (!fs) {
    throw new DataError(`cannot read '${shown}': reading files needs Node >= 20.16 (${hint})`);
  }
  try {
    return how(fs);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new DataError(`data file not found: '${shown}'`);
    if (code === 'EISDIR') throw new DataError(`data file '${shown}' is a directory`);
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DataError(`cannot read data file '${shown}': ${reason}`);
  }
}

/** A whole file as text (Node only). */
export function readTextFile(path: string | URL, hint = 'in a browser, fetch the text'): string {
  return read(path, (fs) => fs.readFileSync(path, 'utf8'), hint);
}

/** A whole file as bytes (Node only). */
export function readBinaryFile(
  path: string | URL,
  hint = 'in a browser, fetch the bytes',
): Uint8Array {
  return read(path, (fs) => fs.readFileSync(path), hint);
}
