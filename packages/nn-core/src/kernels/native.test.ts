// The native kernels (N-API addon over OpenBLAS) against the TypeScript reference, function by function, plus
// the loader's environment handling and fallback reasons, and argument checks that must throw, not crash.
//
// Error measure, stated once: relErr(a, b) = max_i |a_i - b_i| / max(1, max_i |b_i|), b = the TypeScript result.
// Bounds: 1e-5 for Float32Array, 1e-12 for Float64Array.
// If the addon is not built on this machine, every test that needs it is skipped with the loader's reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsKernels } from './js.js';
import {
  loadNativeAddon, nativeTierLabel, openblasCoreForCpu, prepareNativeEnv, REASON_NOT_BUILT,
} from './native.js';
import { Act, OutLoss, type FloatArray, type Kernels } from './types.js';
import { createMlp } from '../model.js';
import { alloc, assertClose, DTYPES, forEachAddon, load, makeRng, nativeOrSkip, rand, TOL, type DT } from '../testing/native-compare.js';

function copy(a: FloatArray): FloatArray {
  return a.slice();
}

function assertCloseNum(dt: DT, a: number, b: number, what: string): void {
  assertClose(dt, [a], [b], what);
}

// ---------------------------------------------------------------------------------------------------------
// Loader
// ---------------------------------------------------------------------------------------------------------

test('openblasCoreForCpu picks SkylakeX for AVX-512 (F/BW/VL/DQ), Haswell for AVX2+FMA, else leaves it to OpenBLAS', () => {
  assert.equal(openblasCoreForCpu('fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512cd'), 'SkylakeX');
  // AVX-512F alone (Knights Landing has no BW/VL/DQ) is not enough for the SkylakeX kernels
  assert.equal(openblasCoreForCpu('avx avx2 fma avx512f avx512cd'), 'Haswell');
  assert.equal(openblasCoreForCpu(new Set(['avx2', 'fma'])), 'Haswell');
  assert.equal(openblasCoreForCpu('sse2 avx avx2'), null);
  assert.equal(openblasCoreForCpu('sse2 sse3 ssse3'), null);
  assert.equal(openblasCoreForCpu(''), null);
});

