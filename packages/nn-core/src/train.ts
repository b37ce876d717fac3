/**
 * The training loop: synchronous, deterministic (same spec + seed + dtype + backend -> bit-identical params
 * and metrics), and allocation-free per step: every work buffer is allocated once per train() call, and each
 * step is kernel calls on those buffers.
 *
 * Cost convention (the question's): J = (1/N) Σ_i loss_i + λ/(2N) Σ_l ||W_l||², N = training-subset size,
 * biases not regularised. A mini-batch of B rows steps along (1/B) Σ_batch ∇loss_i + (λ/N) W, whose
 * expectation over batches is ∇J; `gd` and batch 'full' step along ∇J itself.
 *
 * Full batch, one pass per epoch: the forward pass of the full-batch gradient at the params after e updates
 * IS the evaluation of epoch e on the training subset (same chunks, same kernels, hence the same numbers as a
 * separate evaluation pass, bit for bit), so one fused pass per chunk computes cost, accuracy, output
 * statistics and saturation of epoch e AND the gradient that step e + 1 uses. Only the last epoch's pass is
 * forward-only (no step follows). Timing: the pass's forward + backward work counts as training time of the
 * epoch whose step uses that gradient (`seconds`, as before the fusion: gradient + step); only the statistics
 * bookkeeping inside it counts as `evalSeconds`. Test/validation evaluation stays a separate pass.
 */
import { NnCoreError } from './errors.js';
import { ConfusionCounter, evalSet } from './evaluate.js';
import { SATURATION_BOUNDS } from './kernels/js.js';
import { SHUFFLE_STREAM, storageDtype } from './model.js';
import { addL2Grad, backward, backwardStep, checkSet, chunkViews, CHUNK, forward, stepBlocks, weightSumSq, Workspace } from './net.js';
import { makeOptimizer } from './optim/index.js';
import { makeSchedule } from './optim/schedule.js';
import { Rng } from './rng.js';
import type { EpochMetrics, EvalResult, FloatArray, LabeledSet, Mlp, TrainData, TrainOptions, TrainResult } from './types.js';

type Chunks = { start: number; rows: number; x: FloatArray }[];

function validateOptions(o: TrainOptions): void {
  const bad = (msg: string): never => { throw new NnCoreError('BAD_OPTIONS', `train.${msg}`); };
  if (!['gd', 'sgd', 'momentum', 'adam', 'adamw'].includes(o.optimizer)) bad(`optimizer '${String(o.optimizer)}' is unknown; use gd, sgd, momentum, adam or adamw`);
  if (!(o.batch === 'full' || (Number.isInteger(o.batch) && o.batch >= 1))) bad(`batch ${JSON.stringify(o.batch)} must be a whole number >= 1 or 'full'`);
  if (!(Number.isFinite(o.lr) && o.lr > 0)) bad(`lr ${o.lr} must be a positive number`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) bad(`epochs ${o.epochs} must be a whole number >= 0`);
  if (!(Number.isFinite(o.l2) && o.l2 >= 0)) bad(`l2 ${o.l2} must be a number >= 0`);
  if (!Number.isInteger(o.seed)) bad(`seed ${o.seed} must be an integer`);
  const unit = (name: 'momentum' | 'beta1' | 'beta2'): void => {
    const v = o[name];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v < 1)) bad(`${name} ${v} must be in [0, 1)`);
  };
  unit('momentum'); unit('beta1'); unit('beta2');
  if (o.eps !== undefined && !(Number.isFinite(o.eps) && o.eps >= 0)) bad(`eps ${o.eps} must be a number >= 0`);
  if (o.weightDecay !== undefined && !(Number.isFinite(o.weightDecay) && o.weightDecay >= 0)) bad(`weightDecay ${o.weightDecay} must be a number >= 0`);
  if (o.metricsEvery !== undefined && !(Number.isInteger(o.metricsEvery) && o.metricsEvery >= 1)) bad(`metricsEvery ${o.metricsEvery} must be a whole number >= 1`);
}

/** EpochMetrics of an epoch without the metrics pass (TrainOptions.metricsEvery): see EpochMetrics.measured. */
function unmeasured(epoch: number, lr: number, seconds: number): EpochMetrics {
  return {
    epoch, measured: false, cost: NaN, loss: NaN, l2Term: NaN, trainAcc: NaN, testAcc: null, valAcc: null, lr,
    outMean: NaN, outStd: NaN, outUnitMean: [], outUnitStd: [], gradNorm: [], updateRatio: [], weightNorm: [], weightMean: [],
    saturation: [], seconds, evalSeconds: 0,
  };
}

