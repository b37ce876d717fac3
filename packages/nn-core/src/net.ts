/**
 * Forward and backward passes over a batch, on buffers preallocated once (a Workspace) and through the
 * model's kernels only, so a native backend speeds up every pass.
 *
 * Shapes: R = rows of the current batch (<= ws.rows), n_l = layer sizes, K = output units.
 * Forward:  A_l = act(A_{l-1} · W_l + b_l) (linearAct: gemm NN, bias, activation; fused in the built-in tier);
 *           the output layer: Z_L = A_{L-1} · W_L (gemm NN), then bias, output activation, loss and its gradient
 *           in one pass (outputLoss).
 * Backward: dW_l = A_{l-1}ᵀ · dZ_l (gemm TN), db_l = colSum(dZ_l),
 *           dZ_{l-1} = (dZ_l · W_lᵀ) ⊙ act'(A_{l-1}) (linearBackward: gemm NT, activation derivative).
 */
import { NnCoreError } from './errors.js';
import type { Act, FloatArray, OutLoss } from './kernels/types.js';
import { actCode, leakySlope, outLossCode } from './spec.js';
import { storageDtype } from './model.js';
import type { DType, LabeledSet, Mlp } from './types.js';

/** Rows per chunk of the passes over a whole set (evaluation, full-batch gradients). */
export const CHUNK = 1024;

export class Workspace {
  /** acts[l]: (rows, n_{l+1}) activations of layer l (the last one holds the outputs H) */
  readonly acts: FloatArray[];
  /** deltas[l]: (rows, n_{l+1}) dJ/dZ of layer l (dA of the layer below is computed in place) */
  readonly deltas: FloatArray[];
  /** y: (rows, K) one-hot targets of the current batch */
  readonly y: FloatArray;
  /** dbTmp: (max n_l) scratch for accumulating bias gradients over chunks */
  readonly dbTmp: FloatArray;
  readonly act: Act;
  readonly outLoss: OutLoss;
  readonly slope: number;

  constructor(model: Mlp, readonly rows: number) {
    const alloc = (n: number): FloatArray => model.kernels.alloc(storageDtype(model.dtype), n);
    this.acts = model.layers.map((v) => alloc(rows * v.nOut));
    this.deltas = model.layers.map((v) => alloc(rows * v.nOut));
    this.y = alloc(rows * model.layers[model.layers.length - 1].nOut);
    this.dbTmp = alloc(Math.max(...model.layers.map((v) => v.nOut)));
    this.act = actCode(model.spec.activation);
    this.outLoss = outLossCode(model.spec);
    this.slope = leakySlope(model.spec);
  }

  /** ws.y[0..rows) = one-hot of labels[start .. start + rows). */
  setTargets(labels: Uint8Array, start: number, rows: number, K: number): void {
    const y = this.y;
    y.fill(0, 0, rows * K);
    for (let i = 0; i < rows; i++) y[i * K + labels[start + i]] = 1;
  }
}

/**
 * Forward pass of `rows` rows of X (rows, n_0) against the targets in ws.y. Leaves activations in ws.acts,
 * outputs H in ws.acts[L-1], and dZ_L = scale · ∂loss/∂z in ws.deltas[L-1]. Returns the summed data loss.
 */
export function forward(model: Mlp, ws: Workspace, X: FloatArray, rows: number, scale: number): number {
  const k = model.kernels;
  const L = model.layers.length;
  let A = X;
  for (let l = 0; l < L - 1; l++) {
    const v = model.layers[l];
    const Z = ws.acts[l];
    k.linearAct(Z, A, v.W, v.b, rows, v.nIn, v.nOut, ws.act, ws.slope); // Z = act(A·W + b)
    A = Z;
  }
  const v = model.layers[L - 1];
  const Z = ws.acts[L - 1];
  k.gemm(false, false, rows, v.nOut, v.nIn, 1, A, v.W, 0, Z);
  return k.outputLoss(ws.deltas[L - 1], Z, v.b, ws.y, rows, v.nOut, ws.outLoss, scale);
}

/**
 * Backward pass after forward() on the same rows: data-loss gradients into model.grads, overwriting them
 * (accumulate = false) or adding to them (accumulate = true, for full-batch gradients over chunks).
 */
export function backward(model: Mlp, ws: Workspace, X: FloatArray, rows: number, accumulate: boolean): void {
  const k = model.kernels;
  for (let l = model.layers.length - 1; l >= 0; l--) {
    const v = model.layers[l];
    const dZ = ws.deltas[l];
    const Aprev = l === 0 ? X : ws.acts[l - 1];
    k.gemm(true, false, v.nIn, v.nOut, rows, 1, Aprev, dZ, accumulate ? 1 : 0, v.dW);
    if (accumulate) {
      k.colSum(ws.dbTmp, dZ, rows, v.nOut);
      k.axpy(v.db, ws.dbTmp, v.nOut, 1);
    } else {
      k.colSum(v.db, dZ, rows, v.nOut);
    }
    if (l > 0) {
      // dZ_{l-1} = (dZ_l · W_lᵀ) ⊙ act'(A_{l-1})
      k.linearBackward(ws.deltas[l - 1], dZ, v.W, ws.acts[l - 1], rows, v.nIn, v.nOut, ws.act, ws.slope);
    }
  }
}

/** Per-layer views for backwardStep, made once per train(): the (nIn + 1, nOut) blocks [b; W], [db; dW], [vb; vW]. */
export interface StepBlocks { P: FloatArray[]; G: FloatArray[]; V: FloatArray[] }

