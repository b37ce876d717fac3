/**
 * The TypeScript reference implementation of the kernel contract in `types.ts` (backend 'js').
 *
 * Purpose: readable, exact-to-the-contract loops that the native addon is tested against, and the fallback
 * when the addon cannot load. Non-goals: speed beyond sensible loop orders (no packing, no blocking, no SIMD).
 * Every function writes into caller-given outputs and allocates nothing. Sums that the contract says are
 * "accumulated in float64" are plain JS numbers (always float64), whatever the array dtype.
 *
 * Dims: M, N, K as in BLAS; rows = batch rows; cols = units of the layer; n = flat element count.
 */
import { Act, OutLoss, type FloatArray, type Kernels } from './types.js';

/**
 * C = alpha · op(A) · op(B) + beta · C, row-major. Loop orders keep the innermost loop on contiguous memory:
 * NN and TN run i-k-j (scalars of op(A) times contiguous rows of B added into a contiguous row of C);
 * NT and TT run i-j-k as dot products along a contiguous row of B.
 * Why the 4-way unroll over k: it loads and stores each C row once per 4 rows of B instead of once per row,
 * and the 4 partial sums of the dot products break the add-latency chain; in V8 that is 2.5-3x faster than the
 * plain loops (measured: 0.4-0.6 -> 1.2-1.5 GFLOP/s on the 784x64 layer shapes), and the results differ only
 * by rounding. No zero-skipping: 0 · Inf and 0 · NaN give NaN in C, as in BLAS.
 */
function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: FloatArray /* (M, K) or (K, M) if transA */, B: FloatArray /* (K, N) or (N, K) if transB */,
  beta: number, C: FloatArray /* (M, N) */,
): void {
  // op(A)[i, k] sits at A[i*sa + k*ka]
  const sa = transA ? 1 : K;
  const ka = transA ? M : 1;
  if (!transB) {
    for (let i = 0; i < M; i++) {
      const c0 = i * N;
      if (beta === 0) for (let j = 0; j < N; j++) C[c0 + j] = 0;
      else if (beta !== 1) for (let j = 0; j < N; j++) C[c0 + j] *= beta;
      const a0 = i * sa;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const x0 = alpha * A[a0 + k * ka];
        const x1 = alpha * A[a0 + (k + 1) * ka];
        const x2 = alpha * A[a0 + (k + 2) * ka];
        const x3 = alpha * A[a0 + (k + 3) * ka];
        const b0 = k * N;
        const b1 = b0 + N;
        const b2 = b1 + N;
        const b3 = b2 + N;
        for (let j = 0; j < N; j++) C[c0 + j] += x0 * B[b0 + j] + x1 * B[b1 + j] + x2 * B[b2 + j] + x3 * B[b3 + j];
      }
      for (; k < K; k++) {
        const x = alpha * A[a0 + k * ka];
        const b0 = k * N;
        for (let j = 0; j < N; j++) C[c0 + j] += x * B[b0 + j];
      }
    }
    return;
  }
  // transB: op(B)[k, j] = B[j*K + k], so each C[i, j] is a dot product of a row of op(A) with row j of B.
  for (let i = 0; i < M; i++) {
    const c0 = i * N;
    const a0 = i * sa;
    for (let j = 0; j < N; j++) {
      const b0 = j * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        s0 += A[a0 + k * ka] * B[b0 + k];
        s1 += A[a0 + (k + 1) * ka] * B[b0 + k + 1];
        s2 += A[a0 + (k + 2) * ka] * B[b0 + k + 2];
        s3 += A[a0 + (k + 3) * ka] * B[b0 + k + 3];
      }
      for (; k < K; k++) s0 += A[a0 + k * ka] * B[b0 + k];
      const s = (s0 + s1) + (s2 + s3);
      C[c0 + j] = beta === 0 ? alpha * s : alpha * s + beta * C[c0 + j];
    }
  }
}

const SIG5 = 1 / (1 + Math.exp(-5)); // sigmoid(5): a > SIG5 <=> z > 5 (used by the saturation metric)
export const SATURATION_BOUNDS = { sigmoidHigh: SIG5, sigmoidLow: 1 - SIG5, tanh: Math.tanh(5) } as const;

/** Z[i, j] = act(Z[i, j] + b[j]) in place. Z: (rows, cols), b: (cols). */
function biasAct(Z: FloatArray, b: FloatArray, rows: number, cols: number, act: Act, slope: number): void {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    switch (act) {
      case Act.Identity:
        for (let j = 0; j < cols; j++) Z[r + j] += b[j];
        break;
      case Act.Sigmoid:
        for (let j = 0; j < cols; j++) Z[r + j] = 1 / (1 + Math.exp(-(Z[r + j] + b[j])));
        break;
      case Act.Tanh:
        for (let j = 0; j < cols; j++) Z[r + j] = Math.tanh(Z[r + j] + b[j]);
        break;
      case Act.Relu:
        // Math.max keeps NaN (a `z > 0 ? z : 0` would turn NaN into 0 and hide a divergence)
        for (let j = 0; j < cols; j++) Z[r + j] = Math.max(0, Z[r + j] + b[j]);
        break;
      case Act.LeakyRelu:
        for (let j = 0; j < cols; j++) {
          const z = Z[r + j] + b[j];
          Z[r + j] = z > 0 ? z : slope * z; // NaN > 0 is false: slope · NaN = NaN, kept
        }
        break;
    }
  }
}

