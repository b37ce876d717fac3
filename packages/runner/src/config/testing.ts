// Test helpers (not exported from the package): temp experiment files, a tiny IDX data set written byte by byte,
// and positions found by searching the text (independent of the YAML parser the code uses).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'sweeplab-config-'));
}

/** Writes `files` (relative name -> text) under `dir`; returns dir. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function idx(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic); // big-endian: 0x00000803 images (3 dims), 0x00000801 labels (1 dim)
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

/**
 * Four IDX files in `dir` with the MNIST names: `train` and `test` images of rows x cols pixels, labels cycling
 * 0..classes-1 (so the data has exactly `classes` classes).
 */
export function writeIdxData(dir: string, o: { train: number; test: number; rows: number; cols: number; classes: number }): string {
  mkdirSync(dir, { recursive: true });
  const write = (prefix: string, n: number) => {
    const pixels = new Uint8Array(n * o.rows * o.cols).map((_, i) => (i * 37) % 256);
    const labels = new Uint8Array(n).map((_, i) => i % o.classes);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx(0x00000803, [n, o.rows, o.cols], pixels));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx(0x00000801, [n], labels));
  };
  write('train', o.train);
  write('t10k', o.test);
  return dir;
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text` (plus `shift` characters). */
export function posOf(text: string, needle: string, nth = 1, shift = 0): { line: number; col: number } {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`posOf: "${needle}" occurs fewer than ${nth} times`);
  }
  i += shift;
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return { line, col: i - before.lastIndexOf('\n') };
}
