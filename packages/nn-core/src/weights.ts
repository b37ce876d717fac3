/**
 * Initial weights from, and trained weights to, NumPy files: a directory with W1.npy..WL.npy or an .npz
 * archive with the keys W1..WL. Wl has shape (n_{l-1} + 1, n_l), C order, bias in row 0: exactly nn-core's
 * parameter block for layer l, so loading and saving are plain copies.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileAccessError, readRegularFile, regularFileSize } from '@sweeplab/data';
import { unzipSync, zipSync } from 'fflate';
import { WeightsFileError } from './errors.js';
import { encodeNpy, parseNpy, type NpyArray } from './npy.js';
import { blockSizes, describeLayers } from './spec.js';
import type { DType, FloatArray, Mlp, ModelSpec } from './types.js';

function isNpz(path: string): boolean {
  return path.toLowerCase().endsWith('.npz');
}

/** An .npy header is at most 64 KiB (format 1.0 counts its length in 2 bytes; numpy writes ~128 bytes). */
const NPY_HEADER_MAX = 65536 + 16;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A readable weights source: the W-arrays it has, each read (and inflated) only when asked, within its bound. */
interface WeightsSource {
  keys: number[];
  get: (l: number) => NpyArray;
  where: (l: number) => string;
  /** content hash: sha256 of the archive's bytes, or of W1..WL's names and hashes for a directory */
  fingerprint: () => string;
}

function fileError(e: unknown, path: string, fix: string): never {
  if (!(e instanceof FileAccessError)) throw e;
  throw new WeightsFileError(e.code === 'TOO_LARGE' ? 'CORRUPT' : 'NOT_FOUND', path, `${e.message}; fix: ${fix}`);
}

const DIR_FIX = 'give init.npy a directory holding W1.npy..WL.npy or an .npz archive with W1..WL';

