// The built-in GEMM (issue 14, native/gemm_impl.h) and the fused layer kernels, on every addon build (ADDONS:
// build/ and build-builtin/): gemmBuiltin against the TypeScript reference for each shape class the packed GEMM
// distinguishes, a summation order that depends on the shapes only, and linearAct / linearBackward against
// their definitions (gemm + biasAct, gemm NT + actBackward), bit for bit against the addon's own composition.
//
// Error measure as in testing/native-compare.ts: relErr(a, b) = max_i |a_i - b_i| / max(1, max_i |b_i|), b = the
// TypeScript result; bounds 1e-5 (Float32Array) and 1e-12 (Float64Array).
import assert from 'node:assert/strict';
import { jsKernels } from './js.js';
import { alloc, assertClose, DTYPES, forEachAddon, makeRng, rand, type DT } from '../testing/native-compare.js';
import { Act, type FloatArray, type Kernels } from './types.js';
import type { GemmFn } from './native.js';

/**
 * Shape classes of the packed GEMM (gemm_isa.h / gemm_impl.h): M around the register tile (12 rows with
 * AVX-512, 6 with AVX2/SSE2, 4 in plain C) and past it; N below one vector (narrow tiles, A read in place),
 * one panel, several panels with a partial last one; K in one k-block and in several (KC = 512 floats /
 * 256 doubles), including a last block of one.
 */
const MS = [1, 5, 12, 13, 30];
const NS = [1, 10, 16, 17, 40, 100];
const KS = [1, 7, 257, 600];
const AB: Array<[number, number]> = [[1, 0], [0.5, 1], [-2, 0.25], [1, 1], [1.5, 0]];

function check(gemm: GemmFn, dt: DT, ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number, rnd: () => number): void {
  const A = rand(dt, m * k, rnd); // (m, k), or (k, m) when ta
  const B = rand(dt, k * n, rnd); // (k, n), or (n, k) when tb
  const C0 = beta === 0 ? alloc(dt, m * n).fill(NaN) : rand(dt, m * n, rnd); // (m, n); beta 0 must overwrite NaN
  const Cn = C0.slice();
  const Cj = C0.slice();
  gemm(ta, tb, m, n, k, alpha, A, B, beta, Cn);
  jsKernels.gemm(ta, tb, m, n, k, alpha, A, B, beta, Cj);
  assertClose(dt, Cn, Cj, `gemmBuiltin ${dt} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} M=${m} N=${n} K=${k} alpha=${alpha} beta=${beta}`);
}

forEachAddon('gemmBuiltin = TypeScript for every shape class of the packed GEMM, all transposes, both dtypes, alpha/beta', (_t, _K, a) => {
  const gemm = a.load.gemmBuiltin!;
  const rnd = makeRng(21);
  let v = 0;
  let count = 0;
  for (const m of MS) for (const n of NS) for (const k of KS) {
    for (const dt of DTYPES) for (const ta of [false, true]) for (const tb of [false, true]) {
      if ((v++ & 1) === 1 && m * n * k > 20_000) continue; // half of the big ones: keep the TypeScript side fast
      const [alpha, beta] = AB[v % AB.length]!;
      check(gemm, dt, ta, tb, m, n, k, alpha, beta, rnd);
      count++;
    }
  }
  assert.ok(count > 600, `${count} cases`);
});

forEachAddon('gemmBuiltin: the training shapes of 784-256-256-10 at batch 128, and more columns than one packed block (N > 1024)', (_t, _K, a) => {
  const gemm = a.load.gemmBuiltin!;
  const rnd = makeRng(22);
  for (const dt of DTYPES) {
    check(gemm, dt, false, false, 128, 256, 784, 1, 0, rnd); // Z1 = X·W1
    check(gemm, dt, true, false, 784, 256, 128, 1, 0, rnd); // dW1 = Xᵀ·dZ1
    check(gemm, dt, false, true, 128, 256, 256, 1, 0, rnd); // dA1 = dZ2·W2ᵀ
    check(gemm, dt, false, false, 128, 10, 256, 1, 0, rnd); // Z3 (narrow)
    check(gemm, dt, true, false, 256, 10, 128, 1, 0, rnd); // dW3 (narrow)
    check(gemm, dt, false, false, 3, 1100, 20, 1, 0, rnd); // two blocks of columns
    check(gemm, dt, true, true, 7, 1030, 9, 0.5, 1, rnd);
  }
});

