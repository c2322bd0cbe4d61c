// A reader for the numeric matrices of MATLAB Level 5 MAT-files (what MATLAB writes with -v6 or
// -v7, and scipy.io.savemat by default): real, non-sparse arrays of any numeric class, stored
// plainly or zlib-compressed (miCOMPRESSED), little- or big-endian. Enough for data files such as
// Omniglot's chardata.mat; cells, structs, strings, sparse and complex arrays are skipped or
// refused with an error that names the file and the variable. No npm package reads this format
// under a permissive licence, hence this small reader.
import { DataError, builtin } from './files.js';

interface NodeZlib {
  inflateSync(data: Uint8Array): Uint8Array;
}

export interface MatMatrix {
  /** MATLAB dimensions, e.g. [784, 24345]. */
  dims: number[];
  /** Values in MATLAB's column-major order. */
  values: Float64Array;
}

const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;

type ValueReader = (v: DataView, offset: number, little: boolean) => number;

/** Byte width and reader of each numeric MAT data type, chosen once per element, not per value. */
const NUMERIC: Record<number, { width: number; read: ValueReader }> = {
  [MI.INT8]: { width: 1, read: (v, o) => v.getInt8(o) },
  [MI.UINT8]: { width: 1, read: (v, o) => v.getUint8(o) },
  [MI.INT16]: { width: 2, read: (v, o, le) => v.getInt16(o, le) },
  [MI.UINT16]: { width: 2, read: (v, o, le) => v.getUint16(o, le) },
  [MI.INT32]: { width: 4, read: (v, o, le) => v.getInt32(o, le) },
  [MI.UINT32]: { width: 4, read: (v, o, le) => v.getUint32(o, le) },
  [MI.SINGLE]: { width: 4, read: (v, o, le) => v.getFloat32(o, le) },
  [MI.DOUBLE]: { width: 8, read: (v, o, le) => v.getFloat64(o, le) },
  [MI.INT64]: { width: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  [MI.UINT64]: { width: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

/** mxCLASS ids of the numeric classes (double, single, int8 .. uint64). */
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
const SPARSE_CLASS = 5;
const COMPLEX_FLAG = 0x800;

interface Element {
  type: number;
  data: DataView;
  /** Offset of the next element in the enclosing buffer. */
  next: number;
}

class Reader {
  constructor(
    private readonly file: string,
    private readonly little: boolean,
  ) {}

  fail(what: string): never {
    throw new DataError(`${this.file}: ${what}`);
  }

  /** The data element at `offset` of `view` (small format or not; padded to 8 bytes unless compressed). */
  element(view: DataView, offset: number): Element {
    if (offset + 8 > view.byteLength) this.fail(`truncated data element at byte ${offset}`);
    const first = view.getUint32(offset, this.little);
    if (first >>> 16 !== 0) {
      // Small data element: type and size share the first word, the data sits in the second.
      const size = first >>> 16;
      if (size > 4) this.fail(`bad small data element at byte ${offset}`);
      return {
        type: first & 0xffff,
        data: new DataView(view.buffer, view.byteOffset + offset + 4, size),
        next: offset + 8,
      };
    }
    const size = view.getUint32(offset + 4, this.little);
    const end = offset + 8 + size;
    if (end > view.byteLength) this.fail(`data element at byte ${offset} runs past the end`);
    const next = first === MI.COMPRESSED ? end : offset + 8 + Math.ceil(size / 8) * 8;
    return {
      type: first,
      data: new DataView(view.buffer, view.byteOffset + offset + 8, size),
      next: Math.min(next, view.byteLength),
    };
  }

  numbers(e: Element, what: string): Float64Array {
    const v = e.data;
    const le = this.little;
    const format = NUMERIC[e.type];
    if (!format) this.fail(`${what} has unsupported data type ${e.type}`);
    const { width, read } = format;
    const n = Math.floor(v.byteLength / width);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = read(v, i * width, le);
    return out;
  }

  /** A miMATRIX element: its name and, when it is a real numeric array, its values. */
  matrix(e: Element): { name: string; matrix: MatMatrix | null } {
    const v = e.data;
    const flags = this.element(v, 0);
    const dimsEl = this.element(v, flags.next);
    const nameEl = this.element(v, dimsEl.next);
    const name = new TextDecoder().decode(
      new Uint8Array(nameEl.data.buffer, nameEl.data.byteOffset, nameEl.data.byteLength),
    );
    const flagWord = flags.data.getUint32(0, this.little);
    const cls = flagWord & 0xff;
    if (!NUMERIC_CLASSES.has(cls) && cls !== SPARSE_CLASS) return { name, matrix: null };
    if (cls === SPARSE_CLASS) this.fail(`variable '${name}' is sparse; save it as a full matrix`);
    if (flagWord & COMPLEX_FLAG) this.fail(`variable '${name}' is complex; expected real values`);
    const dims = Array.from(this.numbers(dimsEl, `dimensions of '${name}'`));
    const real = this.element(v, nameEl.next);
    const values = this.numbers(real, `variable '${name}'`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (values.length !== count) {
      this.fail(
        `variable '${name}' has ${values.length} values for dimensions [${dims.join(', ')}]`,
      );
    }
    return { name, matrix: { dims, values } };
  }
}

/** The real numeric matrices of a Level 5 MAT-file's bytes, by variable name. */
export function parseMat(bytes: Uint8Array, file = 'MAT-file'): Map<string, MatMatrix> {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(116, bytes.length)));
  if (bytes.length < 128 || !text.startsWith('MATLAB')) {
    throw new DataError(`${file}: not a MATLAB MAT-file (no 'MATLAB' header)`);
  }
  const endian = String.fromCharCode(bytes[126] as number, bytes[127] as number);
  if (endian !== 'IM' && endian !== 'MI') {
    throw new DataError(`${file}: not a Level 5 MAT-file (bad endian indicator)`);
  }
  const little = endian === 'IM';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(124, little);
  if (version !== 0x0100) {
    throw new DataError(
      `${file}: MAT-file version 0x${version.toString(16)} (v7.3 files are HDF5) is not supported; save it with -v7 or -v6`,
    );
  }
  const reader: Reader = new Reader(file, little);
  const out = new Map<string, MatMatrix>();
  let offset = 128;
  while (offset + 8 <= bytes.length) {
    let e = reader.element(view, offset);
    offset = e.next;
    if (e.type === MI.COMPRESSED) {
      const zlib = builtin<NodeZlib>('node:zlib');
      if (!zlib) reader.fail("compressed variables need Node's zlib");
      let inflated: Uint8Array;
      try {
        inflated = zlib.inflateSync(
          new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength),
        );
      } catch {
        reader.fail('a compressed variable does not inflate (corrupt file?)');
      }
      e = reader.element(
        new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength),
        0,
      );
    }
    if (e.type !== MI.MATRIX) continue;
    const { name, matrix } = reader.matrix(e);
    if (matrix) out.set(name, matrix);
  }
  return out;
}
