// A tiny strict reader for numeric CSV tables: one header line of column names, then rows of
// plain decimal numbers, all with the same number of fields. No quoting, no missing values, no
// NaN or Infinity. Every error is one line naming the source, the line and the problem.
//
// Reading from disk goes through process.getBuiltinModule (Node >= 20.16), not a static
// `import 'node:fs'`, so that this module (and the targets that use it) can be bundled for
// browsers, where parseNumericCsv still works on text fetched by other means.

import { DataError, describePath, readTextFile } from './files.js';

export { DataError, describePath };

/** A numeric table, row-major. */
export interface NumericTable {
  /** Where the table came from (a path or a label), for messages. */
  readonly source: string;
  readonly columns: readonly string[];
  readonly numRows: number;
  readonly numColumns: number;
  /** numRows x numColumns values, row-major. */
  readonly values: Float64Array;
}

// A plain decimal number: optional sign, digits with an optional fraction (or a leading-dot
// fraction), optional exponent. Rejects '', 'NaN', 'Infinity', '0x1f', '1_000', '1,5'.
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Shortens a field for an error message. */
function show(field: string): string {
  return JSON.stringify(field.length > 40 ? `${field.slice(0, 37)}...` : field);
}

/** Parses the text of a numeric CSV table; `source` names it in error messages. */
export function parseNumericCsv(text: string, source: string): NumericTable {
  const lines = text.split(/\r?\n/);
  // Trailing empty lines (a final newline) are fine; an empty line inside the table is not.
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  if (lines.length === 0) throw new DataError(`${source}: empty file (expected a header line)`);

  const columns = (lines[0] as string).split(',').map((c) => c.trim());
  const numColumns = columns.length;
  const emptyName = columns.findIndex((c) => c === '');
  if (emptyName >= 0) {
    throw new DataError(`${source}: line 1: column ${emptyName + 1} has an empty name`);
  }
  for (const c of columns) {
    if (NUMBER.test(c)) {
      throw new DataError(
        `${source}: line 1: expected a header of column names, got the number ${show(c)}`,
      );
    }
  }

  const numRows = lines.length - 1;
  if (numRows === 0) throw new DataError(`${source}: no data rows after the header`);
  const values = new Float64Array(numRows * numColumns);
  for (let r = 0; r < numRows; r++) {
    const lineNo = r + 2;
    const line = lines[r + 1] as string;
    if (line.trim() === '') throw new DataError(`${source}: line ${lineNo}: empty line`);
    const fields = line.split(',');
    if (fields.length !== numColumns) {
      throw new DataError(
        `${source}: line ${lineNo}: expected ${numColumns} fields, got ${fields.length}`,
      );
    }
    for (let c = 0; c < numColumns; c++) {
      const field = (fields[c] as string).trim();
      if (!NUMBER.test(field)) {
        throw new DataError(
          `${source}: line ${lineNo}, column ${c + 1} (${columns[c]}): ${show(field)} is not a number`,
        );
      }
      const x = Number(field);
      if (!Number.isFinite(x)) {
        throw new DataError(
          `${source}: line ${lineNo}, column ${c + 1} (${columns[c]}): ${show(field)} overflows`,
        );
      }
      values[r * numColumns + c] = x;
    }
  }
  return { source, columns, numRows, numColumns, values };
}

/** Reads and parses a numeric CSV file (Node only). */
export function readNumericCsv(path: string | URL): NumericTable {
  const text = readTextFile(path, 'in a browser, fetch the text and use parseNumericCsv');
  return parseNumericCsv(text, describePath(path));
}
