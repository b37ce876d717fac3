// Row types of @sweeplab/reporting: the results database's rows as @sweeplab/store defines them (one definition,
// camelCase, JSON columns parsed), under the names the renderers use. Reporting renders rows; it never opens the
// database itself.
import type {
  EnvironmentRecord, EpochRecord, FinalEval, GradcheckRecord, StoredFinding, StoredTrialConfig, TrialRecord, TrialStatus,
  TrialSummary,
} from '@sweeplab/store';

export type { FinalEval, TrialStatus, TrialSummary };

/** The experiment as a report shows it: `file` as given to `sweeplab run` (relative), used in the reproduce commands. */
export interface ExperimentRow {
  name: string;
  description: string | null;
  file: string | null;
  /** the YAML file's text */
  yaml: string | null;
  createdAt?: string | null;
  updatedAt?: string | null;
}

/** `environment` row (one per `sweeplab run`). */
export type EnvironmentRow = EnvironmentRecord;

/** The resolved trial config (`trials.config_json`), the parts reporting and diagnosis read. */
export type TrialConfigLike = StoredTrialConfig;

/** `trials` row with its `experiment_trials` link (params, position). */
export type TrialRow = TrialRecord;

/** `epochs` row. Per-layer arrays are indexed by layer (0 = first weight layer). */
export type EpochRow = EpochRecord;

/** `gradchecks` row. */
export type GradcheckRow = GradcheckRecord;

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

export type { Severity } from '@sweeplab/store';

/** One diagnosis finding (`diagnoses` row: trial_id, rule, severity, evidence_json, advice) as the rules make it. */
export interface Finding extends StoredFinding {
  rule: RuleId;
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
  /** stored findings by trial id (a database may hold rules this version does not know: shown as they are) */
  diagnoses: ReadonlyMap<string, ReadonlyArray<StoredFinding>> | Readonly<Record<string, ReadonlyArray<StoredFinding>>>;
  /** the experiment's swept dotted paths, in the order of the YAML file (`train.seed` = the replicate axis) */
  sweptPaths: ReadonlyArray<string>;
  /** when the report was made, shown as is in the HTML only ('' leaves it out). The Markdown summary never
   * shows it: it is committed to git and must be the same bytes whenever it is regenerated from the same rows. */
  generatedAt: string;
  /** experiments with sweep.search or prune: what the search part of the report shows (absent: no such part) */
  search?: SearchReportInput;
}

/** What a report needs to know about a search (or a pruned sweep) beyond the rows. */
export interface SearchReportInput {
  objective: { metric: string; mode: 'min' | 'max' };
  /** null: a plain sweep with a stopping rule */
  sampler: 'random' | 'tpe' | null;
  /** configurations the search tries in all (null: a plain sweep) */
  trials: number | null;
  /** the stopping rule in words ('ASHA, grace 1, reduction 4'), or null */
  prune: string | null;
  /** ASHA's rung epochs */
  rungs: number[];
  /** epochs a trial trains when nothing stops it */
  epochsPerTrial: number;
  /** searched (or swept) parameters and how their values are compared */
  params: Array<{ path: string; kind: 'log' | 'linear' | 'choice' }>;
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