forEachAddon('gemmBuiltin: the summation order depends on the shapes only (same bits at any alignment, run to run)', (_t, _K, a) => {
  const gemm = a.load.gemmBuiltin!;
  const rnd = makeRng(23);
  for (const dt of DTYPES) {
    for (const [ta, tb, m, n, k] of [[false, false, 29, 45, 300], [true, false, 40, 20, 270], [false, true, 13, 37, 140], [true, true, 17, 9, 260]] as const) {
      const A = rand(dt, m * k, rnd);
      const B = rand(dt, k * n, rnd);
      const ref = alloc(dt, m * n);
      gemm(ta, tb, m, n, k, 1, A, B, 0, ref);
      for (let off = 0; off < 4; off++) {
        // the same values at another offset in bigger buffers: other alignments of A, B and C
        const Ab = alloc(dt, m * k + 4);
        const Bb = alloc(dt, k * n + 4);
        const Cb = alloc(dt, m * n + 4);
        Ab.set(A, off);
        Bb.set(B, 3 - off);
        const C = Cb.subarray(off, off + m * n);
        gemm(ta, tb, m, n, k, 1, Ab.subarray(off, off + m * k), Bb.subarray(3 - off, 3 - off + k * n), 0, C);
        assert.deepEqual(C, ref, `${dt} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k} offset ${off}`);
      }
    }
  }
});

forEachAddon('gemmBuiltin: beta 0 overwrites NaN in C; a NaN in A reaches its row of C; K = 0 scales C', (_t, _K, a) => {
  const gemm = a.load.gemmBuiltin!;
  for (const dt of DTYPES) {
    const [m, n, k] = [14, 20, 9];
    const A = alloc(dt, m * k).fill(1);
    const B = alloc(dt, k * n).fill(2);
    A[3 * k + 4] = NaN; // row 3 of A
    const C = alloc(dt, m * n).fill(NaN);
    gemm(false, false, m, n, k, 1, A, B, 0, C);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        if (i === 3) assert.ok(Number.isNaN(C[i * n + j]!));
        else assert.equal(C[i * n + j], 18);
      }
    }
    const D = alloc(dt, 6).fill(4);
    gemm(false, false, 2, 3, 0, 1, alloc(dt, 0), alloc(dt, 0), 0.5, D);
    assert.deepEqual(Array.from(D), [2, 2, 2, 2, 2, 2]);
  }
});

/**
 * Sparse A for the zero skipping of the packed GEMM (compact_a in gemm_impl.h): each k (a column of op(A)) is
 * all zero with probability pZero (+0 and -0 mixed), else each value is zero with probability 0.6, as in MNIST's
 * pixels (81 % zero) and ReLU outputs. A is (m, k), or (k, m) when ta.
 */
function sparseA(dt: DT, ta: boolean, m: number, k: number, pZero: number, rnd: () => number): FloatArray {
  const A = rand(dt, m * k, rnd);
  for (let kk = 0; kk < k; kk++) {
    const all = rnd() < pZero;
    for (let i = 0; i < m; i++) {
      if (all || rnd() < 0.6) A[ta ? kk * m + i : i * k + kk] = rnd() < 0.5 ? 0 : -0;
    }
  }
  return A;
}

