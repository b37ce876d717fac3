/**
 * What travels between the coordinator and its executors: plain, structured-cloneable data only (tasks, events,
 * outcomes), so an executor on another machine can serialise every one of them unchanged. A task names its data by
 * the data spec as written in the experiment file plus the content fingerprint the coordinator validated; `baseDir`
 * is where relative paths resolve on the coordinator's machine (a remote worker uses its own data root instead and
 * checks the fingerprint).
 */
import type { GradcheckReport } from '@sweeplab/gradcheck';
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { TrialConfig } from '../config/index.js';

export type KernelsSetting = 'auto' | 'js' | 'native';

/** Content hashes of a trial's inputs: the data files, and the init weights file(s) (null: no file init). */
export interface Fingerprints {
  data: string;
  init: string | null;
}

/** Train one trial (one attempt of it): load its data, build its model, train it, report every epoch. */
export interface TrainTask {
  kind: 'train';
  trialId: string;
  /** the claim this task belongs to (trials.attempt) */
  attempt: number;
  config: TrialConfig;
  fingerprints: Fingerprints;
  /** directory that relative paths in the config resolve against on the coordinator's machine */
  baseDir: string;
  kernels: KernelsSetting;
  /** send the trained parameters back in the outcome (`weights`), for `run --keep-weights` and `export` */
  returnWeights?: boolean;
}

/** Gradient-check one architecture: a float64 model on a small batch of the trial's training data. */
export interface GradcheckTask {
  kind: 'gradcheck';
  arch: string;
  /** the trial whose data, init, seed and l2 the check uses */
  trialId: string;
  config: TrialConfig;
  fingerprints: Fingerprints;
  baseDir: string;
  kernels: KernelsSetting;
}

export type Task = TrainTask | GradcheckTask;

/**
 * Posted by the worker while a task runs, in order; `end` is always the last event of a task. `restart` comes from
 * an executor whose task was started over from scratch elsewhere (a remote worker died and another took the job):
 * the events before it are void, 'start' and the epochs follow again.
 */
export type WorkerEvent =
  | { type: 'start'; backend: string; trainSize: number; numParams: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'restart'; reason: string }
  | { type: 'end' };

/**
 * The coordinator's answer to an event: 'stop' asks the worker to end the trial after the epoch it is training
 * (it reaches the worker within one epoch; the coordinator has already recorded the decision).
 */
export type EventReply = 'continue' | 'stop';

/** What a training run tells about the data and the model besides its curve (`trials.summary_json`). */
export interface TrialSummary {
  /** training examples per class */
  classCounts: number[];
  /** cost per example of a net that outputs the class prior for every input (the plateau of a net that learned nothing) */
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
  /** host:pid of the remote worker that trained it (queue executor only) */
  worker?: string;
}

export interface TrainOutcome {
  kind: 'train';
  /** stopped: the coordinator asked it to stop (a stopping rule) before its last epoch */
  status: 'done' | 'diverged' | 'stopped';
  epochsDone: number;
  divergedAt: number | null;
  last: EpochMetrics;
  bestTestAcc: number | null;
  /** test-set evaluation of the final network: { accuracy, perClass, confusion } */
  finalEval: { accuracy: number; perClass: number[]; confusion: number[][] } | null;
  summary: TrialSummary;
  backend: string;
  /**
   * The trained parameters (nn-core's flat layout, the trial's dtype) when the task asked for them: of the last
   * epoch trained, so for a 'stopped' trial possibly past the epoch the coordinator stopped it at.
   */
  weights?: Float32Array | Float64Array;
}

export interface GradcheckOutcome {
  kind: 'gradcheck';
  arch: string;
  report: GradcheckReport;
  batch: number;
  backend: string;
}

export type Outcome = TrainOutcome | GradcheckOutcome;

/**
 * Why a task did not return an outcome. THREW: the task's code threw (bad data, a bug; the message says what);
 * CRASHED: the thread or process running it died; OUT_OF_MEMORY: it hit the memory limit; ABORTED: the caller's
 * signal aborted it; UNAVAILABLE: the executor cannot run tasks (closed, cannot start a worker).
 */
export type ExecutorErrorCode = 'THREW' | 'CRASHED' | 'OUT_OF_MEMORY' | 'ABORTED' | 'UNAVAILABLE';

export class ExecutorError extends Error {
  override readonly name = 'ExecutorError';
  constructor(readonly code: ExecutorErrorCode, message: string) {
    super(message);
  }
}

/**
 * Runs tasks somewhere: a thread pool here, a queue of remote workers elsewhere. `run` resolves with the outcome
 * or rejects with an ExecutorError; `onEvent` gets the task's events in order and may answer 'stop'.
 * At most `concurrency` tasks run at once (more may be submitted; they wait).
 */
export interface Executor {
  readonly concurrency: number;
  run(task: Task, onEvent: (e: WorkerEvent) => EventReply | void, signal: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}

/**
 * Builds an executor when one is needed, sized for `trials` tasks (no more workers than trials). `batch`, when the
 * caller has a store, runs a function in one write transaction: an executor that gets events in bursts (the queue)
 * delivers each burst inside it, so the epochs it records commit together.
 */
export type ExecutorFactory = (need: { trials: number; batch?: (fn: () => void) => void }) => Executor;
