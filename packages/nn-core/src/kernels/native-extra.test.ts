// The kernels and paths added for training speed (issue 6): gatherBatch, the narrow-output GEMM kernels of
// the addon (NN and TN with few columns), the flat loops of narrow sigmoid/tanh/output layers, and the fused
// full-batch pass of the trainer (its epoch metrics must equal a separate evaluation bit for bit).
//
// Error measure as in testing/native-compare.ts: relErr(a, b) = max_i |a_i - b_i| / max(1, max_i |b_i|), b = the
// TypeScript result; bounds 1e-5 (Float32Array) and 1e-12 (Float64Array). Native-only tests are skipped with
// the loader's reason when the addon is not built.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../evaluate.js';
import { createMlp } from '../model.js';
import { Rng } from '../rng.js';
import { train } from '../train.js';
import type { DType, EpochMetrics, LabeledSet, ModelSpec } from '../types.js';
import { jsKernels } from './js.js';
import { ADDONS, alloc, assertClose, DTYPES, forEachAddon, makeRng, rand, type DT } from '../testing/native-compare.js';
import { Act, OutLoss, type FloatArray, type Kernels } from './types.js';

// ---------------------------------------------------------------------------------------------------------
// gatherBatch
// ---------------------------------------------------------------------------------------------------------

