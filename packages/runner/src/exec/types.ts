/**
 * What travels between the runner and its executors: plain, structured-cloneable data only, so a later
 * multi-machine executor can serialise every task, event and outcome unchanged.
 */
import type { GradcheckReport } from '@sweeplab/gradcheck';
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { TrialConfig } from '../config/index.js';

export type KernelsSetting = 'auto' | 'js' | 'native';

/** The resolved trial config as the worker reads it: the config module's TrialConfig (plain JSON). */
export type TrialConfigInput = TrialConfig;

/** Train one trial: load its data, build its model, train it, report every epoch. */
export interface TrainTask {
  kind: 'train';
  trialId: string;
  config: TrialConfigInput;
  /** directory that relative paths in the config resolve against (the YAML file's directory) */
  baseDir: string;
  kernels: KernelsSetting;
}

/** Gradient-check one architecture: a float64 model on a small batch of the trial's training data. */
export interface GradcheckTask {
  kind: 'gradcheck';
  arch: string;
  /** the trial whose data, init, seed and l2 the check uses */
  trialId: string;
  config: TrialConfigInput;
  baseDir: string;
  kernels: KernelsSetting;
}

export type Task = TrainTask | GradcheckTask;

/** Posted by the worker while a task runs, in order; `end` is always the last event of a task that returns. */
export type WorkerEvent =
  | { type: 'start'; backend: string; trainSize: number; numParams: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'end' };

/** What a training run tells about the data and the model besides its curve (`trials.summary_json`). */
export interface TrialSummary {
  /** training examples per class */
  classCounts: number[];
  /**
   * Cost per example of a net that outputs the class prior p_k = classCounts[k] / N for every input:
   * sigmoid + cross-entropy: -Σ_k [p_k log p_k + (1 - p_k) log(1 - p_k)]; softmax + cross-entropy: -Σ_k p_k log p_k;
   * MSE: ½ Σ_k p_k (1 - p_k). The plateau of a net that learned nothing but the prior.
   */
  priorCost: number | null;
  updates: number;
  numParams: number;
  trainSize: number;
  testSize: number;
  validationSize: number;
  inputSize: number;
  numClasses: number;
  backend: string;
  dataFingerprint: string;
}

export interface TrainOutcome {
  kind: 'train';
  status: 'done' | 'diverged';
  epochsDone: number;
  divergedAt: number | null;
  last: EpochMetrics;
  bestTestAcc: number | null;
  /** test-set evaluation of the final network: { accuracy, perClass, confusion } */
  finalEval: { accuracy: number; perClass: number[]; confusion: number[][] } | null;
  summary: TrialSummary;
  backend: string;
}

export interface GradcheckOutcome {
  kind: 'gradcheck';
  arch: string;
  report: GradcheckReport;
  batch: number;
  backend: string;
}

export type Outcome = TrainOutcome | GradcheckOutcome;

/** Runs tasks somewhere (a thread pool today). Rejects when the task throws, its worker dies, or it is aborted. */
export interface Executor {
  run(task: Task, onEvent: (e: WorkerEvent) => void, signal: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}