/** Accumulators of the evaluation pass over the training subset, allocated once per train(). */
class TrainStats {
  readonly unitShift: Float64Array; // (K) first row's outputs: shifted sums keep the variance exact
  readonly unitSum: Float64Array; // (K) Σ (h - shift)
  readonly unitSumSq: Float64Array; // (K) Σ (h - shift)²
  readonly saturated: Float64Array; // (L-1) sigmoid/tanh: count of |z| > 5
  readonly alive: Uint8Array[]; // per hidden layer (n_l): relu/leaky: unit had z > 0 for some input
  constructor(readonly model: Mlp) {
    const K = model.layers[model.layers.length - 1].nOut;
    this.unitShift = new Float64Array(K);
    this.unitSum = new Float64Array(K);
    this.unitSumSq = new Float64Array(K);
    this.saturated = new Float64Array(model.layers.length - 1);
    this.alive = model.layers.slice(0, -1).map((v) => new Uint8Array(v.nOut));
  }
  reset(): void {
    this.unitSum.fill(0);
    this.unitSumSq.fill(0);
    this.saturated.fill(0);
    for (const a of this.alive) a.fill(0);
  }
  /** Adds one chunk (rows of ws.acts). `first`: the chunk starts the pass (sets the shift). */
  add(ws: Workspace, rows: number, first: boolean): void {
    const L = this.model.layers.length;
    const H = ws.acts[L - 1];
    const K = this.unitSum.length;
    if (first) for (let j = 0; j < K; j++) this.unitShift[j] = H[j];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < K; j++) {
        const d = H[i * K + j] - this.unitShift[j];
        this.unitSum[j] += d;
        this.unitSumSq[j] += d * d;
      }
    }
    const act = this.model.spec.activation;
    for (let l = 0; l < L - 1; l++) {
      const A = ws.acts[l];
      const n = rows * this.model.layers[l].nOut;
      if (act === 'sigmoid') {
        const { sigmoidHigh: hi, sigmoidLow: lo } = SATURATION_BOUNDS;
        let c = 0;
        for (let i = 0; i < n; i++) { const a = A[i]; if (a > hi || a < lo) c++; }
        this.saturated[l] += c;
      } else if (act === 'tanh') {
        let c = 0;
        for (let i = 0; i < n; i++) if (Math.abs(A[i]) > SATURATION_BOUNDS.tanh) c++;
        this.saturated[l] += c;
      } else if (act === 'relu' || act === 'leaky-relu') {
        const alive = this.alive[l];
        const cols = this.model.layers[l].nOut;
        // column by column, stopping at the first positive row: units come alive within a few rows, so this
        // reads O(cols) values per chunk instead of rows·cols (only dead units are scanned to the end)
        for (let j = 0; j < cols; j++) {
          if (alive[j] !== 0) continue;
          for (let i = j; i < rows * cols; i += cols) {
            if (A[i] > 0) { alive[j] = 1; break; }
          }
        }
      }
    }
  }
}

