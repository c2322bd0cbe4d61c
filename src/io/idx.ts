// The IDX format of the MNIST files: a 4-byte magic (two zero bytes, a type code, the number of
// dimensions), the dimensions as big-endian uint32, then the values row-major. Only unsigned bytes
// (type 0x08), the type of every MNIST-style file, are read. Gzipped files (1f 8b) are inflated
// first. Every problem is one DataError naming the file and what was expected.
import { DataError, builtin, describePath, readBinaryFile } from './files.js';

export interface IdxArray {
  readonly source: string;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

interface NodeZlib {
  gunzipSync(data: Uint8Array): Uint8Array;
}

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    const zlib = builtin<NodeZlib>('node:zlib');
    if (!zlib) throw new DataError(`${source}: gzipped IDX needs Node's zlib`);
    try {
      buf = zlib.gunzipSync(buf);
    } catch {
      throw new DataError(`${source}: not a valid gzip file`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(`${source}: not an IDX file (expected the magic bytes 00 00 08 <dims>)`);
  }
  if (buf[2] !== 0x08) {
    throw new DataError(
      `${source}: IDX value type 0x${(buf[2] as number).toString(16)} is not supported (expected 0x08, unsigned bytes)`,
    );
  }
  const rank = buf[3] as number;
  const header = 4 + 4 * rank;
  if (rank < 1 || buf.length < header) {
    throw new DataError(`${source}: truncated IDX header (${rank} dimensions)`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length !== header + size) {
    throw new DataError(
      `${source}: IDX shape [${shape.join(', ')}] needs ${header + size} bytes, the file has ${buf.length}`,
    );
  }
  return { source, shape, data: buf.subarray(header) };
}

/** Reads an IDX file (Node only). */
export function readIdx(path: string | URL): IdxArray {
  return parseIdx(readBinaryFile(path), describePath(path));
}