/** dZ[i] = dA[i] · act'(z_i), written with A = act(z). dZ may alias dA. All buffers: (n). */
function actBackward(dZ: FloatArray, dA: FloatArray, A: FloatArray, n: number, act: Act, slope: number): void {
  switch (act) {
    case Act.Identity:
      if (dZ !== dA) for (let i = 0; i < n; i++) dZ[i] = dA[i];
      break;
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) { const a = A[i]; dZ[i] = dA[i] * a * (1 - a); }
      break;
    case Act.Tanh:
      for (let i = 0; i < n; i++) { const a = A[i]; dZ[i] = dA[i] * (1 - a * a); }
      break;
    case Act.Relu:
      for (let i = 0; i < n; i++) dZ[i] = A[i] > 0 ? dA[i] : 0;
      break;
    case Act.LeakyRelu:
      for (let i = 0; i < n; i++) dZ[i] = A[i] > 0 ? dA[i] : slope * dA[i];
      break;
  }
}

/** log(1 + e^z) without overflow: max(z, 0) + log1p(e^-|z|). */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** sigmoid(z) without overflow of e^-z for very negative z. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Output layer, fused (see the contract in types.ts). Z: (rows, cols) logits before the bias -> outputs H;
 * b: (cols); Y: (rows, cols) targets; dZ: (rows, cols) = scale · ∂loss/∂z. Returns the loss summed over rows
 * and outputs.
 *
 * SoftmaxCe's gradient is written for any non-negative targets: ∂/∂z_j Σ_k y_k (lse - z_k) = h_j·Σy - y_j,
 * which is h - y for one-hot rows.
 */
function outputLoss(
  dZ: FloatArray, Z: FloatArray, b: FloatArray, Y: FloatArray,
  rows: number, cols: number, kind: OutLoss, scale: number,
): number {
  let loss = 0;
  switch (kind) {
    case OutLoss.SigmoidBce:
      for (let i = 0; i < rows; i++) {
        const r = i * cols;
        for (let j = 0; j < cols; j++) {
          const z = Z[r + j] + b[j];
          const y = Y[r + j];
          loss += softplus(z) - y * z; // = -[y log h + (1-y) log(1-h)]
          const h = sigmoid(z);
          Z[r + j] = h;
          dZ[r + j] = scale * (h - y);
        }
      }
      return loss;
    case OutLoss.SoftmaxCe:
      for (let i = 0; i < rows; i++) {
        const r = i * cols;
        let m = -Infinity;
        for (let j = 0; j < cols; j++) {
          const z = Z[r + j] + b[j];
          Z[r + j] = z;
          if (z > m) m = z;
        }
        if (m !== m || m === -Infinity) m = 0; // all NaN or all -Inf: let NaN flow through below
        let s = 0;
        let sy = 0;
        let yz = 0;
        for (let j = 0; j < cols; j++) {
          s += Math.exp(Z[r + j] - m);
          const y = Y[r + j];
          sy += y;
          if (y !== 0) yz += y * Z[r + j];
        }
        const lse = m + Math.log(s);
        loss += sy * lse - yz;
        for (let j = 0; j < cols; j++) {
          const h = Math.exp(Z[r + j] - lse);
          Z[r + j] = h;
          dZ[r + j] = scale * (h * sy - Y[r + j]);
        }
      }
      return loss;
    case OutLoss.IdentityMse:
      for (let i = 0; i < rows; i++) {
        const r = i * cols;
        for (let j = 0; j < cols; j++) {
          const h = Z[r + j] + b[j];
          const d = h - Y[r + j];
          loss += 0.5 * d * d;
          Z[r + j] = h;
          dZ[r + j] = scale * d;
        }
      }
      return loss;
    case OutLoss.SigmoidMse:
      for (let i = 0; i < rows; i++) {
        const r = i * cols;
        for (let j = 0; j < cols; j++) {
          const h = sigmoid(Z[r + j] + b[j]);
          const d = h - Y[r + j];
          loss += 0.5 * d * d;
          Z[r + j] = h;
          dZ[r + j] = scale * d * h * (1 - h);
        }
      }
      return loss;
  }
  return loss;
}

/** Xb[i, :] = X[idx[start + i], :], Y[i, :] = one-hot(labels[idx[start + i]]). Xb: (rows, cols), Y: (rows, K). */
function gatherBatch(
  Xb: FloatArray, Y: FloatArray, X: FloatArray, labels: Uint8Array, idx: Uint32Array,
  start: number, rows: number, cols: number, K: number,
): void {
  Y.fill(0, 0, rows * K);
  for (let i = 0; i < rows; i++) {
    const r = idx[start + i];
    const src = r * cols;
    const dst = i * cols;
    for (let j = 0; j < cols; j++) Xb[dst + j] = X[src + j];
    Y[i * K + labels[r]] = 1;
  }
}

