/** How much computing a trial is: for progress ETAs and `plan`'s estimates. */
import type { TrialConfig } from './config/index.js';

/** Number of training examples the config selects. */
export function trainCount(config: Pick<TrialConfig, 'data'>): number {
  return config.data.train.count;
}

/** Number of test examples the config selects. */
export function testCount(config: Pick<TrialConfig, 'data'>): number {
  return config.data.test.count;
}

export function paramCount(layers: readonly number[]): number {
  let n = 0;
  for (let l = 1; l < layers.length; l++) n += ((layers[l - 1] ?? 0) + 1) * (layers[l] ?? 0);
  return n;
}

/** Work units of a trial: epochs x training examples x parameters (proportional to its flops). */
export function trialWork(config: TrialConfig): number {
  return Math.max(1, config.train.epochs) * trainCount(config) * paramCount(config.model.layers);
}

/**
 * Floating-point operations of a trial: each epoch trains on every sample (forward 2P + backward 4P flops for P
 * parameters) and evaluates train and test sets once (2P each); epoch 0 only evaluates.
 */
export function trialFlops(config: TrialConfig): number {
  const p = paramCount(config.model.layers);
  const n = trainCount(config);
  const e = Math.max(0, config.train.epochs);
  return e * n * 6 * p + (e + 1) * (n + testCount(config)) * 2 * p;
}

/** A readable name of an architecture: `784-5-5-10 sigmoid/sigmoid cross-entropy, l2 1`. */
export function archLabel(config: { model: { layers: readonly number[]; activation: string; output: string; loss: string }; train: { l2: number } }): string {
  const m = config.model;
  return `${m.layers.join('-')} ${m.activation}/${m.output} ${m.loss}, l2 ${config.train.l2}`;
}

/** Memory a worker thread uses besides its trial's buffers (V8 isolate and heap, code, kernel scratch space: a bare thread is ~11 MB). */
export const WORKER_BASE_MB = 32;
/** Rows nn-core processes at once in full-batch training and in evaluation (nn-core's CHUNK). */
const CHUNK_ROWS = 1024;
const MB = 1024 * 1024;

/** What a trial allocates, in MB: the figure `--max-memory` is compared with before the trial starts. */
export interface MemoryEstimate {
  totalMb: number;
  /** the data files as read (kept per thread) plus the scaled splits in the training dtype */
  dataMb: number;
  /** weights, gradients and optimizer state (plus bfloat16 copies of the weights) */
  parametersMb: number;
  /** activations, deltas and batch buffers of the largest chunk of rows in flight */
  activationsMb: number;
  workerMb: number;
}

/**
 * Estimates a trial's peak memory from its config, before anything is loaded. `fileBytes`: the size of its data
 * files as read (the data package keeps them per thread). Everything a trial allocates is counted: typed arrays
 * and native memory, not only V8's heap.
 */
export function trialMemoryEstimate(config: Pick<TrialConfig, 'data' | 'model' | 'train'>, fileBytes: number): MemoryEstimate {
  const dtype = String(config.train.dtype);
  const bytes = dtype === 'float64' ? 8 : 4; // float32 and bfloat16's float32 master values
  const layers = config.model.layers;
  const input = layers[0] ?? 0;
  const classes = layers[layers.length - 1] ?? 0;
  const examples = config.data.train.count + config.data.test.count;
  const dataMb = (fileBytes + examples * (input * bytes + 1)) / MB;
  const p = paramCount(layers);
  const stateCopies = config.train.optimizer === 'adam' || config.train.optimizer === 'adamw' ? 2 : config.train.optimizer === 'momentum' ? 1 : 0;
  const parametersMb = (p * bytes * (2 + stateCopies) + (dtype === 'bfloat16' ? p * 2 : 0)) / MB;
  const batch = config.train.batch === 'full' ? CHUNK_ROWS : Math.min(config.train.batch, CHUNK_ROWS);
  const rows = Math.max(batch, CHUNK_ROWS); // evaluation runs in chunks of CHUNK_ROWS whatever the batch
  const widths = layers.slice(1).reduce((s, w) => s + w, 0);
  const activationsMb = (rows * (3 * widths + input + classes) * bytes) / MB;
  const totalMb = dataMb + parametersMb + activationsMb + WORKER_BASE_MB;
  return { totalMb, dataMb, parametersMb, activationsMb, workerMb: WORKER_BASE_MB };
}

/** The refusal of a trial that cannot fit in `limitMb` (null when it fits). */
export function memoryRefusal(e: MemoryEstimate, limitMb: number): string | null {
  if (e.totalMb <= limitMb) return null;
  const r = (x: number) => Math.ceil(x);
  return `this trial needs about ${r(e.totalMb)} MB (data ${r(e.dataMb)}, weights, gradients and optimizer state ${r(e.parametersMb)}, ` +
    `activations ${r(e.activationsMb)}, the worker thread ${r(e.workerMb)}) but --max-memory is ${limitMb} MB per worker; ` +
    'raise --max-memory, or use a smaller model, batch or data subset, or float32';
}
