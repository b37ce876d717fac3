// IDX reader/writer for the unsigned-byte files MNIST uses (1 to 3 dimensions).
// Layout: bytes 0-1 = 0x00 0x00, byte 2 = element type (0x08 = unsigned byte), byte 3 = number of dimensions,
// then one big-endian uint32 per dimension, then the data in row-major order. Every check happens before any
// data is touched, so a bad file fails with an IdxFormatError, never with a RangeError from a typed-array view.
import { closeSync, writeFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { FileAccessError, openRegular, readAt } from './files.js';
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
/**
 * The largest IDX data sweeplab reads (256 MiB: MNIST's training images are 47 MB). A header declaring more is
 * refused before anything is allocated, so a hostile or corrupt header cannot exhaust memory.
 */
export const MAX_IDX_DATA_BYTES = 256 * 1024 * 1024;
const REDO = 're-create or re-download the file';

const hex = (b: number): string => '0x' + b.toString(16).padStart(2, '0');
const shape = (dims: readonly number[]): string => `(${dims.join(', ')})`;

/**
 * Reads and checks the header alone (`head`: the first min(available, 16) bytes; `available` = how many bytes the
 * source has, for the truncation messages): magic, element type, rank, dims, and the MAX_IDX_DATA_BYTES limit.
 */
export function parseIdxHeader(head: Uint8Array, available: number, path: string): IdxHeader {
  if (available < 4 || head.length < 4) {
    throw new IdxFormatError('TRUNCATED', path,
      `truncated IDX header: ${available} bytes, too short for the 4-byte magic number; the file is empty or incomplete: ${REDO}`);
  }
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
  if (available < headerBytes || head.length < headerBytes) {
    throw new IdxFormatError('TRUNCATED', path,
      `truncated IDX header: ${nd} dimensions need a ${headerBytes}-byte header but the file has ${available} bytes; ${REDO}`);
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
  if (dataBytes > MAX_IDX_DATA_BYTES) {
    throw new IdxFormatError('TOO_LARGE', path,
      `IDX dimensions ${shape(dims)} declare ${dataBytes} bytes, more than the ${MAX_IDX_DATA_BYTES / 1048576} MiB sweeplab reads; ` +
        'the header is corrupt, or use a subset of the data in a smaller file');
  }
  return { dims, headerBytes, dataBytes };
}

/**
 * Checks an IDX header (`head`: at least the first min(totalLength, 16) bytes) against the total length of the
 * decompressed file, and returns the declared dims. Throws IdxFormatError for every defect.
 */
export function checkIdxHeader(head: Uint8Array, totalLength: number, path: string): IdxHeader {
  const h = parseIdxHeader(head, totalLength, path);
  const { dims, headerBytes, dataBytes } = h;
  const have = totalLength - headerBytes;
  if (have < dataBytes) {
    throw new IdxFormatError('TRUNCATED', path,
      `truncated IDX data: the header declares ${shape(dims)} = ${dataBytes} bytes but only ${have} follow the ${headerBytes}-byte header; the file is incomplete: ${REDO}`);
  }
  if (have > dataBytes) {
    throw new IdxFormatError('SIZE_MISMATCH', path,
      `${have - dataBytes} trailing bytes: the header declares ${shape(dims)} = ${dataBytes} bytes but ${have} follow the ${headerBytes}-byte header; the file is corrupt or was written with a wrong header: ${REDO}`);
  }
  return h;
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

/** Maps a FileAccessError to an IdxFormatError with `hint` as the fix; anything else is rethrown. */
function openFailure(err: unknown, path: string, hint: string): never {
  if (!(err instanceof FileAccessError)) throw err;
  const dir = err.problem.startsWith('is a directory');
  const code = err.code === 'TOO_LARGE' ? 'TOO_LARGE' : err.code === 'NOT_REGULAR' && !dir ? 'NOT_FILE' : 'NOT_FOUND';
  throw new IdxFormatError(code, path, `${err.problem}${dir ? ', not an IDX file' : ''}; ${hint}`, { cause: err });
}

/** The gzip magic at the start of `b`. */
const isGzipBytes = (b: Uint8Array) => b[0] === 0x1f && b[1] === 0x8b;

/**
 * Inflates gzip data to exactly the length its IDX header declares: the first bytes are inflated alone to read the
 * header (refused when it declares more than MAX_IDX_DATA_BYTES), then the whole stream with that length as the
 * output limit, so a gzip bomb stops at the declared size instead of filling memory.
 */
function gunzipBounded(stored: Uint8Array, path: string): Uint8Array {
  const [b0, b1] = stored.subarray(0, 2);
  if (b0 !== 0x1f || b1 !== 0x8b) {
    const idx = b0 === 0 && b1 === 0;
    throw new IdxFormatError('BAD_GZIP', path,
      `not gzip data (first bytes ${b0 !== undefined && b1 !== undefined ? `${hex(b0)} ${hex(b1)}` : `: ${stored.length} bytes`}), expected 0x1f 0x8b; ` +
        (idx ? 'it looks like an uncompressed IDX file: remove the .gz suffix' : REDO));
  }
  const corrupt = (err: unknown) => new IdxFormatError('BAD_GZIP', path,
    `corrupt gzip data (zlib: ${(err as Error).message}); ${REDO} (gunzip -t shows the damage)`, { cause: err });
  let head: Buffer;
  try {
    // A 4 KiB prefix inflates with Z_SYNC_FLUSH instead of failing for its missing end (deflate expands at most
    // ~1032x: a few MiB): enough for the IDX header. If it gives too few bytes (a small or damaged file), up to
    // 1 MiB of the stream is inflated whole (at most ~1 GiB out), so a damaged stream reports zlib's own error.
    head = gunzipSync(stored.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 8 << 20 });
    if (head.byteLength < MAX_HEADER_BYTES) head = gunzipSync(stored.subarray(0, 1 << 20), { maxOutputLength: 1100 << 20 });
  } catch (err) {
    throw corrupt(err);
  }
  const h = parseIdxHeader(new Uint8Array(head.buffer, head.byteOffset, Math.min(head.byteLength, MAX_HEADER_BYTES)), head.byteLength, path);
  const declared = h.headerBytes + h.dataBytes;
  let out: Buffer;
  try {
    out = gunzipSync(stored, { maxOutputLength: declared });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new IdxFormatError('SIZE_MISMATCH', path,
        `the gzip data inflates to more than the ${declared} bytes its IDX header declares (a damaged file or a gzip bomb); ${REDO}`, { cause: err });
    }
    throw corrupt(err);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Reads a file and decompresses it if its name ends in `.gz` or its content starts with the gzip magic. Only
 * regular files are read; an uncompressed file's header is checked against its size before its data is read, and
 * a compressed one inflates to at most the size its header declares.
 * @param hint the fix to suggest when the file is missing.
 */
export function readFileBytes(path: string, hint = 'check the path'): FileBytes {
  let file: { fd: number; size: number };
  try {
    file = openRegular(path);
  } catch (err) {
    openFailure(err, path, hint);
  }
  try {
    const head = readAt(file.fd, Math.min(MAX_HEADER_BYTES, file.size), 0);
    const gz = isGzipPath(path) || isGzipBytes(head);
    if (!gz) checkIdxHeader(head, file.size, path); // the size against the header before reading the data
    else if (file.size > MAX_IDX_DATA_BYTES + 1048576) {
      throw new IdxFormatError('TOO_LARGE', path, `the gzip file is ${file.size} bytes, more than sweeplab reads (${MAX_IDX_DATA_BYTES / 1048576} MiB of IDX data); ${hint}`);
    }
    const stored = readAt(file.fd, file.size, 0);
    return { stored, bytes: gz ? gunzipBounded(stored, path) : stored, gz };
  } finally {
    closeSync(file.fd);
  }
}

/**
 * Checks only the header of an uncompressed IDX file against its size on disk (reads 16 bytes).
 * Returns null for gzip files, whose decompressed length is only known after decompressing them.
 */
export function readIdxHeaderFile(path: string, hint = 'check the path'): IdxHeader | null {
  if (isGzipPath(path)) return null;
  let file: { fd: number; size: number };
  try {
    file = openRegular(path);
  } catch (err) {
    openFailure(err, path, hint);
  }
  try {
    const head = readAt(file.fd, Math.min(MAX_HEADER_BYTES, file.size), 0);
    if (isGzipBytes(head)) return null;
    return checkIdxHeader(head, file.size, path);
  } finally {
    closeSync(file.fd);
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