/** db[j] = Σ_i dZ[i, j]. dZ: (rows, cols), db: (cols). */
function colSum(db: FloatArray, dZ: FloatArray, rows: number, cols: number): void {
  for (let j = 0; j < cols; j++) db[j] = 0;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) db[j] += dZ[r + j];
  }
}

/** y[i] += a · x[i]. */
function axpy(y: FloatArray, x: FloatArray, n: number, a: number): void {
  for (let i = 0; i < n; i++) y[i] += a * x[i];
}

/** Σ x[i]². */
function sumSq(x: FloatArray, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

/** p -= lr · (g + decay · p). */
function sgdStep(p: FloatArray, g: FloatArray, n: number, lr: number, decay: number): void {
  if (decay === 0) for (let i = 0; i < n; i++) p[i] -= lr * g[i];
  else for (let i = 0; i < n; i++) p[i] -= lr * (g[i] + decay * p[i]);
}

/**
 * Optimizer state (velocity, Adam's moments) whose stored value is below the array type's smallest normal
 * number is stored as 0, in every tier: a state that decays geometrically (momentum on a weight whose gradient
 * became 0) otherwise goes subnormal and makes each native step on it ~100 cycles slower (native/gemm_impl.h,
 * flush_tiny). The weights' update of the step itself uses the value before the flush.
 */
const minNormal = (a: FloatArray): number => (a instanceof Float32Array ? 2 ** -126 : 2 ** -1022);

/** v = mu · v + g (stored, flushed as above); p -= lr · v (or lr · (g + mu · v) with nesterov). */
function momentumStep(
  p: FloatArray, g: FloatArray, v: FloatArray, n: number, lr: number, mu: number, nesterov: boolean,
): void {
  const tiny = minNormal(v);
  for (let i = 0; i < n; i++) {
    const vi = mu * v[i] + g[i];
    v[i] = vi;
    if (Math.abs(v[i]) < tiny) v[i] = 0; // the stored (rounded) value
    p[i] -= nesterov ? lr * (g[i] + mu * vi) : lr * vi;
  }
}

/** Adam / AdamW: see types.ts. bc1 = 1 - b1^t, bc2 = 1 - b2^t. */
function adamStep(
  p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, n: number,
  lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, wd: number,
): void {
  const tiny = minNormal(v);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + (1 - b1) * gi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (Math.abs(m[i]) < tiny) m[i] = 0;
    if (Math.abs(v[i]) < tiny) v[i] = 0;
    p[i] -= lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + eps) + wd * p[i]);
  }
}

/** The TypeScript reference kernels (backend 'js'). */
/** Z = act(A · W + b): the composition that defines linearAct. Z: (rows, nOut), A: (rows, nIn), W: (nIn, nOut), b: (nOut). */
function linearAct(Z: FloatArray, A: FloatArray, W: FloatArray, b: FloatArray, rows: number, nIn: number, nOut: number, act: Act, slope: number): void {
  gemm(false, false, rows, nOut, nIn, 1, A, W, 0, Z);
  biasAct(Z, b, rows, nOut, act, slope);
}

/** dA = (dZ · Wᵀ) ⊙ act'(Aprev): the composition that defines linearBackward. dA, Aprev: (rows, nIn), dZ: (rows, nOut), W: (nIn, nOut). */
function linearBackward(dA: FloatArray, dZ: FloatArray, W: FloatArray, Aprev: FloatArray, rows: number, nIn: number, nOut: number, act: Act, slope: number): void {
  gemm(false, true, rows, nIn, nOut, 1, dZ, W, 0, dA);
  actBackward(dA, dA, Aprev, rows * nIn, act, slope);
}

/** The composition that defines weightGradStep (see types.ts). P, G, V: (nIn + 1, nOut) blocks (V empty: plain SGD). */
function weightGradStep(P: FloatArray, G: FloatArray, V: FloatArray, Aprev: FloatArray, dZ: FloatArray, rows: number, nIn: number, nOut: number,
  l2: number, lr: number, mu: number, nesterov: boolean, _writeGrad: boolean): void {
  const n = (nIn + 1) * nOut;
  colSum(G, dZ, rows, nOut);
  const dW = G.subarray(nOut, n);
  gemm(true, false, nIn, nOut, rows, 1, Aprev, dZ, 0, dW);
  if (l2 !== 0) axpy(dW, P.subarray(nOut, n), nIn * nOut, l2);
  if (V.length > 0) momentumStep(P, G, V, n, lr, mu, nesterov);
  else sgdStep(P, G, n, lr, 0);
}

function alloc(dtype: 'float32' | 'float64', n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export const jsKernels: Kernels = Object.freeze({
  backend: 'js' as const,
  tier: 'typescript' as const,
  label: 'typescript',
  gemm, linearAct, linearBackward, weightGradStep, biasAct, actBackward, outputLoss, gatherBatch, colSum, axpy, sumSq, sgdStep, momentumStep, adamStep,
  alloc,
});