function mean(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

function l2Norm(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/**
 * Trains `model` in place. Emits EpochMetrics through `onEpoch` for epoch 0 (the untrained net) and after
 * each epoch; returning 'stop' from it ends training early (status 'stopped'). A NaN/Inf in the cost or in
 * the parameters ends it with status 'diverged' (that epoch's metrics are still emitted, non-finite values
 * as they are).
 *
 * metricsEvery = N (default 1): the metrics pass (whole training subset, test and validation sets) runs for
 * epoch 0, every N-th epoch, the last epoch, and an epoch at which training diverged or stopped; the other
 * epochs are emitted with `measured: false` (see EpochMetrics). Divergence is still caught on those epochs:
 * from the mini-batch losses of the epoch (full batch: the loss of its gradient pass) and a sum of squares of
 * the parameters. When onEpoch returns 'stop' after an unmeasured epoch, that epoch is measured and emitted
 * once more (same epoch number, measured: true; that call's return value is ignored), so `last` is always a
 * measured epoch.
 */
export function train(model: Mlp, data: TrainData, opts: TrainOptions, onEpoch?: (m: EpochMetrics) => void | 'stop'): TrainResult {
  validateOptions(opts);
  const tr = data.train;
  checkSet(model, tr, 'data.train', data.numClasses);
  if (tr.n === 0) throw new NnCoreError('BAD_DATA', 'data.train: the training subset is empty; fix: select at least one training example');
  const test = data.test ?? null;
  const val = data.validation ?? null;
  if (test) checkSet(model, test, 'data.test', data.numClasses);
  if (val) checkSet(model, val, 'data.validation', data.numClasses);

  const k = model.kernels;
  const L = model.layers.length;
  const nIn = model.layers[0].nIn;
  const K = model.layers[L - 1].nOut;
  const N = tr.n;
  const lambda = opts.l2;
  const full = opts.optimizer === 'gd' || opts.batch === 'full' || opts.batch >= N;
  const B = full ? N : (opts.batch as number);

  // ---- buffers, once per call ----
  const largest = Math.max(N, test?.n ?? 0, val?.n ?? 0);
  const ws = new Workspace(model, Math.max(full ? 1 : B, Math.min(CHUNK, largest)));
  const trainChunks = chunkViews(tr.x, N, nIn);
  const testChunks = test ? chunkViews(test.x, test.n, nIn) : null;
  const valChunks = val ? chunkViews(val.x, val.n, nIn) : null;
  const xb: FloatArray = full ? tr.x : k.alloc(storageDtype(model.dtype), B * nIn); // (B, nIn) gathered batch
  const perm = new Uint32Array(full ? 0 : N); // row order of the current epoch
  const prevParams: FloatArray = model.dtype === 'float64' ? new Float64Array(model.numParams) : new Float32Array(model.numParams);
  const stats = new TrainStats(model);
  const counter = new ConfusionCounter(K);
  const shuffleRng = new Rng(opts.seed).fork(SHUFFLE_STREAM);
  const opt = makeOptimizer(model, opts);
  const lrAt = makeSchedule(opts.lr, opts.epochs, opts.schedule);
  const l2Coef = lambda / N;

  const reshuffle = (): void => {
    for (let i = 0; i < N; i++) perm[i] = i;
    shuffleRng.shuffle(perm);
  };

  // SGD / momentum on mini-batches: the step runs inside the backward pass (backwardStep, weightGradStep), layer
  // by layer while the gradient is hot, with the same numbers as batchGradient + opt.step
  const fused = !full ? opt.fused ?? null : null;
  const blocks = fused ? stepBlocks(model, fused.velocity) : null;
  /** One SGD / momentum update from rows perm[start .. start + rows); gradients kept in model.grads when keepGrads. */
  const fusedStep = (start: number, rows: number, lr: number, keepGrads: boolean): number => {
    k.gatherBatch(xb, ws.y, tr.x, tr.labels, perm, start, rows, nIn, K); // (rows, nIn) inputs + one-hot targets
    const loss = forward(model, ws, xb, rows, 1 / rows);
    backwardStep(model, ws, xb, rows, blocks!, l2Coef, lr, fused!.mu, fused!.nesterov, keepGrads);
    fused!.countStep();
    return loss;
  };

  /** Mini-batch gradient of J's estimate at rows perm[start .. start + rows) into model.grads; returns the batch's summed data loss. */
  const batchGradient = (start: number, rows: number): number => {
    k.gatherBatch(xb, ws.y, tr.x, tr.labels, perm, start, rows, nIn, K); // (rows, nIn) inputs + one-hot targets
    const loss = forward(model, ws, xb, rows, 1 / rows);
    backward(model, ws, xb, rows, false);
    addL2Grad(model, l2Coef);
    return loss;
  };

  /**
   * One pass over the training subset at the current params, chunk by chunk: the data loss (returned, summed),
   * accuracy (counter) and output/saturation statistics (stats) of these params; with `withGradient` also the
   * full-batch gradient ∇J (data loss + L2) into model.grads, from the same forward passes. `statsSeconds`
   * receives the time spent on the statistics alone.
   */
  let statsSeconds = 0;
  const trainSetPass = (withGradient: boolean, withStats = true): number => {
    stats.reset();
    counter.reset();
    statsSeconds = 0;
    const H = ws.acts[L - 1];
    let lossSum = 0;
    for (let c = 0; c < trainChunks.length; c++) {
      const ch = trainChunks[c];
      ws.setTargets(tr.labels, ch.start, ch.rows, K);
      // the scale only scales dZ (the gradient), never H or the returned loss
      lossSum += forward(model, ws, ch.x, ch.rows, withGradient ? 1 / N : 1);
      if (withStats) {
        const t = performance.now();
        counter.add(H, tr.labels, ch.start, ch.rows);
        stats.add(ws, ch.rows, c === 0);
        statsSeconds += (performance.now() - t) / 1000;
      }
      if (withGradient) backward(model, ws, ch.x, ch.rows, c > 0);
    }
    if (withGradient) addL2Grad(model, l2Coef);
    return lossSum;
  };

  // test / validation passes reuse one counter each (no allocation per epoch beyond the result's arrays)
  const testCounter = new ConfusionCounter(K);
  const valCounter = new ConfusionCounter(K);
  const evalAcc = (set: LabeledSet, chunks: Chunks, c: ConfusionCounter): ConfusionCounter => {
    c.reset();
    evalSet(model, ws, set, chunks, c);
    return c;
  };

  let lastTest: EvalResult | null = null;

  /**
   * EpochMetrics from a finished training-set pass (lossSum, counter, stats) plus the test/validation passes.
   * gradNorm is given by the caller (taken before a fused pass overwrote model.grads). `evalSeconds` so far
   * is added to the time of what this function does itself.
   */
  const metrics = (epoch: number, lr: number, seconds: number, evalSoFar: number, lossSum: number, gradNorm: number[], updateRatio: (number | null)[]): EpochMetrics => {
    const t0 = performance.now();
    const loss = lossSum / N;
    const l2Term = (lambda / (2 * N)) * weightSumSq(model);
    const outUnitMean: number[] = [];
    const outUnitStd: number[] = [];
    let totalVar = 0;
    for (let j = 0; j < K; j++) {
      const m = stats.unitSum[j] / N;
      outUnitMean.push(stats.unitShift[j] + m);
      outUnitStd.push(Math.sqrt(Math.max(0, stats.unitSumSq[j] / N - m * m)));
    }
    const outMean = outUnitMean.reduce((a, b) => a + b, 0) / K;
    for (let j = 0; j < K; j++) totalVar += outUnitStd[j] ** 2 + (outUnitMean[j] - outMean) ** 2; // law of total variance
    const saturation: number[] = [];
    for (let l = 0; l < L - 1; l++) {
      const units = model.layers[l].nOut;
      const act = model.spec.activation;
      if (act === 'relu' || act === 'leaky-relu') saturation.push(stats.alive[l].reduce((d, a) => d + (a === 0 ? 1 : 0), 0) / units);
      else if (act === 'identity') saturation.push(0);
      else saturation.push(stats.saturated[l] / (N * units));
    }
    let testAcc: number | null = null;
    let valAcc: number | null = null;
    if (test && testChunks) {
      const r = evalAcc(test, testChunks, testCounter).result();
      lastTest = { ...r, confusion: r.confusion.map((row) => [...row]) }; // a copy: the counter is reused
      testAcc = lastTest.accuracy;
    }
    if (val && valChunks) valAcc = evalAcc(val, valChunks, valCounter).result().accuracy;
    return {
      epoch, measured: true, cost: loss + l2Term, loss, l2Term,
      trainAcc: counter.correct / N, testAcc, valAcc, lr,
      outMean, outStd: Math.sqrt(totalVar / K), outUnitMean, outUnitStd,
      gradNorm,
      updateRatio,
      weightNorm: model.layers.map((v) => l2Norm(v.W)),
      weightMean: model.layers.map((v) => mean(v.W)),
      saturation, seconds, evalSeconds: evalSoFar + (performance.now() - t0) / 1000,
    };
  };

  const gradNorms = (): number[] => model.layers.map((v) => l2Norm(v.dW));
  const isDiverged = (m: EpochMetrics): boolean => !Number.isFinite(m.cost) || !Number.isFinite(k.sumSq(model.params, model.numParams));

  // ---- epoch 0: the untrained net, with the gradient of the first batch (full batch: of the whole subset) ----
  let last: EpochMetrics;
  /** full batch: seconds of the gradient part of the last fused pass, charged to the epoch whose step uses it */
  let carried = 0;
  if (full) {
    const t0 = performance.now();
    const lossSum = trainSetPass(true);
    carried = (performance.now() - t0) / 1000 - statsSeconds;
    last = metrics(0, lrAt(1), 0, statsSeconds, lossSum, gradNorms(), model.layers.map(() => null));
  } else {
    reshuffle();
    batchGradient(0, Math.min(B, N));
    const gradNorm = gradNorms();
    const t0 = performance.now();
    const lossSum = trainSetPass(false);
    last = metrics(0, lrAt(1), 0, (performance.now() - t0) / 1000, lossSum, gradNorm, model.layers.map(() => null));
  }
  let best: number | null = last.testAcc;
  let status: TrainResult['status'] = 'done';
  let divergedAt: number | null = null;
  let epochsDone = 0;
  if (isDiverged(last)) {
    status = 'diverged';
    divergedAt = 0;
  }
  let stop = onEpoch?.(last) === 'stop';
  const every = opts.metricsEvery ?? 1;

  for (let e = 1; e <= opts.epochs && status === 'done' && !stop; e++) {
    const lr = lrAt(e);
    const t0 = performance.now();
    /** the epoch's data loss as training saw it: sum of the mini-batch losses (full batch: set by the pass below) */
    let seenLoss = 0;
    if (full) {
      // model.grads holds ∇J at the params after e - 1 updates, from the previous fused pass
      prevParams.set(model.params); // keep W for ||ΔW||
      opt.step(lr);
    } else {
      if (e > 1) reshuffle();
      for (let start = 0; start < N; start += B) {
        const rows = Math.min(B, N - start);
        const lastStep = start + B >= N;
        if (fused) {
          if (lastStep) prevParams.set(model.params); // last step of the epoch: keep W for ||ΔW||, and its gradient
          seenLoss += fusedStep(start, rows, lr, lastStep);
          continue;
        }
        seenLoss += batchGradient(start, rows);
        if (lastStep) prevParams.set(model.params); // last step of the epoch: keep W for ||ΔW||
        opt.step(lr);
      }
    }
    const seconds = (performance.now() - t0) / 1000 + carried;
    if (!(e % every === 0 || e === opts.epochs)) {
      // no metrics pass: full batch still needs the next step's gradient (a pass without the statistics);
      // divergence from the losses training saw and the parameters
      if (full) {
        const t1 = performance.now();
        seenLoss = trainSetPass(true, false);
        carried = (performance.now() - t1) / 1000;
      }
      if (Number.isFinite(seenLoss) && Number.isFinite(k.sumSq(model.params, model.numParams))) {
        last = unmeasured(e, lr, seconds);
        epochsDone = e;
        stop = onEpoch?.(last) === 'stop';
        if (!stop) continue;
        // stopped here: measure this epoch after all (`last` must be measured), emitted again below
      }
    }
    const updateRatio = model.layers.map((v) => {
      let d = 0;
      let w = 0;
      for (let i = v.offset + v.nOut; i < v.offset + v.size; i++) {
        const p = prevParams[i];
        d += (model.params[i] - p) ** 2;
        w += p * p;
      }
      return w === 0 ? null : Math.sqrt(d) / Math.sqrt(w);
    });
    const gradNorm = gradNorms(); // the gradient of this epoch's last step, before a fused pass replaces it
    const t1 = performance.now();
    // full batch: the pass at these params also yields the next step's gradient (none after the last epoch)
    const withGradient = full && e < opts.epochs;
    const lossSum = trainSetPass(withGradient);
    const passSeconds = (performance.now() - t1) / 1000;
    carried = withGradient ? passSeconds - statsSeconds : 0;
    last = metrics(e, lr, seconds, withGradient ? statsSeconds : passSeconds, lossSum, gradNorm, updateRatio);
    epochsDone = e;
    if (last.testAcc !== null && (best === null || last.testAcc > best)) best = last.testAcc;
    if (isDiverged(last)) {
      status = 'diverged';
      divergedAt = e;
    }
    if (stop) onEpoch?.(last); // re-emitted measured after a 'stop' at an unmeasured epoch
    else stop = onEpoch?.(last) === 'stop';
    if (stop && status === 'done' && e < opts.epochs) status = 'stopped';
  }
  if (stop && status === 'done' && epochsDone < opts.epochs) status = 'stopped';

  return {
    status, epochsDone, divergedAt, last, bestTestAcc: best, updates: opt.steps,
    testEval: lastTest, backend: k.backend, tier: k.label,
  };
}