forEachAddon('gemmBuiltin skips the k where a micro-panel of A is all zero: the same bits as gemmBuiltinDense, all transposes, both dtypes', (_t, _K, a) => {
  const gemm = a.load.gemmBuiltin!;
  const dense = a.load.gemmBuiltinDense!;
  const rnd = makeRng(27);
  let v = 0;
  let count = 0;
  // M around the 12-row tile; N narrow, one panel, several; K in one k-block and in several (784: 2 for float32,
  // 4 for float64); pZero 1: every k of every micro-panel skipped
  for (const m of [1, 12, 13, 40, 128]) for (const n of [5, 16, 33, 256]) for (const k of [1, 3, 100, 784]) {
    for (const dt of DTYPES) for (const ta of [false, true]) for (const tb of [false, true]) {
      if ((v++ & 3) !== 0 && m * n * k > 200_000) continue; // a quarter of the big ones
      const [alpha, beta] = AB[v % AB.length]!;
      const pZero = [0.5, 0.9, 1, 0.1][v % 4]!;
      const A = sparseA(dt, ta, m, k, pZero, rnd);
      const B = rand(dt, k * n, rnd);
      const C0 = beta === 0 ? alloc(dt, m * n).fill(NaN) : rand(dt, m * n, rnd);
      const [Cs, Cd] = [C0.slice(), C0.slice()];
      gemm(ta, tb, m, n, k, alpha, A, B, beta, Cs);
      dense(ta, tb, m, n, k, alpha, A, B, beta, Cd);
      assert.deepEqual(Cs, Cd, `${dt} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} M=${m} N=${n} K=${k} pZero ${pZero} alpha=${alpha} beta=${beta}`);
      count++;
    }
  }
  assert.ok(count > 300, `${count} cases`);
  // the dense path itself is the TypeScript GEMM within tolerance on such an A (the test above checks it on dense A)
  for (const dt of DTYPES) {
    const A = sparseA(dt, false, 128, 784, 0.5, rnd);
    const B = rand(dt, 784 * 256, rnd);
    const [Cs, Cj] = [alloc(dt, 128 * 256), alloc(dt, 128 * 256)];
    gemm(false, false, 128, 256, 784, 1, A, B, 0, Cs);
    jsKernels.gemm(false, false, 128, 256, 784, 1, A, B, 0, Cj);
    assertClose(dt, Cs, Cj, `${dt} sparse 128x256x784 against TypeScript`);
  }
});

forEachAddon('gemmBuiltin does not skip past a non-finite B (0 · Inf = NaN) nor past a NaN in A', (_t, _K, a) => {
  const gemm = a.load.gemmBuiltin!;
  const dense = a.load.gemmBuiltinDense!;
  const rnd = makeRng(28);
  for (const dt of DTYPES) for (const ta of [false, true]) for (const tb of [false, true]) for (const bad of [Infinity, -Infinity, NaN]) {
    const [m, n, k] = [30, 40, 100];
    const A = sparseA(dt, ta, m, k, 0.5, rnd);
    for (let i = 0; i < m; i++) A[ta ? 7 * m + i : i * k + 7] = 0; // k = 7 is zero in every row of A
    const B = rand(dt, k * n, rnd);
    B[tb ? 5 * k + 7 : 7 * n + 5] = bad; // ... and B's row 7 has a non-finite value in column 5
    const [Cs, Cd] = [alloc(dt, m * n), alloc(dt, m * n)];
    gemm(ta, tb, m, n, k, 1, A, B, 0, Cs);
    dense(ta, tb, m, n, k, 1, A, B, 0, Cd);
    const what = `${dt} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} B has ${bad}`;
    for (let i = 0; i < m; i++) assert.ok(Number.isNaN(Cs[i * n + 5]!), `${what}: C[${i}, 5] is NaN (0 · ${bad})`);
    assert.deepEqual(Cs, Cd, what);
  }
  for (const dt of DTYPES) {
    // a NaN in a k that is otherwise zero keeps that k: its row of C is NaN
    const [m, n, k] = [24, 33, 50];
    const A = alloc(dt, m * k);
    A[13 * k + 4] = NaN;
    const B = rand(dt, k * n, rnd);
    const C = alloc(dt, m * n);
    gemm(false, false, m, n, k, 1, A, B, 0, C);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      if (i === 13) assert.ok(Number.isNaN(C[i * n + j]!), `${dt} C[13, ${j}]`);
      else assert.ok(Object.is(C[i * n + j], 0), `${dt} C[${i}, ${j}] = +0`);
    }
  }
});

const ACTS = [Act.Identity, Act.Sigmoid, Act.Tanh, Act.Relu, Act.LeakyRelu] as const;
const LAYERS: Array<[number, number, number]> = [[1, 1, 1], [7, 10, 3], [13, 33, 40], [30, 300, 17], [128, 256, 64], [20, 5, 600], [5, 700, 12]];

/**
 * The addon's own composition: its GEMM then biasAct (linearAct must give these bits). The GEMM is the one behind
 * the dtype's fused kernels (buildInfo().fusedF32 / fusedF64): the built-in one in the built-in tier, and for
 * float32 on AVX-512 in the OpenBLAS tier too; otherwise `gemm`.
 */
