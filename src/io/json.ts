// JSON text read from files (configs, run files, saved reports), with its problems in plain words:
// V8's own messages ("Unexpected token } in JSON at position 12", "Unexpected end of JSON input")
// read as engine output, and a file written by an editor may start with a byte-order mark.
import { parseDocument } from 'yaml';

/** Why a JSON text cannot be read, in words a user can act on (no parser wording). */
export class JsonTextError extends Error {
  override name = 'JsonTextError';
}

/** Line and column (from 1) of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/**
 * The value of a JSON text. Raises JsonTextError: "is empty", "is cut short (its JSON ends before
 * it is complete)", or "is not valid JSON at line L, column C"; with `uniqueKeys`, a key given twice
 * in one object (which JSON.parse would let the last one win) is refused with its line too.
 */
export function parseJsonText(text: string, options: { uniqueKeys?: boolean } = {}): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new JsonTextError('is empty');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const message = String((error as Error).message);
    if (/end of JSON input|Unterminated/.test(message))
      throw new JsonTextError('is cut short (its JSON ends before it is complete)');
    const at = /at position (\d+)/.exec(message);
    if (!at) throw new JsonTextError('is not valid JSON');
    // Stuck at the very end: a file cut short (a copy that did not finish, a full disk).
    if (Number(at[1]) >= body.trimEnd().length)
      throw new JsonTextError('is cut short (its JSON ends before it is complete)');
    const { line, column } = lineAndColumn(body, Number(at[1]));
    throw new JsonTextError(`is not valid JSON at line ${line}, column ${column}`);
  }
  if (options.uniqueKeys) {
    // JSON is YAML's flow style: the YAML parser reports a repeated key where JSON.parse is silent.
    const doc = parseDocument(body, { logLevel: 'silent', uniqueKeys: true });
    const repeated = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
    if (repeated) {
      const { line, column } = lineAndColumn(body, repeated.pos[0]);
      throw new JsonTextError(
        `gives a key twice in one object (line ${line}, column ${column}); JSON would keep only the last, so say it once`,
      );
    }
  }
  return value;
}
