/**
 * The results store: every write the runner makes, as prepared statements with named parameters, each write
 * group in a BEGIN IMMEDIATE transaction. The runner's main thread is the only writer of its process; several
 * processes may share one database (claims are atomic, see `claimTrial`).
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { InputError } from '../errors.js';
import { openDatabase } from './db.js';

export type TrialStatus = 'pending' | 'running' | 'done' | 'failed' | 'diverged' | 'interrupted';

/** One trial of an experiment, ready to be written (plain data: no dependency on the config module's types). */
export interface TrialRegistration {
  id: string;
  configJson: string;
  seed: number;
  arch: string;
  /** swept dotted paths -> values for this trial, as JSON */
  paramsJson: string;
  position: number;
}

export interface ExperimentRegistration {
  name: string;
  description: string;
  /** absolute path of the YAML file */
  file: string;
  yaml: string;
  resolvedJson: string;
  /** swept dotted paths: one column each in the view `trials_<name>` */
  sweptPaths: string[];
  trials: TrialRegistration[];
  /**
   * Keep the experiment's other trial links and add or update these (the built-in `_baselines` experiment grows
   * one trial at a time). Default: the links are replaced by `trials`.
   */
  appendOnly?: boolean;
}

export interface RegistrationResult {
  name: string;
  view: string;
  trials: number;
  /** trials that did not exist in the database before */
  newTrials: number;
}

/** The per-epoch metrics nn-core reports. */
export type EpochInput = EpochMetrics;

/** The `epochs` row of one epoch (column names as in the table; `trial_id` added by the writer). */
export interface EpochRowValues {
  epoch: number;
  cost: number | null;
  loss: number | null;
  l2_term: number | null;
  train_acc: number | null;
  test_acc: number | null;
  val_acc: number | null;
  lr: number | null;
  out_mean: number | null;
  out_std: number | null;
  seconds: number | null;
  eval_seconds: number | null;
  out_unit_mean_json: string;
  out_unit_std_json: string;
  grad_norm_json: string;
  update_ratio_json: string;
  weight_norm_json: string;
  weight_mean_json: string;
  saturation_json: string;
}

/** Columns of `EpochRowValues` that are deterministic (everything but the wall-clock seconds). */
export const DETERMINISTIC_EPOCH_COLUMNS = [
  'cost', 'loss', 'l2_term', 'train_acc', 'test_acc', 'val_acc', 'lr', 'out_mean', 'out_std',
  'out_unit_mean_json', 'out_unit_std_json', 'grad_norm_json', 'update_ratio_json', 'weight_norm_json',
  'weight_mean_json', 'saturation_json',
] as const satisfies readonly (keyof EpochRowValues)[];

/** SQLite stores NaN as NULL; keep that explicit so a re-computed row compares equal to a stored one. */
function real(x: number | null | undefined): number | null {
  return x === null || x === undefined || Number.isNaN(x) ? null : x;
}

export function epochRowValues(m: EpochInput): EpochRowValues {
  return {
    epoch: m.epoch,
    cost: real(m.cost),
    loss: real(m.loss),
    l2_term: real(m.l2Term),
    train_acc: real(m.trainAcc),
    test_acc: real(m.testAcc),
    val_acc: real(m.valAcc),
    lr: real(m.lr),
    out_mean: real(m.outMean),
    out_std: real(m.outStd),
    seconds: real(m.seconds),
    eval_seconds: real(m.evalSeconds),
    out_unit_mean_json: JSON.stringify(m.outUnitMean),
    out_unit_std_json: JSON.stringify(m.outUnitStd),
    grad_norm_json: JSON.stringify(m.gradNorm),
    update_ratio_json: JSON.stringify(m.updateRatio),
    weight_norm_json: JSON.stringify(m.weightNorm),
    weight_mean_json: JSON.stringify(m.weightMean),
    saturation_json: JSON.stringify(m.saturation),
  };
}

export interface TrialFinish {
  status: 'done' | 'diverged';
  epochsDone: number;
  divergedEpoch: number | null;
  finalCost: number | null;
  finalTrainAcc: number | null;
  finalTestAcc: number | null;
  bestTestAcc: number | null;
  backend: string;
  finalEval: unknown;
  summary: unknown;
}