function composedAct(K: Kernels, gemm: GemmFn, Z: FloatArray, A: FloatArray, W: FloatArray, b: FloatArray, rows: number, nIn: number, nOut: number, act: Act, slope: number): void {
  gemm(false, false, rows, nOut, nIn, 1, A, W, 0, Z);
  K.biasAct(Z, b, rows, nOut, act, slope);
}

forEachAddon('linearAct = act(A·W + b): TypeScript within tolerance, the GEMM of the fused kernels + biasAct bit for bit (fused epilogue)', (_t, K, a) => {
  const rnd = makeRng(24);
  const build = a.load.build!;
  for (const dt of DTYPES) for (const [rows, nOut, nIn] of LAYERS) for (const act of ACTS) {
    const fusedOn = dt === 'f32' ? build.fusedF32 : build.fusedF64;
    // ReLU / identity run in the epilogue of the fused GEMM, except for the shapes gemm sends to its narrow
    // kernels (narrow_nn_ok in kernels_impl.h: few columns over a long inner dimension); the other activations
    // run after the tier's gemm
    const narrow = nOut <= (dt === 'f32' ? 12 : 16) && nIn >= 512 && rows >= 16;
    const gemm = fusedOn === 'builtin' && !narrow && (act === Act.Relu || act === Act.Identity) ? a.load.gemmBuiltin! : K.gemm;
    const what = `linearAct ${dt} act ${act} rows ${rows} nIn ${nIn} nOut ${nOut}`;
    const A = rand(dt, rows * nIn, rnd); // (rows, nIn)
    const W = rand(dt, nIn * nOut, rnd, -0.5, 0.5); // (nIn, nOut)
    const b = rand(dt, nOut, rnd); // (nOut)
    const Zn = alloc(dt, rows * nOut).fill(NaN);
    const Zc = alloc(dt, rows * nOut);
    const Zj = alloc(dt, rows * nOut);
    K.linearAct(Zn, A, W, b, rows, nIn, nOut, act, 0.1);
    composedAct(K, gemm, Zc, A, W, b, rows, nIn, nOut, act, 0.1);
    jsKernels.linearAct(Zj, A, W, b, rows, nIn, nOut, act, 0.1);
    assertClose(dt, Zn, Zj, what);
    assert.deepEqual(Zn, Zc, `${what}: fused = ${gemm === K.gemm ? 'gemm' : 'gemmBuiltin'} + biasAct bit for bit`);
  }
});

forEachAddon('linearAct keeps a NaN of the input visible through a ReLU (a divergence is not hidden)', (_t, K) => {
  for (const dt of DTYPES) {
    const [rows, nIn, nOut] = [13, 20, 40];
    const A = alloc(dt, rows * nIn).fill(0.5);
    A[2 * nIn + 7] = NaN;
    const W = alloc(dt, nIn * nOut).fill(-1); // every pre-activation negative: ReLU gives 0, except NaN
    const Z = alloc(dt, rows * nOut);
    K.linearAct(Z, A, W, alloc(dt, nOut), rows, nIn, nOut, Act.Relu, 0);
    for (let i = 0; i < rows * nOut; i++) {
      if (Math.floor(i / nOut) === 2) assert.ok(Number.isNaN(Z[i]!), `${dt} ${i}`);
      else assert.equal(Z[i], 0);
    }
  }
});

forEachAddon('linearBackward = (dZ·Wᵀ) ⊙ act\'(Aprev): TypeScript within tolerance, the GEMM of the fused kernels NT + actBackward bit for bit', (_t, K, a) => {
  const rnd = makeRng(25);
  const build = a.load.build!;
  for (const dt of DTYPES) for (const [rows, nOut, nIn] of LAYERS) for (const act of ACTS) {
    // the ReLU mask runs in the epilogue of the fused kernels' GEMM (buildInfo().fusedF32 / fusedF64); the other
    // activations after the tier's gemm
    const gemm = (dt === 'f32' ? build.fusedF32 : build.fusedF64) === 'builtin' && act === Act.Relu ? a.load.gemmBuiltin! : K.gemm;
    const what = `linearBackward ${dt} act ${act} rows ${rows} nIn ${nIn} nOut ${nOut}`;
    const dZ = rand(dt, rows * nOut, rnd); // (rows, nOut)
    const W = rand(dt, nIn * nOut, rnd); // (nIn, nOut)
    const Ap = rand(dt, rows * nIn, rnd, -1, 1); // (rows, nIn): negative values exercise the ReLU mask
    if (act === Act.Sigmoid) for (let i = 0; i < Ap.length; i++) Ap[i] = 0.5 + 0.5 * Ap[i]!; // sigmoid outputs
    const dn = alloc(dt, rows * nIn).fill(NaN);
    const dc = alloc(dt, rows * nIn);
    const dj = alloc(dt, rows * nIn);
    K.linearBackward(dn, dZ, W, Ap, rows, nIn, nOut, act, 0.1);
    gemm(false, true, rows, nIn, nOut, 1, dZ, W, 0, dc);
    K.actBackward(dc, dc, Ap, rows * nIn, act, 0.1);
    jsKernels.linearBackward(dj, dZ, W, Ap, rows, nIn, nOut, act, 0.1);
    assertClose(dt, dn, dj, what);
    assert.deepEqual(dn, dc, `${what}: fused = ${gemm === K.gemm ? 'gemm' : 'gemmBuiltin'} + actBackward bit for bit`);
  }
});

