/**
 * Initial weights from, and trained weights to, NumPy files: a directory with W1.npy..WL.npy or an .npz
 * archive with the keys W1..WL. Wl has shape (n_{l-1} + 1, n_l), C order, bias in row 0: exactly nn-core's
 * parameter block for layer l, so loading and saving are plain copies.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { WeightsFileError } from './errors.js';
import { encodeNpy, parseNpy, type NpyArray } from './npy.js';
import { blockSizes, describeLayers } from './spec.js';
import type { DType, FloatArray, Mlp, ModelSpec } from './types.js';

function isNpz(path: string): boolean {
  return path.toLowerCase().endsWith('.npz');
}

/** The W-arrays of a file set: key 'W3' -> parsed array (parsing lazily per key for clear errors). */
function readArrays(path: string): { keys: number[]; get: (l: number) => NpyArray; where: (l: number) => string } {
  if (!existsSync(path)) {
    throw new WeightsFileError('NOT_FOUND', path, `${path}: no such file or directory; fix: give init.npy a directory holding W1.npy..WL.npy or an .npz archive with W1..WL`);
  }
  if (statSync(path).isDirectory()) {
    const keys = readdirSync(path).map((f) => /^W([1-9]\d*)\.npy$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
    return {
      keys,
      get: (l) => {
        const file = join(path, `W${l}.npy`);
        return parseNpy(new Uint8Array(readFileSync(file)), file);
      },
      where: (l) => join(path, `W${l}.npy`),
    };
  }
  if (path.toLowerCase().endsWith('.npy')) {
    throw new WeightsFileError('NOT_FOUND', path, `${path}: is a single .npy file; fix: give init.npy the directory that holds W1.npy..WL.npy (or an .npz archive with W1..WL)`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(readFileSync(path)));
  } catch (e) {
    throw new WeightsFileError('CORRUPT', path, `${path}: not a readable .npz (zip) archive (${(e as Error).message}); fix: write it with numpy.savez(path, W1=..., W2=...)`);
  }
  const byLayer = new Map<number, string>();
  for (const name of Object.keys(entries)) {
    const m = /^W([1-9]\d*)(\.npy)?$/.exec(name);
    if (m !== null) byLayer.set(Number(m[1]), name);
  }
  return {
    keys: [...byLayer.keys()],
    get: (l) => parseNpy(entries[byLayer.get(l) as string], `${path}[W${l}]`),
    where: (l) => `${path}[W${l}]`,
  };
}

/**
 * Reads W1..WL for `spec` from a directory of .npy files or an .npz archive into a new flat parameter buffer
 * of `dtype` (float32 files are widened exactly; float64 files are rounded for a float32 model).
 * Validates the number of layers, each shape (n_{l-1} + 1, n_l), C order and the dtype.
 */
export function loadWeights(path: string, spec: ModelSpec, dtype: DType): FloatArray {
  const L = spec.layers.length - 1;
  const arch = describeLayers(spec.layers);
  const src = readArrays(path);
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
  return out;
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