export interface GradcheckRow {
  experiment: string;
  arch: string;
  runId: string;
  layer: number;
  kind: 'weights' | 'biases';
  checked: number;
  skipped: number;
  maxRelError: number;
  maxAbsError: number;
  worstIndex: number | null;
  analytic: number | null;
  numeric: number | null;
  eps: number;
  threshold: number;
  passed: boolean;
}

export interface EnvironmentRow {
  runId: string;
  startedAt: string;
  command: string;
  sweeplabVersion: string;
  gitCommit: string | null;
  nodeVersion: string;
  platform: string;
  cpu: string | null;
  cores: number;
  kernelBackend: string | null;
  openblasCore: string | null;
  dataFingerprints: Record<string, string>;
}

/** One diagnosis finding of a trial (a `diagnoses` row without trial_id and created_at). */
export interface DiagnosisInput {
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  evidence: unknown;
  advice: string;
}

export type ClaimResult =
  | { claimed: true; previous: TrialStatus }
  /** finished: done/diverged (and no --force); elsewhere: running in a live process; missing: no such trial */
  | { claimed: false; reason: 'finished' | 'elsewhere' | 'missing'; status: TrialStatus | null };

/** Decides whether the owner of a `running` row is still at work. */
export type OwnerAliveFn = (owner: string | null, heartbeatAt: string | null) => boolean;