forEachAddon('linearAct / linearBackward check their arguments (short arrays, aliasing) and write nothing then', (_t, K) => {
  const f32 = (n: number) => new Float32Array(n).fill(3);
  const Z = f32(6);
  assert.throws(() => K.linearAct(Z, f32(5), f32(6), f32(3), 2, 3, 3, Act.Relu, 0), /linearAct: argument 2 \(A\) has 5 elements but needs at least 6 \(rows\*nIn\)/);
  assert.throws(() => K.linearAct(Z, f32(6), new Float64Array(9), f32(3), 2, 3, 3, Act.Relu, 0), /argument 3 \(W\) is a Float64Array/);
  assert.throws(() => K.linearAct(Z, f32(6), f32(9), f32(3), 2, 3, 3, 9 as Act, 0), /argument 8 \(act\)/);
  const d = f32(6);
  assert.throws(() => K.linearBackward(d, d, f32(9), f32(6), 2, 3, 3, Act.Relu, 0), /dA may not alias dZ or W/);
  assert.ok(Z.every((x) => x === 3) && d.every((x) => x === 3));
});

/** weightGradStep's definition, on the TypeScript kernels: colSum, gemm TN, axpy, then the optimizer kernel. */
function refStep(P: FloatArray, G: FloatArray, V: FloatArray, Ap: FloatArray, dZ: FloatArray, rows: number, nIn: number, nOut: number,
  l2: number, lr: number, mu: number, nesterov: boolean): void {
  jsKernels.weightGradStep(P, G, V, Ap, dZ, rows, nIn, nOut, l2, lr, mu, nesterov, true);
}

forEachAddon('weightGradStep (gradient + SGD/momentum step in the GEMM epilogue) = colSum + gemm TN + axpy + the optimizer kernel', (_t, K) => {
  const rnd = makeRng(26);
  for (const dt of DTYPES) {
    // rows past one k-block (512 floats / 256 doubles): earlier blocks go through G, the step runs on the last
    for (const [rows, nIn, nOut] of [[1, 1, 1], [7, 10, 3], [33, 40, 17], [128, 100, 64], [600, 30, 20], [20, 5, 0], [0, 6, 4]] as const) {
      for (const [mu, nesterov, l2] of [[-1, false, 0], [-1, false, 0.01], [0.9, false, 0], [0.9, true, 0.02]] as const) {
        const what = `${dt} rows ${rows} nIn ${nIn} nOut ${nOut} mu ${mu} nesterov ${nesterov} l2 ${l2}`;
        const n = (nIn + 1) * nOut;
        const P0 = rand(dt, n, rnd); // (nIn + 1, nOut): [b; W]
        const V0 = mu < 0 ? alloc(dt, 0) : rand(dt, n, rnd, -0.1, 0.1);
        const Ap = rand(dt, rows * nIn, rnd); // (rows, nIn)
        const dZ = rand(dt, rows * nOut, rnd); // (rows, nOut)
        const [Pn, Pj, Vn, Vj] = [P0.slice(), P0.slice(), V0.slice(), V0.slice()];
        const [Gn, Gj] = [alloc(dt, n).fill(NaN), alloc(dt, n)];
        K.weightGradStep(Pn, Gn, Vn, Ap, dZ, rows, nIn, nOut, l2, 0.05, mu, nesterov, true);
        refStep(Pj, Gj, Vj, Ap, dZ, rows, nIn, nOut, l2, 0.05, mu, nesterov);
        assertClose(dt, Gn, Gj, `G ${what}`);
        assertClose(dt, Pn, Pj, `P ${what}`);
        assertClose(dt, Vn, Vj, `V ${what}`);
        // without writeGrad: the same step; the db row is still written
        const [P2, V2, G2] = [P0.slice(), V0.slice(), alloc(dt, n)];
        K.weightGradStep(P2, G2, V2, Ap, dZ, rows, nIn, nOut, l2, 0.05, mu, nesterov, false);
        assert.deepEqual(P2, Pn, `P without writeGrad ${what}`);
        assert.deepEqual(V2, Vn);
        assert.deepEqual(G2.subarray(0, nOut), Gn.subarray(0, nOut));
      }
    }
  }
});

