// Row types of @sweeplab/reporting: plain data mirroring the SQLite tables of docs/design.md (camelCase,
// JSON columns already parsed). The package depends on nothing of ours; the runner maps its rows onto these.
// Numbers that SQLite may hold as NULL (or a JSON column that held NaN) are `number | null`.

/** `experiments` row. */
export interface ExperimentRow {
  name: string;
  description: string | null;
  /** the YAML file as given to `sweeplab run` (relative path), used in the reproduce commands */
  file: string | null;
  /** the YAML file's text */
  yaml: string | null;
  createdAt?: string | null;
  updatedAt?: string | null;
}

/** `environment` row (one per `sweeplab run`). */
export interface EnvironmentRow {
  runId: string;
  startedAt: string | null;
  finishedAt: string | null;
  command: string | null;
  sweeplabVersion: string | null;
  gitCommit: string | null;
  nodeVersion: string | null;
  platform: string | null;
  cpu: string | null;
  cores: number | null;
  kernelBackend: string | null;
  openblasCore: string | null;
  /** `data_fingerprints_json`, parsed */
  dataFingerprints: Record<string, string> | null;
  status: string | null;
}

export type TrialStatus = 'pending' | 'running' | 'done' | 'failed' | 'diverged' | 'interrupted';

/** `trials.final_eval_json`: evaluation of the final net on the test split. */
export interface FinalEval {
  accuracy: number | null;
  perClass: ReadonlyArray<number | null>;
  /** confusion[actual][predicted] = count */
  confusion: ReadonlyArray<ReadonlyArray<number>>;
}

/** `trials.summary_json` (the keys reporting reads; the runner may store more). */
export interface TrialSummary {
  classCounts?: number[];
  priorCost?: number | null;
  updates?: number | null;
  numParams?: number | null;
  trainSize?: number | null;
  [key: string]: unknown;
}

/** The resolved trial config (`trials.config_json`), the parts reporting and diagnosis read. */
export interface TrialConfigLike {
  data?: {
    train?: number | { offset?: number; count?: number; [key: string]: unknown };
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

/** `trials` row joined with its `experiment_trials.params_json` (swept dotted path -> value). */
export interface TrialRow {
  id: string;
  experiment: string;
  status: TrialStatus | string;
  config: TrialConfigLike;
  /** swept dotted paths -> this trial's values (`experiment_trials.params_json`) */
  params: Record<string, unknown>;
  seed: number | null;
  arch: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  divergedEpoch: number | null;
  finalCost: number | null;
  finalTrainAcc: number | null;
  finalTestAcc: number | null;
  bestTestAcc: number | null;
  epochsDone: number | null;
  backend: string | null;
  finalEval: FinalEval | null;
  summary: TrialSummary | null;
  /** `experiment_trials.position` */
  position?: number | null;
}

/** `epochs` row. Per-layer arrays are indexed by layer (0 = first weight layer). */
export interface EpochRow {
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
}

/** `gradchecks` row. */
export interface GradcheckRow {
  id?: number | null;
  experiment: string | null;
  arch: string | null;
  runId: string | null;
  layer: number;
  kind: 'weights' | 'biases' | string;
  checked: number | null;
  skipped: number | null;
  maxRelError: number | null;
  maxAbsError: number | null;
  worstIndex: number | null;
  analytic: number | null;
  numeric: number | null;
  eps: number | null;
  threshold: number | null;
  /** SQLite gives 0/1 */
  passed: boolean | number;
  createdAt?: string | null;
}

export type RuleId =
  | 'prior-collapse'
  | 'lr-too-large'
  | 'lr-too-small'
  | 'too-few-iterations'
  | 'regularization-dominates'
  | 'too-little-capacity'
  | 'poor-init'
  | 'saturation'
  | 'dead-relu'
  | 'vanishing-gradients'
  | 'overfitting';

export type Severity = 'info' | 'warning' | 'critical';

/** One diagnosis finding (`diagnoses` row: trial_id, rule, severity, evidence_json, advice). */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  evidence: Record<string, number | string | boolean | null>;
  advice: string;
}

/** Everything `diagnose` needs about one trial. */
export interface DiagnoseInput {
  config: TrialConfigLike;
  /** the trial's epochs (any order; epoch 0 = the untrained net) */
  epochs: ReadonlyArray<EpochRow>;
  status: TrialStatus | string;
  summary: {
    /** training-split class counts */
    classCounts: number[];
    /** the class-prior cost; computed from classCounts for cross-entropy when absent */
    priorCost?: number | null;
    /** parameter updates made; derived from the config and the epochs when absent */
    updates?: number | null;
    trainSize?: number | null;
    numParams?: number | null;
  };
  /** the logistic-regression baseline (`layers: [784, 10]`) on the same data, if known */
  baseline?: { trainAcc: number; testAcc?: number | null } | null;
}

/** Input of `renderReport`: the rows of one experiment. */
export interface ReportInput {
  experiment: ExperimentRow;
  environment: EnvironmentRow | null;
  trials: ReadonlyArray<TrialRow>;
  epochs: ReadonlyMap<string, ReadonlyArray<EpochRow>> | Readonly<Record<string, ReadonlyArray<EpochRow>>>;
  gradchecks: ReadonlyArray<GradcheckRow>;
  diagnoses: ReadonlyMap<string, ReadonlyArray<Finding>> | Readonly<Record<string, ReadonlyArray<Finding>>>;
  /** the experiment's swept dotted paths, in the order of the YAML file (`train.seed` = the replicate axis) */
  sweptPaths: ReadonlyArray<string>;
  /** when the report was made, shown as is in the HTML only ('' leaves it out). The Markdown summary never
   * shows it: it is committed to git and must be the same bytes whenever it is regenerated from the same rows. */
  generatedAt: string;
}

export interface ReportOutput {
  /** one self-contained HTML file (inline CSS and SVG, a tiny inline sort script, no external requests) */
  html: string;
  /** a compact, deterministic Markdown summary to commit */
  markdown: string;
  /** chart name -> SVG text (the same SVGs as inlined in the HTML) */
  charts: Record<string, string>;
  /** warnings from vega/vega-lite while rendering (empty when all is well) */
  warnings: string[];
}
