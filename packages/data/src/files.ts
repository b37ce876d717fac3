/**
 * Reading input files safely: only regular files (a device, FIFO or socket is refused before a byte is read, and a
 * FIFO is opened non-blocking so it cannot hang the process), and never more bytes than the caller's bound. Every
 * package that reads a user-supplied path (experiment files, IDX data, weights, the results database) goes through
 * these, so `/dev/zero` behind a symlink or a named pipe gets one clear error instead of exhausting memory.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** What a path is (after following symlinks). */
export type FileKind = 'file' | 'directory' | 'FIFO (named pipe)' | 'character device' | 'block device' | 'socket' | 'special file';

export function fileKind(st: Stats): FileKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/**
 * NOT_FOUND: no such file (or a path component is not a directory); NO_ACCESS: permission denied;
 * NOT_REGULAR: a directory, device, FIFO or socket; TOO_LARGE: bigger than the reader's bound.
 */
export type FileAccessCode = 'NOT_FOUND' | 'NO_ACCESS' | 'NOT_REGULAR' | 'TOO_LARGE';

/** A path that cannot be read as an input file. `message` is `<path>: <what is wrong>` (callers add the fix). */
export class FileAccessError extends Error {
  override readonly name = 'FileAccessError';
  constructor(readonly code: FileAccessCode, readonly path: string, readonly problem: string, options?: { cause?: unknown }) {
    super(`${path}: ${problem}`, options);
  }
}

function accessError(err: unknown, path: string): FileAccessError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileAccessError('NOT_FOUND', path, 'file not found', { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new FileAccessError('NO_ACCESS', path, 'cannot be read (permission denied)', { cause: err });
  if (code === 'ELOOP') return new FileAccessError('NOT_FOUND', path, 'a symbolic link loop', { cause: err });
  return null;
}

function notRegular(path: string, kind: FileKind): FileAccessError {
  return new FileAccessError('NOT_REGULAR', path, kind === 'directory' ? 'is a directory, not a file' : `is a ${kind}, not a regular file: sweeplab only reads regular files`);
}

/** Size of a regular file (following symlinks); FileAccessError for anything else. */
export function regularFileSize(path: string): number {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    throw accessError(err, path) ?? err;
  }
  const kind = fileKind(st);
  if (kind !== 'file') throw notRegular(path, kind);
  return st.size;
}

/** A regular file opened for reading: its descriptor and size. Close it with `closeSync(fd)`. */
export function openRegular(path: string): { fd: number; size: number } {
  regularFileSize(path); // refuses a device, FIFO or socket before opening it (a socket cannot even be opened)
  let fd: number;
  try {
    // O_NONBLOCK: if a FIFO replaced the file since, opening it for reading must not wait for a writer
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw accessError(err, path) ?? err;
  }
  try {
    const st = fstatSync(fd);
    const kind = fileKind(st);
    if (kind !== 'file') throw notRegular(path, kind);
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Reads `length` bytes at `position` of an open file (fewer at its end). */
export function readAt(fd: number, length: number, position: number): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? out : out.subarray(0, got);
}

const mib = (n: number) => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 0)} MiB`;

/**
 * Reads a whole regular file of at most `maxBytes` bytes. Larger files are refused (TOO_LARGE, naming both sizes)
 * before anything is read; `what` names the kind of file in that message (e.g. "an experiment file").
 */
export function readRegularFile(path: string, maxBytes: number, what: string): Uint8Array {
  const { fd, size } = openRegular(path);
  try {
    if (size > maxBytes) {
      throw new FileAccessError('TOO_LARGE', path, `is ${mib(size)}, larger than the ${mib(maxBytes)} sweeplab reads as ${what}`);
    }
    // read one byte past the size: a file that grew since fstat is refused rather than read unbounded
    const bytes = readAt(fd, size + 1, 0);
    if (bytes.length > size) throw new FileAccessError('TOO_LARGE', path, `grew while being read (more than ${size} bytes)`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}
