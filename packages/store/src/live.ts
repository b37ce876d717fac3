/**
 * Rows of the reads a live dashboard makes (`sweeplab serve`): compact trial rows for tables of thousands of trials,
 * per-experiment overviews, and the change marks (`trials.rev`, migration 4) a reader polls to learn what changed.
 */
import type { Severity, TrialStatus } from './rows.js';

/** One `experiment_trials` link of a trial, as a list row carries it. */
export interface ListLink {
  experiment: string;
  position: number;
  /** swept dotted paths -> this trial's values */
  params: Record<string, unknown>;
}

/** A trial as a table lists it: the `trials` columns a table shows, its compute seconds, findings and links. */
export interface TrialListRow {
  id: string;
  status: TrialStatus;
  attempt: number;
  seed: number;
  arch: string;
  epochsDone: number | null;
  finalCost: number | null;
  finalTrainAcc: number | null;
  finalTestAcc: number | null;
  bestTestAcc: number | null;
  divergedEpoch: number | null;
  prunedEpoch: number | null;
  /** the first 500 characters of `trials.error` (the reason of a failure, an interruption or a pruning) */
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  heartbeatAt: string | null;
  diagnosedAt: string | null;
  /** `trials.rev`: the change counter at the trial's last change */
  rev: number;
  /** training + evaluation seconds of the current attempt's recorded epochs (null: none recorded) */
  seconds: number | null;
  /** stored diagnosis findings (rule and severity only) */
  findings: Array<{ rule: string; severity: Severity }>;
  links: ListLink[];
}

/** One experiment as an overview lists it. */
export interface ExperimentOverview {
  name: string;
  description: string;
  file: string;
  createdAt: string;
  updatedAt: string;
  /** status -> number of trials linked to the experiment */
  counts: Partial<Record<TrialStatus, number>>;
  trials: number;
  /** the best finished trial by final test accuracy (as the `best_trials` view ranks them), or null */
  best: { trialId: string; finalTestAcc: number } | null;
  /** the latest of the experiment's registration and its trials' heartbeats, finishes and creations */
  lastActivity: string;
}

/** What a live reader remembers of each trial to tell what a change was (see `ReadQueries.trialMarks`). */
export interface TrialMark {
  id: string;
  attempt: number;
  status: TrialStatus;
  /** `epochs_done` (-1 when NULL): the last epoch recorded of the current attempt */
  lastEpoch: number;
  diagnosedAt: string | null;
  /** the experiments the trial is linked to */
  experiments: string[];
}

/** The change counters: the largest `trials.rev` and the largest `gradchecks.id`. */
export interface ChangeMarks {
  rev: number;
  gradcheckId: number;
}

/** Per rule and severity, how many of an experiment's trials have that finding. */
export interface FindingCount {
  rule: string;
  severity: Severity;
  trials: number;
  /** one trial with the finding, and its advice */
  example: { trialId: string; advice: string };
}

/** A table or view of the database and its columns (what a SQL box lists beside the query). */
export interface SchemaObject {
  name: string;
  type: 'table' | 'view';
  columns: string[];
}