/** A directory of W1.npy..WL.npy; each file must be regular and at most `maxBytes(l)`. */
function directorySource(path: string, L: number, maxBytes: (l: number) => number): WeightsSource {
  const keys = readdirSync(path).map((f) => /^W([1-9]\d*)\.npy$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
  const bytes = new Map<number, Uint8Array>();
  const read = (l: number): Uint8Array => {
    let b = bytes.get(l);
    if (!b) {
      const file = join(path, `W${l}.npy`);
      try {
        b = readRegularFile(file, maxBytes(l), `W${l}.npy of this model`);
      } catch (e) {
        fileError(e, file, DIR_FIX);
      }
      bytes.set(l, b);
    }
    return b;
  };
  return {
    keys,
    get: (l) => parseNpy(read(l), join(path, `W${l}.npy`)),
    where: (l) => join(path, `W${l}.npy`),
    fingerprint: () => {
      const h = createHash('sha256');
      for (let l = 1; l <= L; l++) h.update(`W${l}.npy\0`).update(sha256(read(l))).update('\0');
      return h.digest('hex');
    },
  };
}

/**
 * An .npz archive: read whole (it is regular and at most the model's size plus headers), but only the entries
 * W1..WL are inflated, each into a buffer of the size its zip entry declares, refused when that is more than the
 * model's layer can hold: a zip bomb or a huge unrelated entry never inflates.
 */
function archiveSource(path: string, L: number, maxBytes: (l: number) => number): WeightsSource {
  const total = Array.from({ length: L }, (_, i) => maxBytes(i + 1)).reduce((a, b) => a + b, 0);
  let data: Uint8Array;
  try {
    data = readRegularFile(path, total + 1048576, `an .npz archive for this model`);
  } catch (e) {
    fileError(e, path, 'write it with numpy.savez(path, W1=..., W2=...) for this model\'s layers');
  }
  const byLayer = new Map<number, string>();
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data, {
      filter: (f) => {
        const m = /^W([1-9]\d*)(\.npy)?$/.exec(f.name);
        if (m === null) return false;
        const l = Number(m[1]);
        byLayer.set(l, f.name);
        if (l > L) return false;
        if (f.originalSize > maxBytes(l)) {
          throw new WeightsFileError('SHAPE', `${path}[W${l}]`, `${path}[W${l}]: the archive entry declares ${f.originalSize} bytes, more than layer ${l} of this model can hold (${maxBytes(l)} bytes with its header); fix: save the weights of this model's layers`);
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof WeightsFileError) throw e;
    throw new WeightsFileError('CORRUPT', path, `${path}: not a readable .npz (zip) archive (${(e as Error).message}); fix: write it with numpy.savez(path, W1=..., W2=...)`);
  }
  return {
    keys: [...byLayer.keys()],
    get: (l) => parseNpy(entries[byLayer.get(l) as string] ?? new Uint8Array(0), `${path}[W${l}]`),
    where: (l) => `${path}[W${l}]`,
    fingerprint: () => sha256(data),
  };
}

/** The W-arrays of a file set, each bounded by its layer's size in `spec`. */
function readArrays(path: string, spec: ModelSpec): WeightsSource {
  let kind: 'dir' | 'file';
  try {
    kind = statSync(path).isDirectory() ? 'dir' : (regularFileSize(path), 'file');
  } catch (e) {
    if (e instanceof FileAccessError && e.code !== 'NOT_FOUND') fileError(e, path, DIR_FIX);
    throw new WeightsFileError('NOT_FOUND', path, `${path}: no such file or directory; fix: ${DIR_FIX}`);
  }
  const L = spec.layers.length - 1;
  const maxBytes = (l: number) => ((spec.layers[l - 1] ?? 0) + 1) * (spec.layers[l] ?? 0) * 8 + NPY_HEADER_MAX;
  if (kind === 'dir') return directorySource(path, L, maxBytes);
  if (path.toLowerCase().endsWith('.npy')) {
    throw new WeightsFileError('NOT_FOUND', path, `${path}: is a single .npy file; fix: give init.npy the directory that holds W1.npy..WL.npy (or an .npz archive with W1..WL)`);
  }
  return archiveSource(path, L, maxBytes);
}

/**
 * Reads W1..WL for `spec` from a directory of .npy files or an .npz archive into a new flat parameter buffer
 * of `dtype` (float32 files are widened exactly; float64 files are rounded for a float32 model), and the content
 * fingerprint of what it read (the trial id includes it). Only regular files are read, each bounded by the size
 * its layer can hold. Validates the number of layers, each shape (n_{l-1} + 1, n_l), C order and the dtype.
 */
export function readWeights(path: string, spec: ModelSpec, dtype: DType): { params: FloatArray; fingerprint: string } {
  const L = spec.layers.length - 1;
  const arch = describeLayers(spec.layers);
  const src = readArrays(path, spec);
  const keys = [...src.keys].sort((a, b) => a - b);
  const expected = Array.from({ length: L }, (_, i) => i + 1);
  if (keys.length !== L || keys.some((k, i) => k !== expected[i])) {
    const missing = expected.filter((k) => !keys.includes(k)).map((k) => `W${k}`);
    const extra = keys.filter((k) => k > L).map((k) => `W${k}`);
    const detail = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : ''].filter((s) => s).join('; ');
    throw new WeightsFileError('LAYER_COUNT', path, `${path}: holds ${keys.length} weight arrays (${keys.map((k) => `W${k}`).join(', ') || 'none'}) but the model ${arch} has ${L} layers (${detail}); fix: provide exactly W1..W${L}`);
  }
  const sizes = blockSizes(spec.layers);
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = dtype === 'float64' ? new Float64Array(total) : new Float32Array(total);
  let off = 0;
  for (let l = 1; l <= L; l++) {
    const arr = src.get(l);
    const rows = spec.layers[l - 1] + 1;
    const cols = spec.layers[l];
    if (arr.shape.length !== 2 || arr.shape[0] !== rows || arr.shape[1] !== cols) {
      const got = `(${arr.shape.join(', ')}${arr.shape.length === 1 ? ',' : ''})`;
      const transposed = arr.shape.length === 2 && arr.shape[0] === cols && arr.shape[1] === rows;
      const hint = transposed ? 'it looks transposed: save W.T' : `layer ${l} of ${arch} needs (n_in + 1, n_out) with the bias in row 0`;
      throw new WeightsFileError('SHAPE', src.where(l), `${src.where(l)}: shape ${got} but layer ${l} of ${arch} needs (${rows}, ${cols}); fix: ${hint}`);
    }
    out.set(arr.data, off);
    off += rows * cols;
  }
  return { params: out, fingerprint: src.fingerprint() };
}

/** `readWeights` without the fingerprint. */
export function loadWeights(path: string, spec: ModelSpec, dtype: DType): FloatArray {
  return readWeights(path, spec, dtype).params;
}

/**
 * Writes the model's parameters as W1..WL in the model's dtype: an .npz archive when `path` ends in .npz
 * (stored entries W1.npy.., as numpy.savez writes), else a directory (created if needed) of W1.npy..WL.npy.
 */
export function saveWeights(model: Mlp, path: string): void {
  const files: Record<string, Uint8Array> = {};
  for (let l = 0; l < model.layers.length; l++) {
    const v = model.layers[l];
    files[`W${l + 1}.npy`] = encodeNpy(model.params.subarray(v.offset, v.offset + v.size), [v.nIn + 1, v.nOut]);
  }
  if (isNpz(path)) {
    writeFileSync(path, zipSync(files, { level: 0 }));
    return;
  }
  mkdirSync(path, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(path, name), bytes);
}
