/**
 * Test-only naive reference of an MLP's forward pass, cost and gradient: scalar loops straight from the
 * textbook formulas (Math.exp / Math.log of the outputs, derivatives from z), written independently of the
 * kernels. Not exported from the package.
 */
import type { ModelSpec } from '../types.js';

function hiddenAct(a: string, z: number, slope: number): number {
  switch (a) {
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    case 'tanh': return Math.tanh(z);
    case 'relu': return z > 0 ? z : 0;
    case 'leaky-relu': return z > 0 ? z : slope * z;
    default: return z;
  }
}

function hiddenActDeriv(a: string, z: number, slope: number): number {
  switch (a) {
    case 'sigmoid': { const s = 1 / (1 + Math.exp(-z)); return s * (1 - s); }
    case 'tanh': { const t = Math.tanh(z); return 1 - t * t; }
    case 'relu': return z > 0 ? 1 : 0;
    case 'leaky-relu': return z > 0 ? 1 : slope;
    default: return 1;
  }
}

export interface NaiveResult {
  /** (n, K) outputs */
  outputs: number[][];
  /** J = (1/n) Σ loss_i + λ/(2n) Σ w² */
  cost: number;
  /** mean data loss */
  loss: number;
  /** dJ/dparams in the (nIn + 1, nOut) block layout, bias row 0 */
  grad: Float64Array;
}

/** params: the flat block layout (as numbers); x: (n, nIn) row-major; labels: (n). */
export function naiveMlp(spec: ModelSpec, params: ArrayLike<number>, x: ArrayLike<number>, labels: ArrayLike<number>, n: number, l2: number): NaiveResult {
  const L = spec.layers.length - 1;
  const slope = spec.leakySlope ?? 0.01;
  // unpack blocks: W[l][i][j] (i = 0 is the bias)
  const W: number[][][] = [];
  let off = 0;
  for (let l = 0; l < L; l++) {
    const nIn = spec.layers[l];
    const nOut = spec.layers[l + 1];
    const block: number[][] = [];
    for (let i = 0; i <= nIn; i++) {
      const row: number[] = [];
      for (let j = 0; j < nOut; j++) row.push(params[off + i * nOut + j]);
      block.push(row);
    }
    W.push(block);
    off += (nIn + 1) * nOut;
  }
  const grad = new Float64Array(off);
  const K = spec.layers[L];
  const outputs: number[][] = [];
  let lossSum = 0;
  for (let e = 0; e < n; e++) {
    const y: number[] = [];
    for (let k = 0; k < K; k++) y.push(labels[e] === k ? 1 : 0);
    // forward, keeping z and a per layer
    const as: number[][] = [[]];
    for (let i = 0; i < spec.layers[0]; i++) as[0].push(x[e * spec.layers[0] + i]);
    const zs: number[][] = [];
    for (let l = 0; l < L; l++) {
      const z: number[] = [];
      for (let j = 0; j < spec.layers[l + 1]; j++) {
        let s = W[l][0][j];
        for (let i = 0; i < spec.layers[l]; i++) s += as[l][i] * W[l][i + 1][j];
        z.push(s);
      }
      zs.push(z);
      if (l < L - 1) as.push(z.map((v) => hiddenAct(spec.activation, v, slope)));
    }
    const zL = zs[L - 1];
    let h: number[];
    if (spec.output === 'softmax') {
      const ex = zL.map((v) => Math.exp(v));
      const sum = ex.reduce((a, b) => a + b, 0);
      h = ex.map((v) => v / sum);
    } else if (spec.output === 'sigmoid') {
      h = zL.map((v) => 1 / (1 + Math.exp(-v)));
    } else {
      h = zL.slice();
    }
    outputs.push(h);
    // loss and output delta
    const delta: number[] = [];
    for (let k = 0; k < K; k++) {
      if (spec.loss === 'cross-entropy') {
        lossSum += spec.output === 'softmax' ? -y[k] * Math.log(h[k]) : -(y[k] * Math.log(h[k]) + (1 - y[k]) * Math.log(1 - h[k]));
        delta.push(h[k] - y[k]);
      } else {
        lossSum += 0.5 * (h[k] - y[k]) ** 2;
        delta.push(spec.output === 'sigmoid' ? (h[k] - y[k]) * h[k] * (1 - h[k]) : h[k] - y[k]);
      }
    }
    // backward
    let d = delta;
    let gOff = off;
    for (let l = L - 1; l >= 0; l--) {
      const nIn = spec.layers[l];
      const nOut = spec.layers[l + 1];
      gOff -= (nIn + 1) * nOut;
      for (let j = 0; j < nOut; j++) {
        grad[gOff + j] += d[j] / n;
        for (let i = 0; i < nIn; i++) grad[gOff + (i + 1) * nOut + j] += (as[l][i] * d[j]) / n;
      }
      if (l > 0) {
        const prev: number[] = [];
        for (let i = 0; i < nIn; i++) {
          let s = 0;
          for (let j = 0; j < nOut; j++) s += W[l][i + 1][j] * d[j];
          prev.push(s * hiddenActDeriv(spec.activation, zs[l - 1][i], slope));
        }
        d = prev;
      }
    }
  }
  // L2 over weights only
  let sq = 0;
  let o = 0;
  for (let l = 0; l < L; l++) {
    const nIn = spec.layers[l];
    const nOut = spec.layers[l + 1];
    for (let i = 1; i <= nIn; i++) {
      for (let j = 0; j < nOut; j++) {
        sq += W[l][i][j] ** 2;
        grad[o + i * nOut + j] += (l2 / n) * W[l][i][j];
      }
    }
    o += (nIn + 1) * nOut;
  }
  const loss = lossSum / n;
  return { outputs, loss, cost: loss + (l2 / (2 * n)) * sq, grad };
}

/** Max |a - b| / max(|b|, floor) over two arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** Small seeded synthetic classification data: K Gaussian blobs in nIn dims. */
export function blobs(rng: { normal(): number; int(n: number): number }, n: number, nIn: number, K: number, spread = 0.5, dtype: 'float32' | 'float64' = 'float64'):
  { x: Float32Array | Float64Array; labels: Uint8Array; n: number } {
  const centers: number[][] = [];
  for (let k = 0; k < K; k++) centers.push(Array.from({ length: nIn }, () => 2 * rng.normal()));
  const x = dtype === 'float64' ? new Float64Array(n * nIn) : new Float32Array(n * nIn);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(K);
    labels[i] = k;
    for (let j = 0; j < nIn; j++) x[i * nIn + j] = centers[k][j] + spread * rng.normal();
  }
  return { x, labels, n };
}
