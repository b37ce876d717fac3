/**
 * Read-only queries behind `sweeplab report` and `sweeplab diagnose`: an experiment's trials in position order
 * with their swept parameters, their epochs, gradient checks and stored diagnoses, and the environment of the run
 * that last included the experiment. They work on a read-only connection.
 */
import type Database from 'better-sqlite3';
import type { EpochRow, ExperimentRow, TrialRow } from './read.js';

/** A trial of an experiment: the `trials` row plus its `experiment_trials` link. */
export interface ExperimentTrialRow extends TrialRow {
  params_json: string;
  position: number;
}

export interface GradcheckDbRow {
  id: number;
  experiment: string;
  arch: string;
  run_id: string;
  layer: number;
  kind: 'weights' | 'biases';
  checked: number;
  skipped: number;
  max_rel_error: number | null;
  max_abs_error: number | null;
  worst_index: number | null;
  analytic: number | null;
  numeric: number | null;
  eps: number;
  threshold: number;
  passed: number;
  created_at: string;
}

export interface EnvironmentDbRow {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  command: string;
  sweeplab_version: string;
  git_commit: string | null;
  node_version: string;
  platform: string;
  cpu: string | null;
  cores: number | null;
  kernel_backend: string | null;
  openblas_core: string | null;
  data_fingerprints_json: string;
  status: string;
}

export interface DiagnosisDbRow {
  trial_id: string;
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  evidence_json: string;
  advice: string;
  created_at: string;
}

/** Names of the experiments in the database, sorted. */
export function experimentNames(db: Database.Database): string[] {
  return db.prepare<[], string>('SELECT name FROM experiments ORDER BY name').pluck().all();
}

/** The experiment's trials in its position order. */
export function experimentTrials(db: Database.Database, experiment: string): ExperimentTrialRow[] {
  return db.prepare<{ experiment: string }, ExperimentTrialRow>(`
    SELECT t.*, et.params_json AS params_json, et.position AS position
    FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
    WHERE et.experiment = @experiment ORDER BY et.position, t.id`).all({ experiment });
}

/** Every epoch row of the experiment's trials, by trial then epoch. */
export function experimentEpochs(db: Database.Database, experiment: string): EpochRow[] {
  return db.prepare<{ experiment: string }, EpochRow>(`
    SELECT e.* FROM epochs e JOIN experiment_trials et ON et.trial_id = e.trial_id
    WHERE et.experiment = @experiment ORDER BY e.trial_id, e.epoch`).all({ experiment });
}

/**
 * The latest gradient check of each (architecture, layer, kind) of the experiment: its own rows first; an
 * architecture of its trials that was checked under another experiment (the same architecture in an earlier
 * file) contributes that experiment's latest rows.
 */
export function experimentGradchecks(db: Database.Database, experiment: string): GradcheckDbRow[] {
  return db.prepare<{ experiment: string }, GradcheckDbRow>(`
    SELECT id, experiment, arch, run_id, layer, kind, checked, skipped, max_rel_error, max_abs_error, worst_index,
           analytic, numeric, eps, threshold, passed, created_at
    FROM (
      SELECT g.*, ROW_NUMBER() OVER (
               PARTITION BY g.arch, g.layer, g.kind ORDER BY (g.experiment = @experiment) DESC, g.id DESC) AS rank_
      FROM gradchecks g
      WHERE g.experiment = @experiment
         OR g.arch IN (SELECT t.arch FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
                       WHERE et.experiment = @experiment)
    )
    WHERE rank_ = 1
    ORDER BY arch, layer, kind`).all({ experiment });
}

/** Stored diagnosis rows of the experiment's trials. */
export function experimentDiagnoses(db: Database.Database, experiment: string): DiagnosisDbRow[] {
  return db.prepare<{ experiment: string }, DiagnosisDbRow>(`
    SELECT d.* FROM diagnoses d JOIN experiment_trials et ON et.trial_id = d.trial_id
    WHERE et.experiment = @experiment ORDER BY d.trial_id, d.rule`).all({ experiment });
}

export function trialDiagnoses(db: Database.Database, trialId: string): DiagnosisDbRow[] {
  return db.prepare<{ id: string }, DiagnosisDbRow>('SELECT * FROM diagnoses WHERE trial_id = @id ORDER BY rule').all({ id: trialId });
}

/** The environment row of the latest run that included the experiment, or of the latest run at all. */
export function latestEnvironment(db: Database.Database, experiment: string): EnvironmentDbRow | undefined {
  const own = db.prepare<{ experiment: string }, EnvironmentDbRow>(`
    SELECT * FROM environment
    WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(data_fingerprints_json) THEN data_fingerprints_json ELSE '{}' END)
                  WHERE key = @experiment)
    ORDER BY started_at DESC, rowid DESC LIMIT 1`).get({ experiment });
  return own ?? db.prepare<[], EnvironmentDbRow>('SELECT * FROM environment ORDER BY started_at DESC, rowid DESC LIMIT 1').get();
}
