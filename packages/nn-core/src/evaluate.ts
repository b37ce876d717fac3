/** Prediction and evaluation on any split, in chunks through the model's kernels. */
import { NnCoreError } from './errors.js';
import { checkSet, chunkViews, CHUNK, forward, Workspace } from './net.js';
import type { EvalResult, FloatArray, LabeledSet, Mlp } from './types.js';

/** Index of the largest of H[r*K .. r*K + K) (first one on ties; NaN never wins). */
export function argmaxRow(H: FloatArray, r: number, K: number): number {
  const o = r * K;
  let best = 0;
  let bv = H[o];
  for (let j = 1; j < K; j++) {
    const v = H[o + j];
    if (v > bv || (bv !== bv && v === v)) { bv = v; best = j; }
  }
  return best;
}

/** An empty K×K confusion matrix and counters. */
export class ConfusionCounter {
  readonly confusion: number[][];
  correct = 0;
  total = 0;
  constructor(readonly K: number) {
    this.confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  }
  reset(): void {
    for (const row of this.confusion) row.fill(0);
    this.correct = 0;
    this.total = 0;
  }
  add(H: FloatArray, labels: Uint8Array, start: number, rows: number): void {
    for (let r = 0; r < rows; r++) {
      const t = labels[start + r];
      const p = argmaxRow(H, r, this.K);
      this.confusion[t][p]++;
      if (t === p) this.correct++;
    }
    this.total += rows;
  }
  result(): EvalResult {
    const perClass = this.confusion.map((row, c) => {
      const n = row.reduce((a, b) => a + b, 0);
      return n === 0 ? NaN : row[c] / n;
    });
    return { accuracy: this.total === 0 ? NaN : this.correct / this.total, perClass, confusion: this.confusion };
  }
}

/**
 * Network outputs for n rows of x (n, nIn): (n, K) row-major, into `out` when given (length >= n·K),
 * else into a new array of the model's dtype.
 */
export function predict(model: Mlp, x: FloatArray, n: number, out?: FloatArray): FloatArray {
  checkSet(model, { x, n }, 'predict');
  const K = model.layers[model.layers.length - 1].nOut;
  const res = out ?? (model.dtype === 'float64' ? new Float64Array(n * K) : new Float32Array(n * K));
  if (res.length < n * K) throw new NnCoreError('BAD_DATA', `predict: out holds ${res.length} values, fewer than n·K = ${n}·${K}`);
  const ws = new Workspace(model, Math.max(1, Math.min(CHUNK, n)));
  ws.y.fill(0); // targets are irrelevant for outputs
  const H = ws.acts[model.layers.length - 1];
  for (const ch of chunkViews(x, n, model.layers[0].nIn)) {
    forward(model, ws, ch.x, ch.rows, 1);
    for (let i = 0; i < ch.rows * K; i++) res[ch.start * K + i] = H[i];
  }
  return res;
}

/** Runs the set through the model in chunks, counting the confusion matrix. Returns the summed data loss. */
export function evalSet(model: Mlp, ws: Workspace, set: LabeledSet, chunks: { start: number; rows: number; x: FloatArray }[], counter: ConfusionCounter): number {
  const K = counter.K;
  const H = ws.acts[model.layers.length - 1];
  let loss = 0;
  for (const ch of chunks) {
    ws.setTargets(set.labels, ch.start, ch.rows, K);
    loss += forward(model, ws, ch.x, ch.rows, 1);
    counter.add(H, set.labels, ch.start, ch.rows);
  }
  return loss;
}

/**
 * Accuracy, per-class accuracy, confusion matrix (confusion[true][predicted]) and the mean data loss per
 * example (no L2 term) of the model on a labelled set.
 */
export function evaluate(model: Mlp, set: LabeledSet): EvalResult & { loss: number } {
  checkSet(model, set, 'evaluate');
  const K = model.layers[model.layers.length - 1].nOut;
  const ws = new Workspace(model, Math.max(1, Math.min(CHUNK, set.n)));
  const counter = new ConfusionCounter(K);
  const loss = evalSet(model, ws, set, chunkViews(set.x, set.n, model.layers[0].nIn), counter);
  return { ...counter.result(), loss: set.n === 0 ? NaN : loss / set.n };
}
