// IDX reader/writer for the unsigned-byte files MNIST uses (1 to 3 dimensions).
// Layout: bytes 0-1 = 0x00 0x00, byte 2 = element type (0x08 = unsigned byte), byte 3 = number of dimensions,
// then one big-endian uint32 per dimension, then the data in row-major order. Every check happens before any
// data is touched, so a bad file fails with an IdxFormatError, never with a RangeError from a typed-array view.
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { IdxFormatError } from './errors.js';

/** A parsed unsigned-byte IDX array: `data` holds prod(dims) bytes in row-major order. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** What the header declares, after it has been checked against the total (decompressed) length. */
export interface IdxHeader {
  dims: number[];
  headerBytes: number; // 4 + 4 * dims.length
  dataBytes: number; // prod(dims)
}

const UBYTE = 0x08;
const MAX_DIMS = 3;
const MAX_HEADER_BYTES = 4 + 4 * MAX_DIMS;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};
const IN_MEMORY = '(in-memory IDX)';
const REDO = 're-create or re-download the file';

const hex = (b: number): string => '0x' + b.toString(16).padStart(2, '0');
const shape = (dims: readonly number[]): string => `(${dims.join(', ')})`;

/**
 * Checks an IDX header (`head`: at least the first min(totalLength, 16) bytes) against the total length of the
 * decompressed file, and returns the declared dims. Throws IdxFormatError for every defect.
 */
export function checkIdxHeader(head: Uint8Array, totalLength: number, path: string): IdxHeader {
  if (totalLength < 4) {
    throw new IdxFormatError('TRUNCATED', path,
      `truncated IDX header: ${totalLength} bytes, too short for the 4-byte magic number; the file is empty or incomplete: ${REDO}`);
  }
  // `head` holds at least min(totalLength, 16) >= 4 bytes here; the defaults only keep a too-short `head` an IDX error.
  const [m0 = 0, m1 = 0, type = 0, nd = 0] = head.subarray(0, 4);
  if (m0 !== 0 || m1 !== 0) {
    const gz = m0 === 0x1f && m1 === 0x8b;
    throw new IdxFormatError('BAD_MAGIC', path,
      `bad IDX magic: first bytes are ${hex(m0)} ${hex(m1)}, expected 0x00 0x00; ` +
        (gz ? 'these are gzip data: decompress them first (readIdxFile does this for files)' : `this is not an IDX file: check the path or ${REDO}`));
  }
  if (type !== UBYTE) {
    const name = TYPE_NAMES[type] ?? 'unknown';
    throw new IdxFormatError('BAD_TYPE', path,
      `IDX element type ${hex(type)} (${name}) is not supported, only unsigned byte (0x08); convert the file to uint8 values`);
  }
  if (nd < 1 || nd > MAX_DIMS) {
    throw new IdxFormatError('BAD_DIMS', path,
      `IDX header declares ${nd} dimensions, only 1 to ${MAX_DIMS} are supported (labels: 1, images: 3); the header is corrupt or this is not an MNIST-style file`);
  }
  const headerBytes = 4 + 4 * nd;
  if (totalLength < headerBytes) {
    throw new IdxFormatError('TRUNCATED', path,
      `truncated IDX header: ${nd} dimensions need a ${headerBytes}-byte header but the file has ${totalLength} bytes; ${REDO}`);
  }
  const view = new DataView(head.buffer, head.byteOffset, headerBytes);
  const dims: number[] = [];
  let dataBytes = 1;
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  for (const [i, d] of dims.entries()) {
    if (d === 0) {
      throw new IdxFormatError('BAD_DIMS', path,
        `IDX dimension ${i + 1} of ${shape(dims)} is 0, every dimension must be at least 1; the header is corrupt: ${REDO}`);
    }
    dataBytes *= d;
  }
  if (dataBytes > Number.MAX_SAFE_INTEGER) {
    throw new IdxFormatError('BAD_DIMS', path,
      `IDX dimensions ${shape(dims)} declare an absurd size (more than 2^53 bytes); the header is corrupt: ${REDO}`);
  }
  const have = totalLength - headerBytes;
  if (have < dataBytes) {
    throw new IdxFormatError('TRUNCATED', path,
      `truncated IDX data: the header declares ${shape(dims)} = ${dataBytes} bytes but only ${have} follow the ${headerBytes}-byte header; the file is incomplete: ${REDO}`);
  }
  if (have > dataBytes) {
    throw new IdxFormatError('SIZE_MISMATCH', path,
      `${have - dataBytes} trailing bytes: the header declares ${shape(dims)} = ${dataBytes} bytes but ${have} follow the ${headerBytes}-byte header; the file is corrupt or was written with a wrong header: ${REDO}`);
  }
  return { dims, headerBytes, dataBytes };
}