/** `trials_<name>`: the per-experiment view's name (characters outside [A-Za-z0-9_] become `_`). */
export function experimentViewName(name: string): string {
  return `trials_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** SQL column name of a swept dotted path in `trials_<name>` (`train.lr` -> `train_lr`). */
export function paramColumnName(path: string): string {
  return path.replace(/[^A-Za-z0-9_]/g, '_');
}

const VIEW_FIXED_COLUMNS = [
  'trial_id', 'position', 'status', 'seed', 'epochs_done', 'final_cost', 'final_train_acc', 'final_test_acc',
  'best_test_acc', 'diverged_epoch', 'backend', 'error', 'total_seconds', 'params_json',
];

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The CREATE VIEW statement of `trials_<name>`: the trial summary with one column per swept parameter. */
export function experimentViewSql(name: string, sweptPaths: string[]): string {
  const used = new Set(VIEW_FIXED_COLUMNS);
  const paramCols = sweptPaths.map((p) => {
    let col = paramColumnName(p);
    while (used.has(col)) col += '_';
    used.add(col);
    return `json_extract(s.params_json, ${quoteText(`$.${JSON.stringify(p)}`)}) AS ${quoteIdent(col)}`;
  });
  const cols = [
    's.trial_id', 's.position', 's.status', ...paramCols, 's.seed', 's.epochs_done', 's.final_cost', 's.final_train_acc',
    's.final_test_acc', 's.best_test_acc', 's.diverged_epoch', 's.backend', 's.error', 's.total_seconds', 's.params_json',
  ];
  return `CREATE VIEW ${quoteIdent(experimentViewName(name))} AS SELECT ${cols.join(', ')} ` +
    `FROM trial_summary s WHERE s.experiment = ${quoteText(name)} ORDER BY s.position`;
}

const nowIso = () => new Date().toISOString();

function prepareStatements(db: Database.Database) {
  return {
    getExperiment: db.prepare<{ name: string }, { name: string; file: string }>(
      'SELECT name, file FROM experiments WHERE name = @name'),
    upsertExperiment: db.prepare(`
      INSERT INTO experiments (name, description, file, yaml, created_at, updated_at, resolved_json)
      VALUES (@name, @description, @file, @yaml, @now, @now, @resolvedJson)
      ON CONFLICT(name) DO UPDATE SET description = excluded.description, file = excluded.file,
        yaml = excluded.yaml, updated_at = excluded.updated_at, resolved_json = excluded.resolved_json`),
    insertTrial: db.prepare(`
      INSERT INTO trials (id, experiment, status, config_json, seed, arch, created_at)
      VALUES (@id, @experiment, 'pending', @configJson, @seed, @arch, @now)
      ON CONFLICT(id) DO NOTHING`),
    deleteLinks: db.prepare('DELETE FROM experiment_trials WHERE experiment = @experiment'),
    insertLink: db.prepare(`
      INSERT INTO experiment_trials (experiment, trial_id, params_json, position)
      VALUES (@experiment, @trialId, @paramsJson, @position)`),
    upsertLink: db.prepare(`
      INSERT INTO experiment_trials (experiment, trial_id, params_json, position)
      VALUES (@experiment, @trialId, @paramsJson, @position)
      ON CONFLICT(experiment, trial_id) DO UPDATE SET params_json = excluded.params_json, position = excluded.position`),
    trialState: db.prepare<{ id: string }, { status: TrialStatus; owner: string | null; heartbeat_at: string | null }>(
      'SELECT status, owner, heartbeat_at FROM trials WHERE id = @id'),
    claim: db.prepare(`
      UPDATE trials SET status = 'running', owner = @owner, heartbeat_at = @now, started_at = @now,
        finished_at = NULL, error = NULL, diverged_epoch = NULL, final_cost = NULL, final_train_acc = NULL,
        final_test_acc = NULL, best_test_acc = NULL, epochs_done = NULL, backend = NULL, final_eval_json = NULL,
        summary_json = NULL
      WHERE id = @id`),
    deleteEpochs: db.prepare('DELETE FROM epochs WHERE trial_id = @id'),
    deleteDiagnoses: db.prepare('DELETE FROM diagnoses WHERE trial_id = @id'),
    insertDiagnosis: db.prepare(`
      INSERT INTO diagnoses (trial_id, rule, severity, evidence_json, advice, created_at)
      VALUES (@trialId, @rule, @severity, @evidenceJson, @advice, @now)`),
    touchRunning: db.prepare(`
      UPDATE trials SET epochs_done = @epoch, heartbeat_at = @now
      WHERE id = @id AND owner = @owner AND status = 'running'`),
    insertEpoch: db.prepare(`
      INSERT INTO epochs (trial_id, epoch, cost, loss, l2_term, train_acc, test_acc, val_acc, lr, out_mean, out_std,
        seconds, eval_seconds, out_unit_mean_json, out_unit_std_json, grad_norm_json, update_ratio_json,
        weight_norm_json, weight_mean_json, saturation_json)
      VALUES (@trial_id, @epoch, @cost, @loss, @l2_term, @train_acc, @test_acc, @val_acc, @lr, @out_mean, @out_std,
        @seconds, @eval_seconds, @out_unit_mean_json, @out_unit_std_json, @grad_norm_json, @update_ratio_json,
        @weight_norm_json, @weight_mean_json, @saturation_json)`),
    finish: db.prepare(`
      UPDATE trials SET status = @status, finished_at = @now, error = NULL, diverged_epoch = @divergedEpoch,
        final_cost = @finalCost, final_train_acc = @finalTrainAcc, final_test_acc = @finalTestAcc,
        best_test_acc = @bestTestAcc, epochs_done = @epochsDone, backend = @backend,
        final_eval_json = @finalEvalJson, summary_json = @summaryJson, heartbeat_at = @now
      WHERE id = @id AND owner = @owner AND status = 'running'`),
    fail: db.prepare(`
      UPDATE trials SET status = @status, finished_at = @now, error = @error, heartbeat_at = @now
      WHERE id = @id AND owner = @owner AND status = 'running'`),
    heartbeat: db.prepare(`UPDATE trials SET heartbeat_at = @now WHERE owner = @owner AND status = 'running'`),
    insertGradcheck: db.prepare(`
      INSERT INTO gradchecks (experiment, arch, run_id, layer, kind, checked, skipped, max_rel_error, max_abs_error,
        worst_index, analytic, numeric, eps, threshold, passed, created_at)
      VALUES (@experiment, @arch, @runId, @layer, @kind, @checked, @skipped, @maxRelError, @maxAbsError,
        @worstIndex, @analytic, @numeric, @eps, @threshold, @passed, @now)`),
    insertEnvironment: db.prepare(`
      INSERT INTO environment (run_id, started_at, command, sweeplab_version, git_commit, node_version, platform,
        cpu, cores, kernel_backend, openblas_core, data_fingerprints_json, status)
      VALUES (@runId, @startedAt, @command, @sweeplabVersion, @gitCommit, @nodeVersion, @platform, @cpu, @cores,
        @kernelBackend, @openblasCore, @dataFingerprintsJson, 'running')`),
    finishEnvironment: db.prepare(
      'UPDATE environment SET finished_at = @now, status = @status WHERE run_id = @runId'),
  };
}


/** The write side of the results database. One per process (main thread). */
export class Store {
  readonly db: Database.Database;
  readonly path: string;
  private readonly s: ReturnType<typeof prepareStatements>;

  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.s = prepareStatements(db);
  }

  /** Opens (creating and migrating as needed) the database at `path` for writing. */
  static open(path: string): Store {
    return new Store(openDatabase(path), path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Registers experiments and their trials in ONE transaction: each experiment row is inserted or updated, its
   * trials inserted when new (trial rows are shared by id across experiments), its `experiment_trials` links
   * replaced by the current expansion, and its view `trials_<name>` recreated. A name already registered from
   * another file that still exists is an InputError (NAME_CONFLICT) and nothing is written.
   */
  registerExperiments(exps: ExperimentRegistration[]): RegistrationResult[] {
    const seen = new Map<string, string>();
    for (const e of exps) {
      const other = seen.get(e.name);
      if (other !== undefined && other !== e.file) {
        throw new InputError('NAME_CONFLICT',
          `${e.file}: experiment name "${e.name}" is also used by ${other}; give one of them another \`name:\``);
      }
      seen.set(e.name, e.file);
    }
    const run = this.db.transaction((): RegistrationResult[] => {
      const now = nowIso();
      const results: RegistrationResult[] = [];
      const done = new Set<string>();
      for (const e of exps) {
        if (done.has(e.name)) continue;
        done.add(e.name);
        const existing = this.s.getExperiment.get({ name: e.name });
        if (existing && existing.file !== e.file && existsSync(existing.file)) {
          throw new InputError('NAME_CONFLICT',
            `${e.file}: experiment name "${e.name}" is already registered in ${this.path} from ${existing.file}; ` +
            'give this file another `name:` (or use another --db)');
        }
        this.s.upsertExperiment.run({
          name: e.name, description: e.description, file: e.file, yaml: e.yaml, now, resolvedJson: e.resolvedJson,
        });
        let newTrials = 0;
        for (const t of e.trials) {
          newTrials += this.s.insertTrial.run({
            id: t.id, experiment: e.name, configJson: t.configJson, seed: t.seed, arch: t.arch, now,
          }).changes;
        }
        if (!e.appendOnly) this.s.deleteLinks.run({ experiment: e.name });
        const link = e.appendOnly ? this.s.upsertLink : this.s.insertLink;
        for (const t of e.trials) {
          link.run({ experiment: e.name, trialId: t.id, paramsJson: t.paramsJson, position: t.position });
        }
        const view = experimentViewName(e.name);
        this.db.exec(`DROP VIEW IF EXISTS ${quoteIdent(view)}`);
        this.db.exec(experimentViewSql(e.name, e.sweptPaths));
        results.push({ name: e.name, view, trials: e.trials.length, newTrials });
      }
      return results;
    });
    return run.immediate();
  }

  trialState(id: string): { status: TrialStatus; owner: string | null; heartbeatAt: string | null } | null {
    const r = this.s.trialState.get({ id });
    return r ? { status: r.status, owner: r.owner, heartbeatAt: r.heartbeat_at } : null;
  }

  /**
   * Atomically claims a trial for `owner`: pending, failed and interrupted trials are claimable, done and diverged
   * ones only with `force`, running ones only when their owner is dead (`isAlive` false: the trial was interrupted
   * by a crash or kill -9). A claimed trial's old epoch rows and diagnoses are deleted: it restarts from scratch.
   */
  claimTrial(id: string, owner: string, opts: { force: boolean; isAlive: OwnerAliveFn }): ClaimResult {
    const run = this.db.transaction((): ClaimResult => {
      const row = this.s.trialState.get({ id });
      if (!row) return { claimed: false, reason: 'missing', status: null };
      if (row.status === 'running' && opts.isAlive(row.owner, row.heartbeat_at)) {
        return { claimed: false, reason: 'elsewhere', status: row.status };
      }
      if ((row.status === 'done' || row.status === 'diverged') && !opts.force) {
        return { claimed: false, reason: 'finished', status: row.status };
      }
      this.s.claim.run({ id, owner, now: nowIso() });
      this.s.deleteEpochs.run({ id });
      this.s.deleteDiagnoses.run({ id });
      return { claimed: true, previous: row.status };
    });
    return run.immediate();
  }

  /**
   * Records one epoch of a trial this owner runs (and bumps its heartbeat and epochs_done). Returns false, writing
   * nothing, when the trial is no longer this owner's (another process took it over).
   */
  insertEpoch(trialId: string, owner: string, m: EpochInput): boolean {
    const run = this.db.transaction((): boolean => {
      if (this.s.touchRunning.run({ id: trialId, owner, epoch: m.epoch, now: nowIso() }).changes === 0) return false;
      this.s.insertEpoch.run({ trial_id: trialId, ...epochRowValues(m) });
      return true;
    });
    return run.immediate();
  }

  finishTrial(id: string, owner: string, f: TrialFinish): boolean {
    const run = this.db.transaction(() => this.s.finish.run({
      id, owner, now: nowIso(), status: f.status, divergedEpoch: f.divergedEpoch, finalCost: real(f.finalCost),
      finalTrainAcc: real(f.finalTrainAcc), finalTestAcc: real(f.finalTestAcc), bestTestAcc: real(f.bestTestAcc),
      epochsDone: f.epochsDone, backend: f.backend,
      finalEvalJson: f.finalEval == null ? null : JSON.stringify(f.finalEval),
      summaryJson: JSON.stringify(f.summary ?? {}),
    }).changes === 1);
    return run.immediate();
  }

  /** Ends a trial this owner runs as failed or interrupted, with the reason. */
  failTrial(id: string, owner: string, status: 'failed' | 'interrupted', error: string): boolean {
    const run = this.db.transaction(() => this.s.fail.run({ id, owner, status, error, now: nowIso() }).changes === 1);
    return run.immediate();
  }

  /** Marks every running trial of this owner alive now. */
  heartbeat(owner: string): void {
    this.db.transaction(() => this.s.heartbeat.run({ owner, now: nowIso() })).immediate();
  }

  /**
   * Replaces a trial's diagnosis with `findings` in one transaction (the old rows go, even when there are no new
   * ones). Returns false, writing nothing, when the trial does not exist.
   */
  replaceDiagnoses(trialId: string, findings: readonly DiagnosisInput[]): boolean {
    const run = this.db.transaction((): boolean => {
      if (!this.s.trialState.get({ id: trialId })) return false;
      this.s.deleteDiagnoses.run({ id: trialId });
      const now = nowIso();
      for (const f of findings) {
        this.s.insertDiagnosis.run({
          trialId, rule: f.rule, severity: f.severity, evidenceJson: JSON.stringify(f.evidence ?? {}), advice: f.advice, now,
        });
      }
      return true;
    });
    return run.immediate();
  }

  insertGradchecks(rows: GradcheckRow[]): void {
    const run = this.db.transaction(() => {
      const now = nowIso();
      for (const r of rows) {
        this.s.insertGradcheck.run({
          ...r, maxRelError: real(r.maxRelError), maxAbsError: real(r.maxAbsError), analytic: real(r.analytic),
          numeric: real(r.numeric), passed: r.passed ? 1 : 0, now,
        });
      }
    });
    run.immediate();
  }

  startEnvironment(env: EnvironmentRow): void {
    const { dataFingerprints, ...rest } = env;
    this.db.transaction(() => this.s.insertEnvironment.run({
      ...rest, dataFingerprintsJson: JSON.stringify(dataFingerprints),
    })).immediate();
  }

  finishEnvironment(runId: string, status: 'done' | 'failed' | 'interrupted'): void {
    this.db.transaction(() => this.s.finishEnvironment.run({ runId, status, now: nowIso() })).immediate();
  }
}