forEachAddon('the fused kernels on the built-in GEMM skip zero inputs with the same bits: linearAct and weightGradStep on sparse inputs = their composition over gemmBuiltinDense', (t, K, a) => {
  const rnd = makeRng(29);
  const build = a.load.build!;
  const dense = a.load.gemmBuiltinDense!;
  let ran = 0;
  for (const dt of DTYPES) {
    if ((dt === 'f32' ? build.fusedF32 : build.fusedF64) !== 'builtin') continue; // fused kernels on OpenBLAS here
    for (const [rows, nIn, nOut] of [[128, 784, 64], [13, 600, 40], [40, 100, 256]] as const) {
      const what = `${dt} rows ${rows} nIn ${nIn} nOut ${nOut}`;
      // forward of a first layer on sparse inputs: ReLU(X·W + b) in the epilogue
      const X = sparseA(dt, false, rows, nIn, 0.5, rnd); // (rows, nIn)
      const W = rand(dt, nIn * nOut, rnd, -0.5, 0.5);
      const b = rand(dt, nOut, rnd);
      const [Zf, Zc] = [alloc(dt, rows * nOut), alloc(dt, rows * nOut)];
      K.linearAct(Zf, X, W, b, rows, nIn, nOut, Act.Relu, 0);
      dense(false, false, rows, nOut, nIn, 1, X, W, 0, Zc);
      K.biasAct(Zc, b, rows, nOut, Act.Relu, 0);
      assert.deepEqual(Zf, Zc, `linearAct ${what}`);
      // weight gradient Xᵀ·dZ with the momentum step in the epilogue: G (written, l2 = 0) = the dense TN GEMM
      const n = (nIn + 1) * nOut;
      const P = rand(dt, n, rnd);
      const V = rand(dt, n, rnd, -0.1, 0.1);
      const G = alloc(dt, n).fill(NaN);
      const dZ = rand(dt, rows * nOut, rnd);
      K.weightGradStep(P, G, V, X, dZ, rows, nIn, nOut, 0, 0.05, 0.9, false, true);
      const dW = alloc(dt, nIn * nOut);
      dense(true, false, nIn, nOut, rows, 1, X, dZ, 0, dW);
      assert.deepEqual(G.subarray(nOut), dW, `weightGradStep ${what}`);
      ran++;
    }
  }
  if (ran === 0) t.diagnostic(`${a.name}: no dtype runs its fused kernels on the built-in GEMM`);
});

forEachAddon('weightGradStep checks its arguments (block sizes, the velocity block, aliasing)', (_t, K) => {
  const f = (n: number) => new Float32Array(n).fill(2);
  const P = f(12);
  assert.throws(() => K.weightGradStep(P, f(11), f(12), f(6), f(8), 2, 3, 3, 0, 0.1, 0.9, false, true), /weightGradStep: argument 2 \(G\) has 11 elements but needs at least 12 \(\(nIn\+1\)\*nOut\)/);
  assert.throws(() => K.weightGradStep(P, f(12), f(5), f(6), f(8), 2, 3, 3, 0, 0.1, 0.9, false, true), /argument 3 \(V\) must be empty \(plain SGD\) or hold/);
  assert.throws(() => K.weightGradStep(P, P, f(12), f(6), f(8), 2, 3, 3, 0, 0.1, 0.9, false, true), /P, G and V must be different arrays/);
  assert.ok(P.every((x) => x === 2));
});
