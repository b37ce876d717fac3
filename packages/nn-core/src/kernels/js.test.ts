import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels as k } from './js.js';
import { Act, OutLoss, type FloatArray } from './types.js';
import { Rng } from '../rng.js';

const rng = new Rng(42);
const rand = (n: number, make: (n: number) => FloatArray): FloatArray => {
  const a = make(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
};
const f64 = (n: number) => new Float64Array(n);
const f32 = (n: number) => new Float32Array(n);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    assert.ok(d <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('gemm matches a naive triple loop for every transpose pair, both dtypes, alpha/beta', () => {
  for (const [make, tol] of [[f64, 1e-13], [f32, 1e-5]] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const M = 5, N = 4, K = 7;
        const A = rand(M * K, make), B = rand(K * N, make), C = rand(M * N, make);
        const alpha = 0.7, beta = -1.3;
        const expected: number[] = [];
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let p = 0; p < K; p++) {
              const a = transA ? A[p * M + i] : A[i * K + p];
              const b = transB ? B[j * K + p] : B[p * N + j];
              s += a * b;
            }
            expected.push(alpha * s + beta * C[i * N + j]);
          }
        }
        k.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
        assertClose(C, expected, tol, `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${make(0).constructor.name}`);
      }
    }
  }
});

test('gemm with beta = 0 overwrites C, NaN in C included; beta = 1 accumulates', () => {
  for (const transB of [false, true]) {
    const A = new Float64Array([1, 2, 3, 4]); // (2, 2)
    const B = new Float64Array([5, 6, 7, 8]); // (2, 2)
    const C = new Float64Array([NaN, NaN, NaN, NaN]);
    k.gemm(false, transB, 2, 2, 2, 1, A, B, 0, C);
    // by hand: NN [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]]; NT uses Bᵀ = [[5,7],[6,8]]
    assert.deepEqual(Array.from(C), transB ? [17, 23, 39, 53] : [19, 22, 43, 50]);
    k.gemm(false, transB, 2, 2, 2, 1, A, B, 1, C);
    assert.deepEqual(Array.from(C), transB ? [34, 46, 78, 106] : [38, 44, 86, 100]);
  }
});

const scalarAct: Record<number, (z: number, s: number) => number> = {
  [Act.Identity]: (z) => z,
  [Act.Sigmoid]: (z) => 1 / (1 + Math.exp(-z)),
  [Act.Tanh]: (z) => (Math.exp(z) - Math.exp(-z)) / (Math.exp(z) + Math.exp(-z)),
  [Act.Relu]: (z) => (z > 0 ? z : 0),
  [Act.LeakyRelu]: (z, s) => (z > 0 ? z : s * z),
};

test('biasAct applies bias then each activation; actBackward matches a finite-difference derivative', () => {
  const slope = 0.05;
  for (const act of Object.values(Act)) {
    const rows = 3, cols = 4;
    const Z = rand(rows * cols, f64), b = rand(cols, f64);
    const z0 = Float64Array.from(Z);
    k.biasAct(Z, b, rows, cols, act, slope);
    const expected = Array.from(z0, (z, i) => scalarAct[act](z + b[i % cols], slope));
    assertClose(Z, expected, 1e-14, `biasAct ${act}`);

    const dA = rand(rows * cols, f64);
    const dZ = f64(rows * cols);
    k.actBackward(dZ, dA, Z, rows * cols, act, slope);
    for (let i = 0; i < rows * cols; i++) {
      const z = z0[i] + b[i % cols];
      const h = 1e-6;
      const deriv = (scalarAct[act](z + h, slope) - scalarAct[act](z - h, slope)) / (2 * h);
      assert.ok(Math.abs(dZ[i] - dA[i] * deriv) < 1e-8, `actBackward ${act}[${i}]: ${dZ[i]} vs ${dA[i] * deriv}`);
    }
    // in place (dZ aliasing dA) gives the same
    const inPlace = Float64Array.from(dA);
    k.actBackward(inPlace, inPlace, Z, rows * cols, act, slope);
    assert.deepEqual(inPlace, dZ);
  }
});

test('relu and leaky relu keep NaN (a divergence must stay visible)', () => {
  for (const act of [Act.Relu, Act.LeakyRelu]) {
    const Z = new Float64Array([NaN, 1]);
    k.biasAct(Z, new Float64Array([0, 0]), 1, 2, act, 0.01);
    assert.ok(Number.isNaN(Z[0]));
  }
});

/** Naive loss of one row and its targets, written from the textbook formulas. */
function naiveLoss(kind: OutLoss, z: number[], y: number[]): { loss: number; h: number[] } {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  switch (kind) {
    case OutLoss.SigmoidBce: {
      const h = z.map(sig);
      return { h, loss: -h.reduce((s, hk, i) => s + y[i] * Math.log(hk) + (1 - y[i]) * Math.log(1 - hk), 0) };
    }
    case OutLoss.SoftmaxCe: {
      const e = z.map(Math.exp);
      const sum = e.reduce((a, b) => a + b, 0);
      const h = e.map((v) => v / sum);
      return { h, loss: -h.reduce((s, hk, i) => s + y[i] * Math.log(hk), 0) };
    }
    case OutLoss.IdentityMse:
      return { h: z.slice(), loss: z.reduce((s, v, i) => s + 0.5 * (v - y[i]) ** 2, 0) };
    default: {
      const h = z.map(sig);
      return { h, loss: h.reduce((s, v, i) => s + 0.5 * (v - y[i]) ** 2, 0) };
    }
  }
}