test('prepareNativeEnv keeps values the user set and defaults OPENBLAS_NUM_THREADS to 1', () => {
  const saved = { core: process.env.OPENBLAS_CORETYPE, threads: process.env.OPENBLAS_NUM_THREADS };
  try {
    process.env.OPENBLAS_CORETYPE = 'Haswell';
    process.env.OPENBLAS_NUM_THREADS = '3';
    let env = prepareNativeEnv();
    assert.equal(env.coretype, 'Haswell');
    assert.equal(env.coretypeSource, 'user');
    assert.equal(process.env.OPENBLAS_CORETYPE, 'Haswell');
    assert.equal(env.numThreads, '3');
    delete process.env.OPENBLAS_NUM_THREADS;
    env = prepareNativeEnv();
    assert.equal(process.env.OPENBLAS_NUM_THREADS, '1');
    assert.equal(env.numThreads, '1');
    assert.equal(env.reachesOpenblas, true); // this test runs in a main thread
  } finally {
    for (const [k, v] of [['OPENBLAS_CORETYPE', saved.core], ['OPENBLAS_NUM_THREADS', saved.threads]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('a missing addon file gives the "not built" reason and no kernels', () => {
  const r = loadNativeAddon('/nonexistent/dir/nn_core.node');
  assert.equal(r.kernels, null);
  assert.equal(r.reason, REASON_NOT_BUILT);
  assert.equal(r.openblasCore, null);
});

test('an addon file that does not load gives the dlopen error as the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nn-core-native-'));
  try {
    const path = join(dir, 'nn_core.node');
    writeFileSync(path, 'not a shared object\n');
    const r = loadNativeAddon(path);
    assert.equal(r.kernels, null);
    assert.match(r.reason, /^loading .*nn_core\.node failed: ERR_DLOPEN_FAILED: /);
    assert.ok(!r.reason.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the addon loads with OpenBLAS pinned to one thread and the core that was asked for', (t) => {
  if (!nativeOrSkip(t)) return;
  assert.equal(load.kernels!.backend, 'native');
  assert.equal(load.reason, '');
  if (load.build?.gemm !== 'openblas') {
    t.skip(`the main addon is the built-in GEMM tier (no OpenBLAS at build time): ${load.build?.isa}`);
    return;
  }
  assert.equal(load.kernels!.tier, 'openblas');
  assert.equal(load.openblasThreads, 1);
  assert.ok(typeof load.openblasCore === 'string' && load.openblasCore.length > 0);
  assert.match(load.openblasConfig ?? '', /OpenBLAS/);
  if (load.coretype) {
    assert.equal(load.openblasCore!.toLowerCase(), load.coretype.toLowerCase(), `notice: ${load.notice}`);
    assert.equal(load.notice, '');
  }
  t.diagnostic(`openblasCore=${load.openblasCore} coretype=${load.coretype} (${load.coretypeSource})`);
});

forEachAddon('buildInfo says how the addon was built; its tier matches; gemmBuiltin is the built-in GEMM', (t, K, a) => {
  const b = a.load.build!;
  assert.ok(b.gemm === 'openblas' || b.gemm === 'builtin');
  assert.ok(['AVX-512', 'AVX2+FMA', 'SSE2', 'NEON', 'plain C'].includes(b.isa), b.isa);
  assert.equal(K.tier, b.gemm);
  assert.equal(nativeTierLabel(b, a.load.openblasCore), b.gemm === 'openblas' ? `native (OpenBLAS ${a.load.openblasCore})` : `native (built-in GEMM, ${b.isa})`);
  if (b.gemm === 'builtin') {
    assert.equal(a.load.openblasCore, null); // no OpenBLAS linked
    assert.equal(a.load.openblasConfig, null);
  }
  if (a.name === 'build-builtin') assert.equal(b.gemm, 'builtin'); // built with SWEEPLAB_NO_OPENBLAS=1
  assert.equal(typeof a.load.gemmBuiltin, 'function');
  t.diagnostic(`${a.name}: ${nativeTierLabel(b, a.load.openblasCore)}, -march=${b.march}, ${b.compiler}`);
});

/**
 * In a fresh process without OPENBLAS_* variables: the main thread optionally calls prepareNativeEnv(),
 * then a worker thread loads the addon first and reports what OpenBLAS runs.
 */
function loadInWorker(prepareInMain: boolean): { core: string | null; coretype: string | null; notice: string; gemmOk: boolean; reason: string } {
  const nativeUrl = new URL('./native.js', import.meta.url).href;
  const workerCode = `
    import(${JSON.stringify(nativeUrl)}).then(async (m) => {
      const { parentPort } = await import('node:worker_threads');
      const l = m.loadNativeKernels();
      let gemmOk = false;
      if (l.kernels) {
        const C = new Float64Array(1);
        l.kernels.gemm(false, true, 1, 1, 3, 1, new Float64Array([1, 2, 3]), new Float64Array([4, 5, 6]), 0, C);
        gemmOk = C[0] === 32;
      }
      parentPort.postMessage({ core: l.openblasCore, coretype: l.coretype, notice: l.notice ?? '', gemmOk, reason: l.reason });
    });`;
  const mainCode = `
    import { Worker } from 'node:worker_threads';
    const m = await import(${JSON.stringify(nativeUrl)});
    if (${prepareInMain}) m.prepareNativeEnv();
    const w = new Worker(${JSON.stringify(workerCode)}, { eval: true });
    w.on('message', (r) => { process.stdout.write(JSON.stringify(r)); w.terminate(); });`;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_NUM_THREADS;
  const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', mainCode], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('prepareNativeEnv() in the main thread makes a worker that loads the addon first get the right core', (t) => {
  if (!nativeOrSkip(t)) return;
  const r = loadInWorker(true);
  assert.equal(r.reason, '');
  assert.ok(r.gemmOk);
  if (r.coretype && r.core !== null) assert.equal(r.core.toLowerCase(), r.coretype.toLowerCase());
  assert.equal(r.notice, '');
});

test('without it, a worker reports (notice) when OpenBLAS ignored the core it asked for', (t) => {
  if (!nativeOrSkip(t)) return;
  const r = loadInWorker(false);
  assert.ok(r.gemmOk);
  // Whether OpenBLAS's own detection gets it right depends on the CPU (it does not on Sapphire Rapids);
  // what must hold: a notice exactly when the core differs from the one asked for.
  const mismatch = r.coretype !== null && r.core !== null && r.core.toLowerCase() !== r.coretype.toLowerCase();
  assert.equal(r.notice !== '', mismatch, JSON.stringify(r));
  if (mismatch) assert.match(r.notice, /prepareNativeEnv\(\)/);
  t.diagnostic(`worker without main-thread preparation: core ${r.core}, asked ${r.coretype}`);
});

forEachAddon('three worker threads calling the addon at the same time all get correct results', async (t, _K, a) => {
  const { Worker } = await import('node:worker_threads');
  const nativeUrl = new URL('./native.js', import.meta.url).href;
  const jsUrl = new URL('./js.js', import.meta.url).href;
  // each worker: 150 float32 GEMMs 48x40x56 (NN and TN alternating) on data that depends on its id, each
  // checked against the TypeScript kernels; posts the worst relErr and its OpenBLAS core
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    Promise.all([import(${JSON.stringify(nativeUrl)}), import(${JSON.stringify(jsUrl)})]).then(([n, j]) => {
      const l = n.loadNativeAddon(workerData.path);
      const k = l.kernels;
      const [M, N, K] = [48, 40, 56];
      let worst = 0;
      for (let r = 0; r < 150; r++) {
        const A = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37 + r + 10 * workerData.id));
        const B = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.11 - r * workerData.id));
        const Cn = new Float32Array(M * N), Cj = new Float32Array(M * N);
        const ta = r % 2 === 1;
        k.gemm(ta, false, M, N, K, 1, A, B, 0, Cn);
        j.jsKernels.gemm(ta, false, M, N, K, 1, A, B, 0, Cj);
        let d = 0, s = 1;
        for (let i = 0; i < Cj.length; i++) { d = Math.max(d, Math.abs(Cn[i] - Cj[i])); s = Math.max(s, Math.abs(Cj[i])); }
        worst = Math.max(worst, d / s);
      }
      parentPort.postMessage({ worst, core: l.openblasCore });
    });`;
  const results = await Promise.all([1, 2, 3].map((id) => new Promise<{ worst: number; core: string | null }>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { id, path: a.load.addonPath } });
    w.once('message', (m) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  })));
  for (const r of results) {
    assert.ok(r.worst <= TOL.f32, `relErr ${r.worst}`);
    assert.equal(r.core, a.load.openblasCore); // one OpenBLAS per process: the workers share the main thread's core
  }
});

// ---------------------------------------------------------------------------------------------------------
// GEMM
// ---------------------------------------------------------------------------------------------------------

const EDGE = [1, 7, 10, 784];
/** alpha/beta variants, cycled over the shapes: beta 0 must overwrite C (filled with NaN then). */
const AB: Array<[number, number]> = [[1, 0], [0.5, 1], [-2, 0.25], [1, 1], [1.5, 0]];

function checkGemm(K: Kernels, dt: DT, ta: boolean, tb: boolean, m: number, n: number, k: number,
  alpha: number, beta: number, rnd: () => number): void {
  const A = rand(dt, m * k, rnd); // (m, k), or (k, m) when ta
  const B = rand(dt, k * n, rnd); // (k, n), or (n, k) when tb
  const C0 = beta === 0 ? alloc(dt, m * n).fill(NaN) : rand(dt, m * n, rnd); // (m, n)
  const Cn = copy(C0);
  const Cj = copy(C0);
  K.gemm(ta, tb, m, n, k, alpha, A, B, beta, Cn);
  jsKernels.gemm(ta, tb, m, n, k, alpha, A, B, beta, Cj);
  assertClose(dt, Cn, Cj, `gemm ${dt} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} M=${m} N=${n} K=${k} alpha=${alpha} beta=${beta}`);
}

forEachAddon('gemm: native = TypeScript on edge sizes 1, 7, 10, 784, both dtypes, all transposes, alpha/beta variants', (t, K) => {
  const rnd = makeRng(1);
  let v = 0;
  let count = 0;
  for (const m of EDGE) for (const n of EDGE) for (const k of EDGE) {
    if (m * n * k > 700_000) continue; // keep the TypeScript side fast: at most one 784 x 784 product
    for (const dt of DTYPES) for (const ta of [false, true]) for (const tb of [false, true]) {
      const [alpha, beta] = AB[v++ % AB.length]!;
      checkGemm(K, dt, ta, tb, m, n, k, alpha, beta, rnd);
      count++;
    }
  }
  assert.ok(count > 300);
});

forEachAddon('gemm: native = TypeScript on random shapes and on the 784-256-256-10 layer shapes', (t, K) => {
  const rnd = makeRng(2);
  const dimOf = () => 1 + Math.floor(rnd() * 70);
  for (let r = 0; r < 40; r++) {
    const dt = DTYPES[r % 2]!;
    const [alpha, beta] = AB[r % AB.length]!;
    checkGemm(K, dt, rnd() < 0.5, rnd() < 0.5, dimOf(), dimOf(), dimOf(), alpha, beta, rnd);
  }
  // batch 32: forward NN, weight gradient TN, input gradient NT (as the trainer calls them)
  for (const dt of DTYPES) {
    checkGemm(K, dt, false, false, 32, 256, 784, 1, 0, rnd);
    checkGemm(K, dt, true, false, 256, 10, 32, 1 / 32, 0, rnd);
    checkGemm(K, dt, false, true, 32, 256, 10, 1, 0, rnd);
  }
});

forEachAddon('gemm: K = 0 scales C by beta, M or N = 0 touches nothing', (t, K) => {
  for (const dt of DTYPES) {
    const C = alloc(dt, 6).fill(NaN);
    K.gemm(false, false, 2, 3, 0, 1, alloc(dt, 0), alloc(dt, 0), 0, C);
    assert.deepEqual(Array.from(C), [0, 0, 0, 0, 0, 0]);
    const D = alloc(dt, 4).fill(2);
    K.gemm(true, true, 2, 2, 0, 1, alloc(dt, 0), alloc(dt, 0), 0.5, D);
    assert.deepEqual(Array.from(D), [1, 1, 1, 1]);
    const E = alloc(dt, 3).fill(7);
    K.gemm(false, false, 0, 3, 4, 1, alloc(dt, 0), alloc(dt, 12), 0, E);
    assert.deepEqual(Array.from(E), [7, 7, 7]);
  }
});

forEachAddon('gemm works on subarray views (zero-copy honours the byte offset) and writes only inside C', (t, K) => {
  const rnd = makeRng(3);
  for (const dt of DTYPES) {
    const buf = rand(dt, 200, rnd);
    const A = buf.subarray(3, 3 + 4 * 5); // (4, 5)
    const B = buf.subarray(30, 30 + 5 * 6); // (5, 6)
    const before = copy(buf);
    const big = alloc(dt, 40).fill(9);
    const C = big.subarray(5, 5 + 24); // (4, 6)
    const Cj = alloc(dt, 24);
    K.gemm(false, false, 4, 6, 5, 1, A, B, 0, C);
    jsKernels.gemm(false, false, 4, 6, 5, 1, A, B, 0, Cj);
    assertClose(dt, C, Cj, `gemm on views ${dt}`);
    assert.deepEqual(Array.from(big.subarray(0, 5)), [9, 9, 9, 9, 9]);
    assert.deepEqual(Array.from(big.subarray(29)), Array(11).fill(9));
    assert.deepEqual(Array.from(buf), Array.from(before));
  }
});

// ---------------------------------------------------------------------------------------------------------
// Elementwise kernels
// ---------------------------------------------------------------------------------------------------------

const SHAPES: Array<[number, number]> = [[1, 1], [1, 7], [7, 10], [10, 7], [13, 784], [128, 10], [3, 300]];
const ACTS = [Act.Identity, Act.Sigmoid, Act.Tanh, Act.Relu, Act.LeakyRelu] as const;
const ACT_NAMES = ['identity', 'sigmoid', 'tanh', 'relu', 'leaky-relu'];

forEachAddon('biasAct and actBackward: native = TypeScript for every activation, both dtypes, dZ aliasing dA', (t, K) => {
  const rnd = makeRng(4);
  for (const dt of DTYPES) for (const [rows, cols] of SHAPES) for (const act of ACTS) {
    const what = `${ACT_NAMES[act]} ${dt} ${rows}x${cols}`;
    const slope = 0.01 + 0.2 * rnd();
    const Z = rand(dt, rows * cols, rnd, -8, 8); // (rows, cols): wide enough to saturate sigmoid/tanh
    const b = rand(dt, cols, rnd, -2, 2);
    const Zn = copy(Z);
    const Zj = copy(Z);
    K.biasAct(Zn, b, rows, cols, act, slope);
    jsKernels.biasAct(Zj, b, rows, cols, act, slope);
    assertClose(dt, Zn, Zj, `biasAct ${what}`);

    const n = rows * cols;
    const dA = rand(dt, n, rnd);
    const dZn = alloc(dt, n);
    const dZj = alloc(dt, n);
    K.actBackward(dZn, dA, Zj, n, act, slope);
    jsKernels.actBackward(dZj, dA, Zj, n, act, slope);
    assertClose(dt, dZn, dZj, `actBackward ${what}`);
    const inPlace = copy(dA); // dZ === dA
    K.actBackward(inPlace, inPlace, Zj, n, act, slope);
    assertClose(dt, inPlace, dZj, `actBackward in place ${what}`);
  }
});

/** Targets for the output tests: one-hot rows, or soft rows (values in [0, 1], not summing to 1). */
function targets(dt: DT, rows: number, cols: number, rnd: () => number, soft: boolean): FloatArray {
  const Y = alloc(dt, rows * cols);
  for (let i = 0; i < rows; i++) {
    if (soft) for (let j = 0; j < cols; j++) Y[i * cols + j] = rnd();
    else Y[i * cols + Math.floor(rnd() * cols)] = 1;
  }
  return Y;
}

forEachAddon('outputLoss: native = TypeScript for the 4 kinds (outputs, gradient, summed loss), one-hot and soft targets', (t, K) => {
  const rnd = makeRng(5);
  const kinds = [OutLoss.SigmoidBce, OutLoss.SoftmaxCe, OutLoss.IdentityMse, OutLoss.SigmoidMse] as const;
  for (const dt of DTYPES) for (const [rows, cols] of SHAPES) for (const kind of kinds) for (const soft of [false, true]) {
    // spread 60: softmax rows with logits 100 apart and sigmoid arguments near ±60 (stability)
    const spread = rnd() < 0.5 ? 4 : 60;
    const what = `kind ${kind} ${dt} ${rows}x${cols} ${soft ? 'soft' : 'one-hot'} spread ${spread}`;
    const Z = rand(dt, rows * cols, rnd, -spread, spread); // (rows, cols)
    const b = rand(dt, cols, rnd);
    const Y = targets(dt, rows, cols, rnd, soft);
    const scale = 1 / rows;
    const Zn = copy(Z);
    const Zj = copy(Z);
    const dZn = alloc(dt, rows * cols);
    const dZj = alloc(dt, rows * cols);
    const ln = K.outputLoss(dZn, Zn, b, Y, rows, cols, kind, scale);
    const lj = jsKernels.outputLoss(dZj, Zj, b, Y, rows, cols, kind, scale);
    assert.ok(Number.isFinite(ln), `${what}: loss ${ln}`);
    assertCloseNum(dt, ln, lj, `outputLoss loss ${what}`);
    assertClose(dt, Zn, Zj, `outputLoss H ${what}`);
    assertClose(dt, dZn, dZj, `outputLoss dZ ${what}`);
  }
});

forEachAddon('outputLoss sums the loss in float64 even for Float32Array', (t, K) => {
  // 100000 identical rows of 1 output: identity + MSE with h - y = 0.1 (exact in float64 from float32 inputs
  // 0.1f and 0) gives 100000 · ½ · 0.1f². A float32 running sum would be off by ~1e-3 relative (its ulp at 500
  // is 3e-5 per addition of 0.005); a float64 one by ~n · 1e-16 = 1e-11.
  const rows = 100_000;
  const Z = new Float32Array(rows).fill(0.1);
  const Y = new Float32Array(rows);
  const dZ = new Float32Array(rows);
  const h = Math.fround(0.1);
  const want = rows * 0.5 * h * h;
  const got = K.outputLoss(dZ, Z, new Float32Array(1), Y, rows, 1, OutLoss.IdentityMse, 1);
  assert.ok(Math.abs(got - want) / want < 1e-9, `${got} vs ${want}`);
});

forEachAddon('colSum, axpy and sumSq: native = TypeScript', (t, K) => {
  const rnd = makeRng(6);
  for (const dt of DTYPES) for (const [rows, cols] of [...SHAPES, [2, 600] as [number, number]]) {
    const dZ = rand(dt, rows * cols, rnd); // (rows, cols)
    const dbn = alloc(dt, cols).fill(NaN); // overwritten, not accumulated into
    const dbj = alloc(dt, cols);
    K.colSum(dbn, dZ, rows, cols);
    jsKernels.colSum(dbj, dZ, rows, cols);
    assertClose(dt, dbn, dbj, `colSum ${dt} ${rows}x${cols}`);

    const n = rows * cols;
    const x = rand(dt, n, rnd);
    const y = rand(dt, n, rnd);
    const yn = copy(y);
    const yj = copy(y);
    const a = -3 + 6 * rnd();
    K.axpy(yn, x, n, a);
    jsKernels.axpy(yj, x, n, a);
    assertClose(dt, yn, yj, `axpy ${dt} n=${n}`);
    assertCloseNum(dt, K.sumSq(x, n), jsKernels.sumSq(x, n), `sumSq ${dt} n=${n}`);
  }
  // float64 accumulation of sumSq for Float32Array: 2^24 + 1 ones would stall a float32 sum at 2^24
  const ones = new Float32Array((1 << 24) + 1).fill(1);
  assert.equal(K.sumSq(ones, ones.length), (1 << 24) + 1);
});

forEachAddon('sgdStep, momentumStep (plain and Nesterov) and adamStep (Adam, AdamW): native = TypeScript over several steps', (t, K) => {
  const rnd = makeRng(7);
  for (const dt of DTYPES) for (const n of [1, 7, 10, 784, 5001]) {
    const p0 = rand(dt, n, rnd);
    const grads = [0, 1, 2].map(() => rand(dt, n, rnd)); // three steps with different gradients
    for (const decay of [0, 1e-3]) {
      const pn = copy(p0);
      const pj = copy(p0);
      for (const g of grads) {
        K.sgdStep(pn, g, n, 0.1, decay);
        jsKernels.sgdStep(pj, g, n, 0.1, decay);
      }
      assertClose(dt, pn, pj, `sgdStep ${dt} n=${n} decay=${decay}`);
    }
    for (const nesterov of [false, true]) {
      const [pn, pj, vn, vj] = [copy(p0), copy(p0), alloc(dt, n), alloc(dt, n)];
      for (const g of grads) {
        K.momentumStep(pn, g, vn, n, 0.05, 0.9, nesterov);
        jsKernels.momentumStep(pj, g, vj, n, 0.05, 0.9, nesterov);
      }
      assertClose(dt, pn, pj, `momentumStep p ${dt} n=${n} nesterov=${nesterov}`);
      assertClose(dt, vn, vj, `momentumStep v ${dt} n=${n} nesterov=${nesterov}`);
    }
    for (const wd of [0, 0.01]) {
      const [pn, pj, mn, mj, vn, vj] = [copy(p0), copy(p0), alloc(dt, n), alloc(dt, n), alloc(dt, n), alloc(dt, n)];
      const [b1, b2, eps] = [0.9, 0.999, 1e-8];
      grads.forEach((g, s) => {
        const step = s + 1;
        const bc1 = 1 - b1 ** step;
        const bc2 = 1 - b2 ** step;
        K.adamStep(pn, g, mn, vn, n, 1e-3, b1, b2, eps, bc1, bc2, wd);
        jsKernels.adamStep(pj, g, mj, vj, n, 1e-3, b1, b2, eps, bc1, bc2, wd);
      });
      assertClose(dt, pn, pj, `adamStep p ${dt} n=${n} wd=${wd}`);
      assertClose(dt, mn, mj, `adamStep m ${dt} n=${n} wd=${wd}`);
      assertClose(dt, vn, vj, `adamStep v ${dt} n=${n} wd=${wd}`);
    }
  }
});

forEachAddon('optimizer state that decays below the smallest normal number is stored as 0 (momentumStep, adamStep, weightGradStep), as in TypeScript; the weights move as without it', (_t, K) => {
  for (const dt of DTYPES) {
    const tiny = dt === 'f32' ? 2 ** -126 : 2 ** -1022;
    // state values: just above the smallest normal (0.9x falls below it), 4x it (stays normal), subnormal already, small normal ones
    const state = [1.05 * tiny, -1.05 * tiny, 4 * tiny, -4 * tiny, tiny / 8, 1e-30, 1e-20, -3e-25];
    const n = state.length;
    const below = (i: number): boolean => i === 0 || i === 1 || i === 4;
    const fill = (vals: number[]): FloatArray => { const a = alloc(dt, vals.length); a.set(vals); return a; };
    const check = (what: string, v: FloatArray, p: FloatArray, p0: FloatArray): void => {
      for (let i = 0; i < n; i++) {
        if (below(i)) assert.equal(v[i], 0, `${what} ${dt}: state ${i} (${state[i]}) stored as 0`);
        else assert.ok(v[i] !== 0 && Math.abs(v[i]!) >= tiny, `${what} ${dt}: state ${i} stays ${v[i]}`);
        assert.equal(p[i], p0[i], `${what} ${dt}: weight ${i} (updates far below its ulp)`);
      }
    };
    const p0 = fill(state.map((_, i) => 1 + i));
    const zeroG = alloc(dt, n);
    for (const k of [K, jsKernels]) {
      const name = k === K ? 'native' : 'TypeScript';
      for (const nesterov of [false, true]) {
        const [p, v] = [copy(p0), fill(state)];
        k.momentumStep(p, zeroG, v, n, 0.1, 0.9, nesterov);
        check(`${name} momentumStep nesterov=${nesterov}`, v, p, p0);
      }
      const [p, m, v] = [copy(p0), fill(state), fill(state.map(Math.abs))];
      k.adamStep(p, zeroG, m, v, n, 1e-3, 0.9, 0.9, 1e-8, 1, 1, 0); // b2 0.9 so v decays like m
      check(`${name} adamStep m`, m, copy(p0), p0);
      check(`${name} adamStep v`, v, copy(p0), p0);
      // weightGradStep with dZ = 0: a layer 1 -> 8 (P = [b; W] (2, 8)); the step runs on the GEMM's result (built-in: in its epilogue)
      const [P, G, V] = [fill([...state.map(() => 1), ...p0]), alloc(dt, 2 * n), fill([...state, ...state])];
      const P0 = copy(P);
      k.weightGradStep(P, G, V, alloc(dt, 3), alloc(dt, 3 * n), 3, 1, n, 0, 0.1, 0.9, false, true);
      check(`${name} weightGradStep (b)`, V.subarray(0, n), P.subarray(0, n), P0.subarray(0, n));
      check(`${name} weightGradStep (W)`, V.subarray(n), P.subarray(n), P0.subarray(n));
      // the same on a layer 1 -> 64: whole-vector tiles of the built-in GEMM, whose epilogue flushes a vector at a time
      const w = 8 * n;
      const tile = (vals: ArrayLike<number>): number[] => Array.from({ length: w }, (_, i) => vals[i % n]!);
      const [Pw, Gw, Vw] = [fill([...tile(state.map(() => 1)), ...tile(p0)]), alloc(dt, 2 * w), fill([...tile(state), ...tile(state)])];
      const Pw0 = copy(Pw);
      k.weightGradStep(Pw, Gw, Vw, alloc(dt, 3), alloc(dt, 3 * w), 3, 1, w, 0, 0.1, 0.9, false, true);
      for (let c = 0; c < (2 * w) / n; c++) {
        const at = (a: FloatArray) => a.subarray(c * n, (c + 1) * n);
        check(`${name} weightGradStep 1 -> ${w} (values ${c * n}..)`, at(Vw), at(Pw), at(Pw0));
      }
    }
  }
});

forEachAddon('optimizer steps on a segment (subarray of the flat parameter buffer) leave the rest untouched', (t, K) => {
  const rnd = makeRng(8);
  for (const dt of DTYPES) {
    const params = rand(dt, 100, rnd);
    const grads = rand(dt, 100, rnd);
    const before = copy(params);
    const [off, n] = [17, 40];
    const want = copy(params).subarray(off, off + n);
    jsKernels.sgdStep(want, grads.subarray(off, off + n), n, 0.5, 0);
    K.sgdStep(params.subarray(off, off + n), grads.subarray(off, off + n), n, 0.5, 0);
    assertClose(dt, params.subarray(off, off + n), want, `sgdStep segment ${dt}`);
    assert.deepEqual(Array.from(params.subarray(0, off)), Array.from(before.subarray(0, off)));
    assert.deepEqual(Array.from(params.subarray(off + n)), Array.from(before.subarray(off + n)));
  }
});

// ---------------------------------------------------------------------------------------------------------
// Bad calls throw (and write nothing) instead of crashing
// ---------------------------------------------------------------------------------------------------------

forEachAddon('a dtype mix, a short array, a non-array or a bad dimension throws TypeError/RangeError and writes nothing', (t, K) => {
  const f32 = (n: number) => new Float32Array(n);
  const f64 = (n: number) => new Float64Array(n);
  const C = f32(4).fill(5);
  const throwsWith = (fn: () => unknown, type: typeof TypeError | typeof RangeError, msg: RegExp) => {
    assert.throws(fn, (e: unknown) => e instanceof type && msg.test((e as Error).message) &&
      (e as { code?: string }).code === 'ERR_NN_CORE_KERNEL_ARG');
  };
  throwsWith(() => K.gemm(false, false, 2, 2, 2, 1, f32(4), f64(4), 0, C), TypeError,
    /^nn-core native gemm: argument 8 \(B\) is a Float64Array but A is a Float32Array; all arrays of one call must share one dtype$/);
  throwsWith(() => K.gemm(false, false, 2, 2, 2, 1, f32(4), f32(4), 0, f64(4)), TypeError, /argument 10 \(C\) is a Float64Array/);
  throwsWith(() => K.gemm(false, false, 2, 2, 3, 1, f32(4), f32(6), 0, C), RangeError,
    /^nn-core native gemm: argument 7 \(A\) has 4 elements but needs at least 6 \(M\*K\)$/);
  throwsWith(() => K.gemm(true, true, 2, 3, 2, 1, f32(4), f32(6), 0, C), RangeError, /argument 10 \(C\) has 4 elements but needs at least 6/);
  throwsWith(() => K.gemm(false, false, -1, 2, 2, 1, f32(4), f32(4), 0, C), RangeError, /argument 3 \(M\) must be an integer in \[0, 2\^31\)/);
  throwsWith(() => K.gemm(false, false, 2, 2, 1.5, 1, f32(4), f32(4), 0, C), RangeError, /argument 5 \(K\)/);
  throwsWith(() => K.gemm(false, false, 2 ** 31, 1, 1, 1, f32(4), f32(4), 0, C), RangeError, /argument 3 \(M\)/);
  throwsWith(() => K.gemm(false, false, 2, 2, 2, 1, [1, 2, 3, 4] as unknown as Float32Array, f32(4), 0, C), TypeError,
    /argument 7 \(A\) must be a Float32Array or Float64Array, got an object/);
  throwsWith(() => K.gemm(false, false, 2, 2, 2, 1, new Int32Array(4) as unknown as Float32Array, f32(4), 0, C), TypeError,
    /got an Int32Array/);
  throwsWith(() => K.gemm(1 as unknown as boolean, false, 2, 2, 2, 1, f32(4), f32(4), 0, C), TypeError, /argument 1 \(transA\) must be a boolean/);
  throwsWith(() => (K.gemm as (...a: unknown[]) => void)(false, false, 2, 2, 2, 1, f32(4), f32(4), 0), TypeError,
    /expected 10 arguments, got 9/);
  assert.deepEqual(Array.from(C), [5, 5, 5, 5]);

  const Z = f64(6).fill(3);
  throwsWith(() => K.biasAct(Z, f64(2), 2, 3, Act.Relu, 0), RangeError, /biasAct: argument 2 \(b\) has 2 elements but needs at least 3 \(cols\)/);
  throwsWith(() => K.biasAct(Z, f64(3), 2, 3, 7 as Act, 0), RangeError, /argument 5 \(act\) must be an integer code 0\.\.4/);
  throwsWith(() => K.actBackward(Z, f32(6), Z, 6, Act.Relu, 0), TypeError, /actBackward: argument 2 \(dA\) is a Float32Array but dZ is a Float64Array/);
  throwsWith(() => K.outputLoss(f64(6), f64(5), f64(3), f64(6), 2, 3, OutLoss.SoftmaxCe, 1), RangeError, /outputLoss: argument 2 \(Z\) has 5/);
  throwsWith(() => K.outputLoss(f64(6), f64(6), f64(3), f64(6), 2, 3, 4 as OutLoss, 1), RangeError, /argument 7 \(kind\)/);
  throwsWith(() => K.outputLoss(Z, Z, f64(3), f64(6), 2, 3, OutLoss.SoftmaxCe, 1), TypeError, /dZ and Z must be different arrays/);
  throwsWith(() => K.colSum(f64(2), Z, 2, 3), RangeError, /colSum: argument 1 \(db\)/);
  throwsWith(() => K.axpy(Z, f64(5), 6, 1), RangeError, /axpy: argument 2 \(x\) has 5/);
  throwsWith(() => K.sumSq(Z, 7), RangeError, /sumSq: argument 1 \(x\) has 6/);
  throwsWith(() => K.sgdStep(Z, Z, 6, '0.1' as unknown as number, 0), TypeError, /sgdStep: argument 4 \(lr\) must be a number, got a string/);
  throwsWith(() => K.momentumStep(Z, f64(6), f64(5), 6, 0.1, 0.9, false), RangeError, /momentumStep: argument 3 \(v\) has 5/);
  throwsWith(() => K.adamStep(Z, f64(6), f64(6), f32(6), 6, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 0), TypeError, /adamStep: argument 4 \(v\) is a Float32Array/);
  assert.deepEqual(Array.from(Z), [3, 3, 3, 3, 3, 3]);

  // a detached buffer (e.g. transferred to a worker) has length 0: a clean RangeError, not a NULL dereference
  const moved = f32(4);
  structuredClone(moved.buffer, { transfer: [moved.buffer] });
  throwsWith(() => K.sumSq(moved, 4), RangeError, /has 0 elements but needs at least 4/);
});

forEachAddon('alloc gives zeroed arrays of the dtype that start on a 64-byte boundary (malloc gives large typed arrays 16 bytes)', (_t, K, a) => {
  const addon = createRequire(import.meta.url)(a.load.addonPath!) as { misalignment(x: FloatArray): number };
  for (const dtype of ['float32', 'float64'] as const) {
    for (const n of [1, 10, 1000, 200_000, 1_000_003]) {
      const x = K.alloc(dtype, n);
      assert.equal(x.constructor, dtype === 'float64' ? Float64Array : Float32Array);
      assert.equal(x.length, n);
      assert.equal(addon.misalignment(x), 0, `${dtype} ${n}`);
      assert.ok(x.every((v) => v === 0));
    }
  }
  // misalignment() itself sees offsets: a view 1 value in is 4 / 8 bytes past the boundary
  assert.equal(addon.misalignment(K.alloc('float32', 16).subarray(1)), 4);
  assert.equal(addon.misalignment(K.alloc('float64', 16).subarray(3)), 24);
  // a model's hot buffers come from alloc: the first layer's weights start on a cache line
  const m = createMlp({ layers: [784, 256, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float32', init: 'he', seed: 1, kernels: K });
  assert.equal(addon.misalignment(m.params), 0);
  assert.equal(addon.misalignment(m.layers[0]!.W), 0);
});