/**
 * Parses unsigned-byte IDX bytes (not gzip). `data` is a view into `bytes`, no copy.
 * @param path names the source in error messages.
 * @throws IdxFormatError (TRUNCATED, BAD_MAGIC, BAD_TYPE, BAD_DIMS, SIZE_MISMATCH)
 */
export function parseIdx(bytes: Uint8Array, path: string = IN_MEMORY): IdxArray {
  const { dims, headerBytes } = checkIdxHeader(bytes, bytes.length, path);
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Encodes an array as unsigned-byte IDX: 1-3 dims, each in 1..2^32-1, with prod(dims) === data.length.
 * @throws IdxFormatError (BAD_DIMS, SIZE_MISMATCH) for an inconsistent array.
 */
export function encodeIdx(arr: IdxArray, path = '(encodeIdx)'): Uint8Array {
  const { dims, data } = arr;
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > MAX_DIMS) {
    throw new IdxFormatError('BAD_DIMS', path,
      `cannot encode ${Array.isArray(dims) ? dims.length : 'non-array'} dimensions, IDX supports 1 to ${MAX_DIMS}; pass dims like [n] or [n, rows, cols]`);
  }
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) {
      throw new IdxFormatError('BAD_DIMS', path, `cannot encode dims ${shape(dims)}: each must be an integer in 1..4294967295`);
    }
    n *= d;
  }
  if (n !== data.length) {
    throw new IdxFormatError('SIZE_MISMATCH', path,
      `cannot encode dims ${shape(dims)} = ${n} bytes with ${data.length} data bytes; make data.length equal the product of dims`);
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + n);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, headerBytes);
  return out;
}

/** Bytes of a file as stored, and decompressed if it is gzip. */
export interface FileBytes {
  stored: Uint8Array;
  bytes: Uint8Array; // IDX bytes (decompressed when gz)
  gz: boolean;
}

const isGzipPath = (path: string): boolean => path.toLowerCase().endsWith('.gz');

/** Maps an fs error to NOT_FOUND with `hint` as the fix; anything else is rethrown. */
function openFailure(err: unknown, path: string, hint: string): never {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const what =
    code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found'
      : code === 'EISDIR' ? 'is a directory, not an IDX file'
        : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)'
          : null;
  if (what === null) throw err;
  throw new IdxFormatError('NOT_FOUND', path, `${what}; ${hint}`, { cause: err });
}

function gunzip(stored: Uint8Array, path: string): Uint8Array {
  const [b0, b1] = stored.subarray(0, 2);
  if (b0 !== 0x1f || b1 !== 0x8b) {
    const idx = b0 === 0 && b1 === 0;
    throw new IdxFormatError('BAD_GZIP', path,
      `not gzip data (first bytes ${b0 !== undefined && b1 !== undefined ? `${hex(b0)} ${hex(b1)}` : `: ${stored.length} bytes`}), expected 0x1f 0x8b; ` +
        (idx ? 'it looks like an uncompressed IDX file: remove the .gz suffix' : REDO));
  }
  try {
    const out = gunzipSync(stored);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new IdxFormatError('BAD_GZIP', path,
      `corrupt gzip data (zlib: ${(err as Error).message}); ${REDO} (gunzip -t shows the damage)`, { cause: err });
  }
}

/**
 * Reads a file and decompresses it if its name ends in `.gz` or its content starts with the gzip magic.
 * @param hint the fix to suggest when the file is missing.
 */
export function readFileBytes(path: string, hint = 'check the path'): FileBytes {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    openFailure(err, path, hint);
  }
  const stored = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const gz = isGzipPath(path) || (stored[0] === 0x1f && stored[1] === 0x8b);
  return { stored, bytes: gz ? gunzip(stored, path) : stored, gz };
}

/**
 * Checks only the header of an uncompressed IDX file against its size on disk (reads 16 bytes).
 * Returns null for gzip files, whose decompressed length is only known after decompressing them.
 */
export function readIdxHeaderFile(path: string, hint = 'check the path'): IdxHeader | null {
  if (isGzipPath(path)) return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    openFailure(err, path, hint);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new IdxFormatError('NOT_FOUND', path, `is a directory, not an IDX file; ${hint}`);
    const head = new Uint8Array(Math.min(MAX_HEADER_BYTES, st.size));
    readSync(fd, head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return null;
    return checkIdxHeader(head, st.size, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an unsigned-byte IDX file; `.gz` files (or gzip content) are decompressed transparently.
 * @throws IdxFormatError (NOT_FOUND, BAD_GZIP and every parseIdx code), naming the file.
 */
export function readIdxFile(path: string): IdxArray {
  return parseIdx(readFileBytes(path).bytes, path);
}

/** Writes an unsigned-byte IDX file; a path ending in `.gz` is written gzip-compressed. */
export function writeIdxFile(path: string, arr: IdxArray): void {
  const bytes = encodeIdx(arr, path);
  writeFileSync(path, isGzipPath(path) ? gzipSync(bytes) : bytes);
}
