// Test-only helpers (not exported from the package): tiny IDX files written into a fresh temp directory.
// IDX bytes are built here by hand, independently of encodeIdx, so the tests can check the codec against them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataSpecError, IdxFormatError } from '../errors.js';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under os.tmpdir(), removed when the test process exits. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sweeplab-data-'));
  made.push(d);
  return d;
}

/** Raw IDX bytes with every header field controllable (for malformed files). */
export function idxBytes(dims: number[], data: ArrayLike<number>, header: { magic?: [number, number]; type?: number; ndims?: number } = {}): Uint8Array {
  const [m0, m1] = header.magic ?? [0, 0];
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[0] = m0;
  out[1] = m1;
  out[2] = header.type ?? 0x08;
  out[3] = header.ndims ?? dims.length;
  dims.forEach((d, i) => {
    const o = 4 + 4 * i; // big-endian uint32
    out[o] = (d >>> 24) & 0xff;
    out[o + 1] = (d >>> 16) & 0xff;
    out[o + 2] = (d >>> 8) & 0xff;
    out[o + 3] = d & 0xff;
  });
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

/**
 * n images of rows x cols whose first two pixels encode the image index (p0 = i % 256, p1 = floor(i / 256)) and
 * whose other pixels are (7 * i + 3 * j) % 256, so a scaled row identifies the source image exactly.
 */
export function indexedImages(n: number, rows: number, cols: number, first = 0): Uint8Array {
  const d = rows * cols;
  const px = new Uint8Array(n * d);
  for (let r = 0; r < n; r++) {
    const i = first + r;
    for (let j = 0; j < d; j++) px[r * d + j] = (7 * i + 3 * j) % 256;
    px[r * d] = i % 256;
    if (d > 1) px[r * d + 1] = Math.floor(i / 256) % 256;
  }
  return px;
}

/** The source image index encoded in row r of x (values scaled with [0, 255], i.e. unchanged). */
export function imageIndex(x: ArrayLike<number>, r: number, rowLen: number): number {
  return x[r * rowLen]! + 256 * x[r * rowLen + 1]!;
}

export const NAMES = {
  train_images: 'train-images-idx3-ubyte',
  train_labels: 'train-labels-idx1-ubyte',
  test_images: 't10k-images-idx3-ubyte',
  test_labels: 't10k-labels-idx1-ubyte',
} as const;

export interface DatasetFiles {
  train_images: Uint8Array;
  train_labels: Uint8Array;
  test_images: Uint8Array;
  test_labels: Uint8Array;
}

/**
 * A small dataset of `rows x cols` indexed images with the given labels (label i of train belongs to image i).
 * Returns the IDX bytes of the four files.
 */
export function smallDataset(trainLabels: number[], testLabels: number[], rows = 2, cols = 3): DatasetFiles {
  return {
    train_images: idxBytes([trainLabels.length, rows, cols], indexedImages(trainLabels.length, rows, cols)),
    train_labels: idxBytes([trainLabels.length], trainLabels),
    test_images: idxBytes([testLabels.length, rows, cols], indexedImages(testLabels.length, rows, cols, 1000)),
    test_labels: idxBytes([testLabels.length], testLabels),
  };
}

/** Writes the four files under their standard names (gzip-compressed with a `.gz` suffix when `gz`). */
export function writeDataset(dir: string, files: DatasetFiles, gz = false): string {
  for (const [role, bytes] of Object.entries(files) as [keyof DatasetFiles, Uint8Array][]) {
    writeFileSync(join(dir, NAMES[role] + (gz ? '.gz' : '')), gz ? gzipSync(bytes) : bytes);
  }
  return dir;
}

/** Labels 0..k-1 with the given count per class, interleaved deterministically (class of i = i-th in a round robin). */
export function labelsWithCounts(counts: number[]): number[] {
  const left = [...counts];
  const out: number[] = [];
  while (left.some((c) => c > 0)) {
    for (let c = 0; c < left.length; c++) if (left[c]! > 0) { out.push(c); left[c]! -= 1; }
  }
  return out;
}

/** Asserts that fn throws an IdxFormatError with this code and path, whose single-line message names the path. */
export function throwsIdx(fn: () => unknown, code: IdxFormatError['code'], path: string, contains: (string | RegExp)[] = []): IdxFormatError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof IdxFormatError, `expected IdxFormatError ${code}, got ${String(caught)}`);
  assert.equal(caught.name, 'IdxFormatError');
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.path, path);
  assert.ok(caught.message.includes(path), `message should name ${path}: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), 'message is one line');
  for (const c of contains) {
    if (typeof c === 'string') assert.ok(caught.message.includes(c), `message should contain ${c}: ${caught.message}`);
    else assert.match(caught.message, c);
  }
  return caught;
}

/** Asserts that fn throws a DataSpecError with this code whose message starts with the key. */
export function throwsSpec(fn: () => unknown, code: DataSpecError['code'], key: string, contains: string[] = []): DataSpecError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DataSpecError, `expected DataSpecError ${code}, got ${String(caught)}`);
  assert.equal(caught.name, 'DataSpecError');
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.key, key);
  assert.ok(caught.message.startsWith(`${key}: `), caught.message);
  assert.ok(!caught.message.includes('\n'), 'message is one line');
  for (const c of contains) assert.ok(caught.message.includes(c), `message should contain ${c}: ${caught.message}`);
  return caught;
}