export function stepBlocks(model: Mlp, velocity: FloatArray | null): StepBlocks {
  const empty = model.params.subarray(0, 0);
  return {
    P: model.layers.map((v) => model.params.subarray(v.offset, v.offset + v.size)),
    G: model.layers.map((v) => model.grads.subarray(v.offset, v.offset + v.size)),
    V: model.layers.map((v) => (velocity ? velocity.subarray(v.offset, v.offset + v.size) : empty)),
  };
}

/**
 * Backward pass and SGD / momentum step in one sweep (mini-batch training), after forward() on the same rows:
 * per layer from the top, first dZ_{l-1} = (dZ_l · W_lᵀ) ⊙ act'(A_{l-1}) with the weights before their update,
 * then weightGradStep: the layer's gradient (+ l2Coef · W) and its update (mu = momentum, ignored without a
 * velocity block). The same numbers as backward() + addL2Grad() + the optimizer's step over all parameters,
 * since every update is elementwise and uses only its own layer's gradient. Gradients stay in model.grads
 * only with writeGrad (db rows always).
 */
export function backwardStep(model: Mlp, ws: Workspace, X: FloatArray, rows: number, blocks: StepBlocks,
  l2Coef: number, lr: number, mu: number, nesterov: boolean, writeGrad: boolean): void {
  const k = model.kernels;
  for (let l = model.layers.length - 1; l >= 0; l--) {
    const v = model.layers[l];
    const dZ = ws.deltas[l];
    if (l > 0) k.linearBackward(ws.deltas[l - 1], dZ, v.W, ws.acts[l - 1], rows, v.nIn, v.nOut, ws.act, ws.slope);
    k.weightGradStep(blocks.P[l], blocks.G[l], blocks.V[l], l === 0 ? X : ws.acts[l - 1], dZ, rows, v.nIn, v.nOut, l2Coef, lr, mu, nesterov, writeGrad);
  }
}

/** dW_l += coef · W_l for every layer (the L2 term's gradient, coef = λ/N; biases excluded). */
export function addL2Grad(model: Mlp, coef: number): void {
  if (coef === 0) return;
  for (const v of model.layers) model.kernels.axpy(v.dW, v.W, v.W.length, coef);
}

/** Σ_l ||W_l||² (weights only), float64. */
export function weightSumSq(model: Mlp): number {
  let s = 0;
  for (const v of model.layers) s += model.kernels.sumSq(v.W, v.W.length);
  return s;
}

/** Views of a set's rows in chunks of CHUNK, created once (no per-step allocation when reused). */
export function chunkViews(x: FloatArray, n: number, nIn: number, chunk = CHUNK): { start: number; rows: number; x: FloatArray }[] {
  const out: { start: number; rows: number; x: FloatArray }[] = [];
  for (let s = 0; s < n; s += chunk) {
    const rows = Math.min(chunk, n - s);
    out.push({ start: s, rows, x: x.subarray(s * nIn, (s + rows) * nIn) });
  }
  return out;
}

/**
 * Full-batch data loss and gradient of the mean loss (1/n) Σ loss_i over the whole set, in chunks, into
 * model.grads (the L2 gradient is added by the caller). Returns the summed data loss.
 */
export function fullBatchGradient(model: Mlp, ws: Workspace, set: LabeledSet, chunks: { start: number; rows: number; x: FloatArray }[], scaleN: number): number {
  const K = model.layers[model.layers.length - 1].nOut;
  let loss = 0;
  for (let c = 0; c < chunks.length; c++) {
    const ch = chunks[c];
    ws.setTargets(set.labels, ch.start, ch.rows, K);
    loss += forward(model, ws, ch.x, ch.rows, 1 / scaleN);
    backward(model, ws, ch.x, ch.rows, c > 0);
  }
  return loss;
}

function dtypeOf(x: unknown): DType | null {
  return x instanceof Float64Array ? 'float64' : x instanceof Float32Array ? 'float32' : null;
}

/** Checks a set against the model once at an API boundary. `what` names it in messages (e.g. 'data.train'). */
export function checkSet(model: Mlp, set: { x: FloatArray; labels?: Uint8Array; n: number }, what: string, numClasses?: number): void {
  const nIn = model.layers[0].nIn;
  const K = model.layers[model.layers.length - 1].nOut;
  const bad = (msg: string): never => { throw new NnCoreError('BAD_DATA', `${what}: ${msg}`); };
  const dt = dtypeOf(set.x);
  if (dt === null) bad('x must be a Float32Array or Float64Array');
  const want = model.dtype === 'float64' ? 'float64' : 'float32'; // bfloat16 models take float32 data
  if (dt !== want) bad(`x is ${dt} but the model is ${model.dtype}; fix: load the data with dtype '${want}'`);
  if (!Number.isInteger(set.n) || set.n < 0) bad(`n = ${set.n} is not a row count`);
  if (set.x.length < set.n * nIn) bad(`x holds ${set.x.length} values, fewer than n·inputs = ${set.n}·${nIn}; fix: the model's first layer must match the data's input size`);
  if (set.x.length !== set.n * nIn) bad(`x holds ${set.x.length} values but n·inputs = ${set.n}·${nIn}; fix: the model's first layer (${nIn}) must match the data's input size`);
  if (numClasses !== undefined && numClasses !== K) bad(`the data has ${numClasses} classes but the model has ${K} outputs; fix: make the last layer ${numClasses}`);
  if (set.labels !== undefined) {
    if (set.labels.length < set.n) bad(`labels holds ${set.labels.length} entries for n = ${set.n}`);
    for (let i = 0; i < set.n; i++) {
      if (set.labels[i] >= K) bad(`label ${set.labels[i]} at row ${i} is not below the ${K} outputs; fix: make the last layer the number of classes`);
    }
  }
}
