/** Public types of nn-core (the contracts in docs/design.md). */
import type { KernelChoice } from './kernels/index.js';
import type { FloatArray, Kernels } from './kernels/types.js';

export type { FloatArray, KernelChoice };
/**
 * Parameter and compute precision. 'bfloat16': float32 master weights, optimizer state, activations and sums,
 * with the GEMM inputs rounded to bfloat16 (native AMX / AVX512_BF16 kernels; see bf16Support()). Its arrays
 * (params, data) are Float32Array.
 */
export type DType = 'float32' | 'float64' | 'bfloat16';
/** The typed-array dtype of a model's buffers and data: float64, or float32 (also for bfloat16). */
export type StorageDType = 'float32' | 'float64';
export type Activation = 'sigmoid' | 'tanh' | 'relu' | 'leaky-relu' | 'identity';
export type OutputActivation = 'sigmoid' | 'softmax' | 'identity';
/** CE with sigmoid (BCE summed over outputs) or softmax; MSE (½ Σ (h - y)² per example) with identity or sigmoid */
export type LossName = 'cross-entropy' | 'mse';

export interface ModelSpec {
  layers: number[];
  activation: Activation;
  output: OutputActivation;
  loss: LossName;
  /** leaky-relu's negative slope (default 0.01) */
  leakySlope?: number;
}

export type InitSpec =
  | { uniform: [number, number] }
  | { normal: [number, number] } // [mean, std]
  | 'xavier' | 'xavier-uniform' | 'xavier-normal' | 'he' | 'he-uniform' | 'he-normal' | 'auto'
  | { npy: string }; // dir with W1.npy..WL.npy, or an .npz with W1..WL

/**
 * One layer's views into the flat buffers. Block (nIn + 1, nOut) row-major at `offset`, row 0 = bias:
 * b = params[offset, offset + nOut), W = params[offset + nOut, offset + size) with W[i * nOut + j] from input i to unit j.
 */
export interface LayerView {
  nIn: number;
  nOut: number;
  offset: number;
  size: number;
  b: FloatArray; // (nOut)
  W: FloatArray; // (nIn, nOut)
  db: FloatArray; // (nOut)
  dW: FloatArray; // (nIn, nOut)
}

export interface Mlp {
  spec: ModelSpec;
  dtype: DType;
  params: FloatArray; // (numParams)
  grads: FloatArray; // (numParams), same layout
  layers: LayerView[];
  numParams: number;
  /** the kernels every pass over this model uses (chosen at createMlp) */
  kernels: Kernels;
}

/** structurally = @sweeplab/data's Split */
export interface LabeledSet {
  x: FloatArray; // (n, nIn) row-major
  labels: Uint8Array; // (n)
  n: number;
}

export interface TrainData {
  train: LabeledSet;
  test?: LabeledSet | null;
  validation?: LabeledSet | null;
  numClasses: number;
}

export type Schedule =
  | 'constant' | 'step' | 'cosine'
  | { step: { every?: number; gamma?: number } }
  | { cosine: { min_lr?: number } };

export type OptimizerName = 'gd' | 'sgd' | 'momentum' | 'adam' | 'adamw';

export interface TrainOptions {
  optimizer: OptimizerName;
  /** mini-batch size, or 'full'. `gd` is always full batch and ignores this. */
  batch: 'full' | number;
  lr: number;
  epochs: number;
  /** λ of the question's L2 term λ/(2N) Σ w² (weights only) */
  l2: number;
  seed: number;
  momentum?: number; // 0.9
  nesterov?: boolean; // false
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  eps?: number; // 1e-8
  /** AdamW's decoupled weight decay (default 0.01); ignored by the other optimizers */
  weightDecay?: number;
  schedule?: Schedule;
  /**
   * Run the metrics pass (EpochMetrics) every N epochs (default 1 = every epoch). Epoch 0 and the last epoch
   * are always measured (and an epoch where training diverged or was stopped); the others are emitted with
   * `measured: false`. Not part of the numerics: the parameters after training are the same for any N.
   */
  metricsEvery?: number;
}

export interface EpochMetrics {
  epoch: number;
  /**
   * true when the metrics pass ran for this epoch (always, with metricsEvery 1). When false: cost, loss, l2Term,
   * trainAcc, outMean and outStd are NaN; testAcc and valAcc null; every per-unit and per-layer array
   * (outUnitMean, outUnitStd, gradNorm, updateRatio, weightNorm, weightMean, saturation) is empty; evalSeconds
   * is 0. epoch, lr and seconds are real.
   */
  measured: boolean;
  cost: number;
  loss: number;
  l2Term: number;
  trainAcc: number;
  testAcc: number | null;
  valAcc: number | null;
  lr: number;
  outMean: number;
  outStd: number;
  outUnitMean: number[];
  outUnitStd: number[];
  /**
   * per layer ||dW|| of the last step of the epoch (epoch 0: the gradient of the first batch). Full batch: the
   * step of epoch e uses ∇J at the params after e - 1 steps, so epoch e reports that gradient (unchanged by the
   * fused pass: see train.ts).
   */
  gradNorm: number[];
  updateRatio: (number | null)[];
  weightNorm: number[];
  weightMean: number[];
  saturation: number[];
  /**
   * wall seconds of this epoch's training passes (0 for epoch 0). Full batch: the gradient pass is fused with
   * the previous epoch's metrics pass (train.ts); its forward + backward work counts here, in the epoch whose
   * step uses that gradient, so `seconds` is still "gradient + step" of this epoch.
   */
  seconds: number;
  /**
   * wall seconds of computing these metrics. Full batch: only the statistics bookkeeping of the fused pass
   * plus the test/validation passes (the forward pass over the training set is shared with the gradient);
   * the last epoch's forward-only pass counts here in full.
   */
  evalSeconds: number;
}

export interface EvalResult {
  accuracy: number;
  /** accuracy per true class; NaN for a class with no example in the set */
  perClass: number[];
  /** confusion[trueClass][predictedClass] = count */
  confusion: number[][];
}

export interface TrainResult {
  status: 'done' | 'diverged' | 'stopped';
  epochsDone: number;
  divergedAt: number | null;
  last: EpochMetrics;
  bestTestAcc: number | null;
  updates: number;
  testEval: EvalResult | null;
  /** 'native' for either native tier, 'js' for the TypeScript kernels */
  backend: 'js' | 'native';
  /** the kernel tier that trained: 'native (OpenBLAS SkylakeX)', 'native (built-in GEMM, AVX-512)' or 'typescript' */
  tier: string;
}

/** gradcheck-facing objective: parameters perturbed in place by the checker and restored after */
export interface Objective {
  params: Float64Array;
  layers: ReadonlyArray<{ nIn: number; nOut: number; offset: number }>;
  /** J at the current params (l2 included) */
  cost(): number;
  /** analytic dJ/dparams into out (same layout) */
  gradient(out: Float64Array): void;
  /** hash of ReLU/leaky pre-activation signs; differs => a kink was crossed */
  kinkSignature?(): number;
}