test('outputLoss: outputs, summed loss and scaled gradient match the naive formulas (finite differences)', () => {
  for (const make of [f64, f32]) {
    for (const kind of Object.values(OutLoss)) {
      const rows = 3, cols = 4;
      const Z = rand(rows * cols, make), b = rand(cols, make), Y = make(rows * cols), dZ = make(rows * cols);
      for (let i = 0; i < rows; i++) Y[i * cols + ((i * 3) % cols)] = 1; // one-hot
      const z0 = Array.from(Z, (v, i) => v + b[i % cols]);
      const scale = 0.25;
      const loss = k.outputLoss(dZ, Z, b, Y, rows, cols, kind, scale);
      const tol = make === f64 ? 1e-12 : 1e-5;
      let expectedLoss = 0;
      for (let i = 0; i < rows; i++) {
        const z = z0.slice(i * cols, (i + 1) * cols);
        const y = Array.from(Y.subarray(i * cols, (i + 1) * cols));
        const r = naiveLoss(kind, z, y);
        expectedLoss += r.loss;
        assertClose(Z.subarray(i * cols, (i + 1) * cols), r.h, tol, `outputs ${kind}`);
        for (let j = 0; j < cols; j++) {
          const h = 1e-6;
          const zp = z.slice(); zp[j] += h;
          const zm = z.slice(); zm[j] -= h;
          const g = (naiveLoss(kind, zp, y).loss - naiveLoss(kind, zm, y).loss) / (2 * h);
          assert.ok(Math.abs(dZ[i * cols + j] - scale * g) < (make === f64 ? 1e-8 : 1e-5), `dZ ${kind} [${i},${j}]: ${dZ[i * cols + j]} vs ${scale * g}`);
        }
      }
      assert.ok(Math.abs(loss - expectedLoss) <= tol * Math.max(1, expectedLoss), `loss ${kind}: ${loss} vs ${expectedLoss}`);
    }
  }
});

test('outputLoss is finite for huge logits (no log(0), no exp overflow)', () => {
  for (const kind of [OutLoss.SigmoidBce, OutLoss.SoftmaxCe]) {
    const Z = new Float64Array([800, -800, 0, 1000, -1000, 5]);
    const Y = new Float64Array([0, 1, 0, 1, 0, 0]);
    const dZ = new Float64Array(6);
    const loss = k.outputLoss(dZ, Z, new Float64Array(3), Y, 2, 3, kind, 1);
    assert.ok(Number.isFinite(loss), `${kind}: loss ${loss}`);
    assert.ok(dZ.every(Number.isFinite) && Z.every(Number.isFinite));
    // sigmoid BCE per output = log(1 + e^z) - y·z: z = 800, y = 0 -> 800; z = -800, y = 1 -> 800; z = 0 -> log 2;
    // z = 1000, y = 1 -> 0; z = -1000, y = 0 -> 0; z = 5, y = 0 -> log(1 + e^5)
    if (kind === OutLoss.SigmoidBce) assert.ok(Math.abs(loss - (1600 + Math.log(2) + Math.log(1 + Math.exp(5)))) < 1e-9, `${loss}`);
    // softmax CE per row = logsumexp(z) - z_label: row 1: 800 - (-800) = 1600; row 2: 1000 - 1000 = 0
    if (kind === OutLoss.SoftmaxCe) assert.ok(Math.abs(loss - 1600) < 1e-9, `${loss}`);
  }
});

test('colSum, axpy and sumSq', () => {
  const dZ = new Float64Array([1, 2, 3, 4, 5, 6]); // (3, 2)
  const db = new Float64Array([99, 99]);
  k.colSum(db, dZ, 3, 2);
  assert.deepEqual(Array.from(db), [9, 12]);
  const y = new Float32Array([1, 1, 1]);
  k.axpy(y, new Float32Array([1, 2, 3]), 2, 0.5); // only n = 2 elements
  assert.deepEqual(Array.from(y), [1.5, 2, 1]);
  assert.equal(k.sumSq(new Float32Array([3, 4, 12]), 3), 169);
});

test('sgdStep, momentumStep and adamStep follow their formulas elementwise', () => {
  const p = new Float64Array([1, -2]);
  k.sgdStep(p, new Float64Array([0.5, 4]), 2, 0.1, 0);
  assertClose(p, [1 - 0.05, -2 - 0.4], 1e-15, 'sgd');
  k.sgdStep(p, new Float64Array([0, 0]), 2, 0.1, 0.5); // coupled decay: p -= 0.1·0.5·p
  assertClose(p, [0.95 * 0.95, -2.4 * 0.95], 1e-15, 'sgd decay');

  const q = new Float64Array([1]);
  const v = new Float64Array([2]);
  k.momentumStep(q, new Float64Array([3]), v, 1, 0.1, 0.5, false); // v = 0.5·2 + 3 = 4; q = 1 - 0.4
  assertClose(v, [4], 1e-15, 'momentum v');
  assertClose(q, [0.6], 1e-15, 'momentum p');
  k.momentumStep(q, new Float64Array([3]), v, 1, 0.1, 0.5, true); // v = 2 + 3 = 5; q = 0.6 - 0.1·(3 + 2.5)
  assertClose(q, [0.05], 1e-14, 'nesterov p');
});