test('gatherBatch (TypeScript): rows idx[start..start+rows) of X and their one-hot labels, by hand', () => {
  // X: 4 rows of 3; idx = [3, 0, 2, 1], start 1, rows 2 -> rows 0 and 2; labels [2, 0, 1, 1] -> one-hot of 2 and 1
  const X = new Float64Array([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);
  const labels = new Uint8Array([2, 0, 1, 1]);
  const idx = new Uint32Array([3, 0, 2, 1]);
  const Xb = new Float64Array(6).fill(-1);
  const Y = new Float64Array(6).fill(-1);
  jsKernels.gatherBatch(Xb, Y, X, labels, idx, 1, 2, 3, 3);
  assert.deepEqual(Array.from(Xb), [0, 1, 2, 20, 21, 22]);
  assert.deepEqual(Array.from(Y), [0, 0, 1, 0, 1, 0]);
});

forEachAddon('gatherBatch: native = TypeScript (bit for bit: a copy) on shuffled rows, both dtypes, partial batches', (t, K) => {
  const rnd = makeRng(11);
  const rng = new Rng(5);
  for (const dt of DTYPES) {
    for (const [n, cols, k, B] of [[50, 7, 10, 8], [300, 784, 10, 128], [3, 1, 1, 3], [20, 5, 3, 1]] as const) {
      const X = rand(dt, n * cols, rnd);
      const labels = Uint8Array.from({ length: n }, () => rng.int(k));
      const idx = Uint32Array.from({ length: n }, (_, i) => i);
      rng.shuffle(idx);
      for (let start = 0; start < n; start += B) {
        const rows = Math.min(B, n - start);
        const [Xn, Yn, Xj, Yj] = [alloc(dt, B * cols).fill(7), alloc(dt, B * k).fill(7), alloc(dt, B * cols).fill(7), alloc(dt, B * k).fill(7)];
        K.gatherBatch(Xn, Yn, X, labels, idx, start, rows, cols, k);
        jsKernels.gatherBatch(Xj, Yj, X, labels, idx, start, rows, cols, k);
        assert.deepEqual(Xn, Xj, `${dt} n=${n} start=${start}`);
        assert.deepEqual(Yn, Yj);
        // rows past `rows` are untouched (a partial last batch)
        assert.ok(Xn.subarray(rows * cols).every((v) => v === 7) && Yn.subarray(rows * k).every((v) => v === 7));
      }
    }
  }
});

forEachAddon('gatherBatch (native): a row number or label out of range throws a RangeError and writes nothing', (t, K) => {
  const X = new Float32Array(4 * 3);
  const Xb = new Float32Array(6).fill(5);
  const Y = new Float32Array(4).fill(5);
  const throwsWith = (fn: () => unknown, type: typeof TypeError | typeof RangeError, msg: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof type && msg.test((e as Error).message));
  throwsWith(() => K.gatherBatch(Xb, Y, X, new Uint8Array([0, 1, 0, 1]), new Uint32Array([1, 4]), 0, 2, 3, 2), RangeError,
    /gatherBatch: idx\[1\] = 4 is not a row of X\/labels \(4 rows\)/);
  throwsWith(() => K.gatherBatch(Xb, Y, X, new Uint8Array([0, 2, 0, 1]), new Uint32Array([0, 1]), 0, 2, 3, 2), RangeError,
    /gatherBatch: labels\[1\] = 2 is not below K = 2/);
  throwsWith(() => K.gatherBatch(Xb, Y, X, new Uint8Array([0, 1]), new Uint32Array([0, 2]), 0, 2, 3, 2), RangeError,
    /idx\[1\] = 2 is not a row/); // labels shorter than X: only 2 rows addressable
  throwsWith(() => K.gatherBatch(Xb, Y, X, new Uint8Array(4), new Uint32Array([0]), 0, 2, 3, 2), RangeError,
    /argument 5 \(idx\) has 1 elements but needs at least 2 \(start\+rows\)/);
  throwsWith(() => K.gatherBatch(Xb, Y, X, new Uint8Array(4), new Int32Array([0, 1]) as unknown as Uint32Array, 0, 2, 3, 2), TypeError,
    /argument 5 \(idx\) must be a Uint32Array, got an Int32Array/);
  throwsWith(() => K.gatherBatch(Xb, Y, new Float64Array(12), new Uint8Array(4), new Uint32Array([0, 1]), 0, 2, 3, 2), TypeError,
    /argument 3 \(X\) is a Float64Array but Xb is a Float32Array/);
  assert.ok(Xb.every((v) => v === 5) && Y.every((v) => v === 5));
});

// ---------------------------------------------------------------------------------------------------------
// Narrow-output GEMMs
// ---------------------------------------------------------------------------------------------------------

/** native vs TypeScript, and the native result again on copies of A and B at other offsets (same bits). */
function checkNarrow(K: Kernels, dt: DT, ta: boolean, m: number, n: number, k: number, alpha: number, beta: number, rnd: () => number): void {
  const A = rand(dt, m * k, rnd); // (M, K), or (K, M) when ta
  const B = rand(dt, k * n, rnd); // (K, N)
  const C0 = rand(dt, m * n, rnd); // (M, N)
  const Cn = C0.slice();
  const Cj = C0.slice();
  K.gemm(ta, false, m, n, k, alpha, A, B, beta, Cn);
  jsKernels.gemm(ta, false, m, n, k, alpha, A, B, beta, Cj);
  assertClose(dt, Cn, Cj, `gemm ${dt} ${ta ? 'TN' : 'NN'} M=${m} N=${n} K=${k} alpha=${alpha} beta=${beta}`);
  // alignment independence: the same values 1 and 3 elements further into bigger buffers give the same bits
  for (const off of [1, 3]) {
    const A2 = alloc(dt, m * k + off);
    A2.set(A, off);
    const B2 = alloc(dt, k * n + off + 1);
    B2.set(B, off + 1);
    const C2 = alloc(dt, m * n + off);
    C2.set(C0, off);
    K.gemm(ta, false, m, n, k, alpha, A2.subarray(off), B2.subarray(off + 1), beta, C2.subarray(off));
    assert.deepEqual(C2.subarray(off), Cn, `gemm ${dt} ${ta ? 'TN' : 'NN'} M=${m} N=${n} K=${k}: result depends on the offset ${off}`);
  }
}

forEachAddon('narrow gemm NN (few output columns, long inner dimension): native = TypeScript, independent of alignment', (t, K) => {
  const rnd = makeRng(21);
  const AB: Array<[number, number]> = [[1, 0], [1, 1], [0.5, 0.25], [-2, 0]];
  let v = 0;
  for (const dt of DTYPES) {
    // the kernel takes K >= 512, M >= 16 (smaller shapes go to OpenBLAS: two controls below); K = 1500 (f32)
    // and 700 (f64) span two packed panels; M = 17, 19, 21 leave partial blocks of 4 rows
    for (const n of [1, 5, 6, 7, 10, 12, 16]) {
      for (const [m, k] of [[16, 512], [17, 784], [19, 600], [1024, 784], [21, dt === 'f32' ? 1500 : 700], [3, 200], [64, 130]] as const) {
        const [alpha, beta] = AB[v++ % AB.length]!;
        checkNarrow(K, dt, false, m, n, k, alpha, beta, rnd);
      }
    }
  }
});

forEachAddon('narrow gemm TN (weight gradient of a narrow layer): native = TypeScript, independent of alignment', (t, K) => {
  const rnd = makeRng(22);
  const AB: Array<[number, number]> = [[1, 0], [1, 1], [1 / 64, 0], [0.5, -1]];
  let v = 0;
  for (const dt of DTYPES) {
    // the kernel takes M >= 512, K >= 256 (two controls below go to OpenBLAS); M = 600 and 530 end with
    // one-vector slices and a scalar remainder after the 4-vector slices
    for (const n of [1, 3, 5, 6, 8, 12]) {
      for (const [m, k] of [[512, 256], [784, 1024], [600, 300], [530, 257], [100, 130], [33, 200]] as const) {
        const [alpha, beta] = AB[v++ % AB.length]!;
        checkNarrow(K, dt, true, m, n, k, alpha, beta, rnd);
      }
    }
  }
});

forEachAddon('narrow gemm: beta = 0 overwrites NaN in C; a NaN in A propagates to its row of C, like BLAS', (t, K) => {
  const rnd = makeRng(23);
  for (const dt of DTYPES) {
    for (const ta of [false, true]) {
      const [m, n, k] = ta ? [600, 5, 300] : [20, 5, 600]; // shapes the narrow kernels take
      const A = rand(dt, m * k, rnd);
      const B = rand(dt, k * n, rnd);
      const C = alloc(dt, m * n).fill(NaN);
      K.gemm(ta, false, m, n, k, 1, A, B, 0, C);
      assert.ok(C.every(Number.isFinite), `${dt} ${ta}: NaN from C leaked through beta = 0`);
      A[0] = NaN; // op(A)[0, 0]: row 0 of C (NN) or row 0 of C (TN: A[0] is element (k=0, m=0))
      K.gemm(ta, false, m, n, k, 1, A, B, 0, C);
      for (let j = 0; j < n; j++) assert.ok(Number.isNaN(C[j]), `${dt} ${ta}: C[0, ${j}] should be NaN`);
      assert.ok(C.subarray(n).every(Number.isFinite), `${dt} ${ta}: NaN spread beyond row 0`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// Narrow elementwise layers (flat loops)
// ---------------------------------------------------------------------------------------------------------

forEachAddon('biasAct sigmoid/tanh and the elementwise output kinds on narrow layers (flat blocks): native = TypeScript', (t, K) => {
  const rnd = makeRng(24);
  // rows·cols spans several 256-value blocks, with the bias index wrapping inside blocks (cols 5, 10, 30, 63)
  for (const dt of DTYPES) {
    for (const [rows, cols] of [[1024, 5], [10, 30], [77, 10], [9, 63], [1, 1], [300, 3]] as const) {
      const b = rand(dt, cols, rnd, -2, 2);
      for (const act of [Act.Sigmoid, Act.Tanh]) {
        const Z = rand(dt, rows * cols, rnd, -8, 8);
        const Zj = Z.slice();
        K.biasAct(Z, b, rows, cols, act, 0);
        jsKernels.biasAct(Zj, b, rows, cols, act, 0);
        assertClose(dt, Z, Zj, `biasAct ${act} ${dt} ${rows}x${cols}`);
      }
      for (const kind of [OutLoss.SigmoidBce, OutLoss.IdentityMse, OutLoss.SigmoidMse]) {
        const Z = rand(dt, rows * cols, rnd, -30, 30);
        const Zj = Z.slice();
        const Y = alloc(dt, rows * cols);
        for (let i = 0; i < rows; i++) Y[i * cols + Math.floor(rnd() * cols)] = 1;
        const [dZ, dZj] = [alloc(dt, rows * cols), alloc(dt, rows * cols)];
        const ln = K.outputLoss(dZ, Z, b, Y, rows, cols, kind, 1 / rows);
        const lj = jsKernels.outputLoss(dZj, Zj, b, Y, rows, cols, kind, 1 / rows);
        assertClose(dt, Z, Zj, `outputLoss ${kind} outputs ${dt} ${rows}x${cols}`);
        assertClose(dt, dZ, dZj, `outputLoss ${kind} gradient ${dt} ${rows}x${cols}`);
        // the loss is summed in float64 for both dtypes: relative to its size
        assert.ok(Math.abs(ln - lj) <= 1e-12 * Math.max(1, Math.abs(lj)), `outputLoss ${kind} ${dt} ${rows}x${cols}: ${ln} vs ${lj}`);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// The trainer's fused full-batch pass
// ---------------------------------------------------------------------------------------------------------

function randomSet(rng: Rng, n: number, nIn: number, k: number, dtype: DType): LabeledSet {
  const x = dtype === 'float64' ? new Float64Array(n * nIn) : new Float32Array(n * nIn);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
  const labels = Uint8Array.from({ length: n }, () => rng.int(k));
  return { x, labels, n };
}

/** The TypeScript kernels and every loaded addon (see ADDONS), each with a name for messages. */
const backends = (): Array<{ name: string; k: Kernels }> => [
  { name: 'js', k: jsKernels },
  ...ADDONS.flatMap((a) => (a.load.kernels ? [{ name: a.name, k: a.load.kernels }] : [])),
];

test('full batch: each epoch row (cost, loss, accuracy, output statistics, saturation) equals a separate evaluation, bit for bit', () => {
  // 2500 rows = 3 chunks of the passes (1024, 1024, 452); 600 inputs and 5 units route the first layer to the
  // narrow GEMM kernels in the native backend (Z1 = X·W1 and dW1 = Xᵀ·dZ1). The fused pass computes epoch e's metrics from the forward
  // passes of the gradient at the params after e steps; evaluate() runs its own forward passes at a copy of
  // those params. Same chunks and kernels -> the same numbers.
  const spec: ModelSpec = { layers: [600, 5, 5, 10], activation: 'sigmoid', output: 'sigmoid', loss: 'cross-entropy' };
  for (const { name, k: kernels } of backends()) {
    for (const dtype of ['float32', 'float64'] as const) {
      const rng = new Rng(3);
      const tr = randomSet(rng, 2500, 600, 10, dtype);
      const te = randomSet(rng, 300, 600, 10, dtype);
      const m = createMlp(spec, { dtype, init: { uniform: [-0.3, 0.3] }, seed: 7, kernels });
      const snaps: FloatArray[] = [];
      const epochs: EpochMetrics[] = [];
      const l2 = 0.7;
      train(m, { train: tr, test: te, numClasses: 10 }, { optimizer: 'gd', batch: 'full', lr: 1.5, epochs: 3, l2, seed: 1 }, (e) => {
        epochs.push(e);
        snaps.push(m.params.slice());
      });
      assert.equal(epochs.length, 4);
      for (let e = 0; e < epochs.length; e++) {
        const copy = createMlp(spec, { dtype, init: { uniform: [0, 0] }, seed: 1, kernels });
        copy.params.set(snaps[e]!);
        const ev = evaluate(copy, tr);
        const what = `${name} ${dtype} epoch ${e}`;
        assert.equal(epochs[e]!.loss, ev.loss, `${what}: loss`);
        assert.equal(epochs[e]!.trainAcc, ev.accuracy, `${what}: accuracy`);
        assert.equal(epochs[e]!.testAcc, evaluate(copy, te).accuracy, `${what}: test accuracy`);
        // every other statistic: from the forward-only evaluation pass that mini-batch training runs for its
        // epoch rows (epoch 0 of a 0-epoch run at a copy of these params)
        const ref = createMlp(spec, { dtype, init: { uniform: [0, 0] }, seed: 1, kernels });
        ref.params.set(snaps[e]!);
        const again: EpochMetrics[] = [];
        train(ref, { train: tr, numClasses: 10 }, { optimizer: 'sgd', batch: 10, lr: 1.5, epochs: 0, l2, seed: 1 }, (x) => { again.push(x); });
        const strip = (x: EpochMetrics) => ({ ...x, epoch: 0, lr: 0, testAcc: null, gradNorm: [], updateRatio: [], seconds: 0, evalSeconds: 0 });
        assert.deepEqual(strip(epochs[e]!), strip(again[0]!), `${what}: metrics`);
      }
    }
  }
});

test('full batch: the gradient of the fused pass is the full gradient (the same steps as plain gd from the metrics pass)', () => {
  // Replays training step by step: from the params after e steps, a 0-epoch train() yields the gradient norm of
  // ∇J at those params (epoch 0 reports the gradient of its first, here the only, batch). Epoch e + 1 of the
  // real run reports the gradient its step used, which must be that same ∇J.
  const spec: ModelSpec = { layers: [30, 6, 4], activation: 'tanh', output: 'softmax', loss: 'cross-entropy' };
  for (const { name, k: kernels } of backends()) {
    const rng = new Rng(9);
    const tr = randomSet(rng, 1100, 30, 4, 'float64');
    const m = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 2, kernels });
    const snaps: Float64Array[] = [];
    const epochs: EpochMetrics[] = [];
    train(m, { train: tr, numClasses: 4 }, { optimizer: 'momentum', batch: 'full', lr: 0.2, epochs: 3, l2: 0.3, seed: 1 }, (e) => {
      epochs.push(e);
      snaps.push(m.params.slice() as Float64Array);
    });
    for (let e = 0; e < 3; e++) {
      const at = createMlp(spec, { dtype: 'float64', init: { uniform: [0, 0] }, seed: 1, kernels });
      at.params.set(snaps[e]!);
      const g: EpochMetrics[] = [];
      train(at, { train: tr, numClasses: 4 }, { optimizer: 'gd', batch: 'full', lr: 1, epochs: 0, l2: 0.3, seed: 1 }, (x) => { g.push(x); });
      assert.deepEqual(epochs[e + 1]!.gradNorm, g[0]!.gradNorm, `${name}: epoch ${e + 1} stepped along ∇J(params after ${e} steps)`);
    }
  }
});
