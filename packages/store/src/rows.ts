/**
 * The rows of the results database as the rest of sweeplab reads them: camelCase, JSON columns parsed, NULL as null.
 * One definition of each (reporting renders these, the engine and the CLI read them); the SQL names they come from
 * are the public schema of docs/design.md and the README.
 */

/** `trials.status`. `pruned`: stopped on purpose by a stopping rule (a finished trial, not an interrupted one). */
export type TrialStatus = 'pending' | 'running' | 'done' | 'failed' | 'diverged' | 'interrupted' | 'pruned';

export const TRIAL_STATUSES: readonly TrialStatus[] = ['pending', 'running', 'done', 'failed', 'diverged', 'interrupted', 'pruned'];

/** Statuses a run does not start again without --force. */
export const FINISHED_STATUSES: readonly TrialStatus[] = ['done', 'diverged', 'pruned'];

export function isFinished(s: TrialStatus | string | null | undefined): boolean {
  return s === 'done' || s === 'diverged' || s === 'pruned';
}

/** The resolved trial config (`trials.config_json`): the parts readers rely on; the engine's config module owns it. */
export interface StoredTrialConfig {
  data?: {
    train?: number | { offset?: number; count?: number; [key: string]: unknown };
    test?: number | { offset?: number; count?: number; [key: string]: unknown };
    validation?: number;
    scale?: unknown;
    [key: string]: unknown;
  };
  model: {
    layers: number[];
    activation: string;
    output: string;
    loss: string;
    init?: unknown;
    [key: string]: unknown;
  };
  train: {
    optimizer: string;
    batch: 'full' | number;
    lr: number;
    epochs: number;
    l2: number;
    seed?: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `trials.final_eval_json`: evaluation of the final net on the test split. */
export interface FinalEval {
  accuracy: number | null;
  perClass: ReadonlyArray<number | null>;
  /** confusion[actual][predicted] = count */
  confusion: ReadonlyArray<ReadonlyArray<number>>;
}

/** `trials.summary_json` (the keys readers use; the engine may store more). */
export interface TrialSummary {
  classCounts?: number[];
  priorCost?: number | null;
  updates?: number | null;
  numParams?: number | null;
  trainSize?: number | null;
  [key: string]: unknown;
}

/** `experiments` row. */
export interface ExperimentRecord {
  name: string;
  description: string;
  /** absolute path of the YAML file (or `(built in)`) */
  file: string;
  /** the YAML file's text */
  yaml: string;
  createdAt: string;
  updatedAt: string;
  /** `resolved_json`: the merged config of the file, before defaults */
  resolved: unknown;
}

/** `trials` row, with its `experiment_trials` link when read through an experiment. */
export interface TrialRecord {
  id: string;
  /** the experiment that first created the trial */
  experiment: string;
  status: TrialStatus;
  config: StoredTrialConfig;
  /** swept dotted paths -> this trial's values (`experiment_trials.params_json`; {} when read without a link) */
  params: Record<string, unknown>;
  /** `experiment_trials.position` (null when read without a link) */
  position: number | null;
  seed: number;
  arch: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  divergedEpoch: number | null;
  prunedEpoch: number | null;
  finalCost: number | null;
  finalTrainAcc: number | null;
  finalTestAcc: number | null;
  bestTestAcc: number | null;
  epochsDone: number | null;
  backend: string | null;
  finalEval: FinalEval | null;
  summary: TrialSummary | null;
  attempt: number;
  owner: string | null;
  heartbeatAt: string | null;
  diagnosedAt: string | null;
  createdAt: string;
  /** `trials.weights_path`: the kept trained weights (run --keep-weights), null when not kept */
  weightsPath?: string | null;
}

/** Epoch columns an objective can name (`objective.metric` of an experiment file). */
export type MetricColumn = 'cost' | 'loss' | 'train_acc' | 'val_acc' | 'test_acc';
export const METRIC_COLUMNS: readonly MetricColumn[] = ['cost', 'loss', 'train_acc', 'val_acc', 'test_acc'];

/** A trial as an adaptive search reads it back (`searchTrials`). */
export interface SearchTrialRecord {
  id: string;
  position: number;
  params: Record<string, unknown>;
  status: TrialStatus;
  owner: string | null;
  heartbeatAt: string | null;
  finishedAt: string | null;
  prunedEpoch: number | null;
  weightsPath: string | null;
  /** the last recorded epoch of the current attempt (null: none) */
  lastEpoch: number | null;
  /** the objective metric at lastEpoch */
  value: number | null;
}

/** `rungs` row: a stopping rule's decision at a rung epoch of a trial. */
export interface RungRecord {
  experiment: string;
  trialId: string;
  epoch: number;
  value: number | null;
  decision: 'continued' | 'pruned';
  rule: string;
  createdAt: string;
}

/** `epochs` row (of the trial's current attempt). Per-layer arrays are indexed by layer (0 = first weight layer). */
export interface EpochRecord {
  epoch: number;
  cost: number | null;
  loss: number | null;
  l2Term: number | null;
  trainAcc: number | null;
  testAcc: number | null;
  valAcc: number | null;
  lr: number | null;
  outMean: number | null;
  outStd: number | null;
  seconds: number | null;
  evalSeconds: number | null;
  /** per output unit: mean over the training inputs */
  outUnitMean: ReadonlyArray<number | null> | null;
  /** per output unit: standard deviation ACROSS the training inputs (prior collapse: ~0) */
  outUnitStd: ReadonlyArray<number | null> | null;
  /** per layer ||dW|| of the last step of the epoch */
  gradNorm: ReadonlyArray<number | null> | null;
  /** per layer ||dW_step|| / ||W|| of the last step (null at epoch 0) */
  updateRatio: ReadonlyArray<number | null> | null;
  weightNorm: ReadonlyArray<number | null> | null;
  weightMean: ReadonlyArray<number | null> | null;
  /** per hidden layer: sigmoid/tanh fraction of (input, unit) pairs with |z| > 5; relu: fraction of dead units */
  saturation: ReadonlyArray<number | null> | null;
  /** false for an epoch `metrics: { every: N }` did not measure (its metrics are null; lr and seconds are real) */
  measured: boolean;
}

/** `gradchecks` row. */
export interface GradcheckRecord {
  id: number;
  experiment: string;
  arch: string;
  runId: string;
  layer: number;
  kind: 'weights' | 'biases';
  checked: number;
  skipped: number;
  maxRelError: number | null;
  maxAbsError: number | null;
  worstIndex: number | null;
  analytic: number | null;
  numeric: number | null;
  eps: number;
  threshold: number;
  passed: boolean;
  createdAt: string;
}

/** `environment` row (one per `sweeplab run`). */
export interface EnvironmentRecord {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  command: string;
  sweeplabVersion: string;
  gitCommit: string | null;
  nodeVersion: string;
  platform: string;
  cpu: string | null;
  cores: number | null;
  kernelBackend: string | null;
  openblasCore: string | null;
  /** `data_fingerprints_json`, parsed */
  dataFingerprints: Record<string, string> | null;
  status: string;
  /** `queue_host` / `queue_name`: the Redis queue of a `run --queue` (null: a local run) */
  queueHost?: string | null;
  queueName?: string | null;
}

export type Severity = 'info' | 'warning' | 'critical';

/** One stored diagnosis finding (`diagnoses` row without trial_id and created_at). */
export interface StoredFinding {
  rule: string;
  severity: Severity;
  evidence: Record<string, number | string | boolean | null>;
  advice: string;
}

/** `experiment_trials` row. */
export interface TrialLink {
  experiment: string;
  trialId: string;
  params: Record<string, unknown>;
  position: number;
}
