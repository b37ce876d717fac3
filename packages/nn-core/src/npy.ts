/**
 * NumPy .npy (format 1.0 / 2.0 / 3.0) reading and .npy 1.0 writing for 2-D float arrays, byte for byte as
 * numpy.save writes them, so `numpy.load` reads our files and we read numpy's.
 * Spec: numpy/lib/format.py. Layout: "\x93NUMPY" + major + minor + header length (uint16 LE in 1.0, uint32 LE
 * in 2.0/3.0) + a Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (r, c), } padded with
 * spaces and ended by '\n' so the data starts at a multiple of 64 bytes.
 */
import { WeightsFileError } from './errors.js';

export interface NpyArray {
  dtype: 'float32' | 'float64';
  shape: number[];
  /** the elements in C order, converted to the host's (little-endian) float of `dtype` */
  data: Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function fail(code: 'CORRUPT' | 'DTYPE' | 'FORTRAN_ORDER', path: string, what: string, fix: string): never {
  throw new WeightsFileError(code, path, `${path}: ${what}; fix: ${fix}`);
}

/** Parses one .npy file's bytes. `path` is used in error messages only. */
export function parseNpy(bytes: Uint8Array, path: string): NpyArray {
  const resave = "re-save it with numpy.save(path, np.ascontiguousarray(W, dtype=np.float64))";
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) fail('CORRUPT', path, 'not a .npy file (bad magic)', resave);
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('CORRUPT', path, 'truncated .npy header', resave);
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 0x1000000;
    start = 12;
  } else {
    return fail('CORRUPT', path, `unsupported .npy format version ${major}.${bytes[7]}`, resave);
  }
  if (start + headerLen > bytes.length) fail('CORRUPT', path, 'truncated .npy header', resave);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail('CORRUPT', path, `unreadable .npy header ${JSON.stringify(header.trim())}`, resave);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail('CORRUPT', path, `bad shape (${shapeText}) in the .npy header`, resave);

  const m = /^([<>|=])f([48])$/.exec(descr);
  if (m === null) fail('DTYPE', path, `dtype '${descr}' is not supported (only float32 '<f4' and float64 '<f8')`, 'convert with W.astype(np.float64) and save again');
  const size = Number(m[2]);
  const bigEndian = m[1] === '>';
  if (fortran === 'True') fail('FORTRAN_ORDER', path, "the array is saved in Fortran order ('fortran_order': True)", 'save np.ascontiguousarray(W) (C order) instead');

  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length !== dataStart + count * size) {
    fail('CORRUPT', path, `data is ${bytes.length - dataStart} bytes but shape (${shape.join(', ')}) of '${descr}' needs ${count * size} (truncated or corrupt file)`, resave);
  }
  // Copy into a fresh, aligned buffer; DataView handles either byte order.
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * size);
  const le = !bigEndian;
  if (size === 8) {
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(i * 8, le);
    return { dtype: 'float64', shape, data };
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, le);
  return { dtype: 'float32', shape, data };
}

/** The .npy 1.0 header numpy writes for a C-order little-endian float array of `shape` (format.py). */
export function npyHeader(dtype: 'float32' | 'float64', shape: number[]): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype === 'float64' ? '<f8' : '<f4'}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  // numpy >= 1.24 leaves room to grow the first axis in place: GROWTH_AXIS_MAX_DIGITS = 21.
  if (shape.length > 0) dict += ' '.repeat(21 - String(shape[0]).length);
  const hlen = dict.length + 1; // + '\n'
  const padlen = 64 - ((6 + 2 + 2 + hlen) % 64); // ARRAY_ALIGN = 64; numpy pads even when already aligned
  const total = 10 + hlen + padlen;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const len = hlen + padlen;
  out[8] = len & 0xff;
  out[9] = len >>> 8;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

/** A complete .npy 1.0 file for `data` in C order with `shape`, little-endian. */
export function encodeNpy(data: Float32Array | Float64Array, shape: number[]): Uint8Array {
  const dtype = data instanceof Float64Array ? 'float64' : 'float32';
  const header = npyHeader(dtype, shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  const view = new DataView(out.buffer, header.length);
  if (dtype === 'float64') for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
