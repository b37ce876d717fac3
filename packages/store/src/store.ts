/**
 * The write side of the results database: every write sweeplab makes, as prepared statements with named
 * parameters, each write group in a BEGIN IMMEDIATE transaction. One `Store` per process (its coordinating main
 * thread) is the only writer there; several processes may share one database (claims are atomic, see `claimTrial`).
 *
 * Attempts: each claim of a trial starts a new attempt (trials.attempt + 1) and deletes the previous attempts' epoch
 * rows, so a trial's history is its final attempt's. Every later write names its attempt and is a no-op when the
 * trial has moved on (another claim, or a terminal status): at-least-once delivery of epochs and outcomes is safe.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { openWritable } from './db.js';
import { epochRowValues, real } from './epochs.js';
import { InputError } from './errors.js';
import { ReadQueries } from './queries.js';
import type { Severity, TrialStatus } from './rows.js';
import { experimentViewName, experimentViewSql, quoteIdent } from './views.js';

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
  sweptPaths: readonly string[];
  trials: readonly TrialRegistration[];
  /**
   * Keep the experiment's other trial links and add or update these (built-in experiments such as `_baselines`
   * grow one trial at a time; adaptive searches add trials as they suggest them). Default: the links are replaced.
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

/** The final columns of a trial that trained to its end. */
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

/** A trial a stopping rule ended at `epoch` (its final columns are that epoch's metrics). */
export interface TrialPrune {
  epoch: number;
  finalCost: number | null;
  finalTrainAcc: number | null;
  finalTestAcc: number | null;
  bestTestAcc: number | null;
  backend: string | null;
  summary: unknown;
  reason: string;
}

export interface GradcheckInput {
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

export interface EnvironmentInput {
  runId: string;
  /** `host:pid@start:run` of the process (null: not known) */
  owner: string | null;
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
  /** the Redis queue of a `run --queue`: host:port/db (no credentials) and queue name; null or absent: local */
  queueHost?: string | null;
  queueName?: string | null;
}

/** One diagnosis finding of a trial (a `diagnoses` row without trial_id and created_at). */
export interface DiagnosisInput {
  rule: string;
  severity: Severity;
  evidence: unknown;
  advice: string;
}

export type ClaimResult =
  | { claimed: true; attempt: number; previous: TrialStatus }
  /** finished: done/diverged/pruned (and no force); elsewhere: running in a live process; missing: no such trial */
  | { claimed: false; reason: 'finished' | 'elsewhere' | 'missing'; status: TrialStatus | null };

/** A stopping rule's decision at a rung epoch of a trial (a `rungs` row). */
export interface RungDecision {
  experiment: string;
  trialId: string;
  epoch: number;
  /** the objective at that epoch (null: not finite) */
  value: number | null;
  decision: 'continued' | 'pruned';
  /** the rule that decided: 'asha' or 'median' */
  rule: string;
}

/** What an epoch write did: written; a duplicate of a row already there (a no-op); stale: not the trial's live attempt. */
export type EpochWrite = 'written' | 'duplicate' | 'stale';

/** Decides whether the owner of a `running` row is still at work. */
export type OwnerAliveFn = (owner: string | null, heartbeatAt: string | null) => boolean;

const nowIso = () => new Date().toISOString();

function prepareStatements(db: Database.Database) {
  return {
    getExperiment: db.prepare<{ name: string }, { name: string; file: string }>(
      'SELECT name, file FROM experiments WHERE name = @name'),
    experimentNames: db.prepare<[], string>('SELECT name FROM experiments').pluck(),
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
    claimRow: db.prepare<{ id: string }, { status: TrialStatus; owner: string | null; heartbeat_at: string | null; attempt: number }>(
      'SELECT status, owner, heartbeat_at, attempt FROM trials WHERE id = @id'),
    claim: db.prepare(`
      UPDATE trials SET status = 'running', owner = @owner, heartbeat_at = @now, started_at = @now, attempt = attempt + 1,
        finished_at = NULL, error = NULL, diverged_epoch = NULL, pruned_epoch = NULL, final_cost = NULL,
        final_train_acc = NULL, final_test_acc = NULL, best_test_acc = NULL, epochs_done = NULL, backend = NULL,
        final_eval_json = NULL, summary_json = NULL, diagnosed_at = NULL
      WHERE id = @id`),
    deleteEpochs: db.prepare('DELETE FROM epochs WHERE trial_id = @id'),
    deleteDiagnoses: db.prepare('DELETE FROM diagnoses WHERE trial_id = @id'),
    insertDiagnosis: db.prepare(`
      INSERT INTO diagnoses (trial_id, rule, severity, evidence_json, advice, created_at)
      VALUES (@trialId, @rule, @severity, @evidenceJson, @advice, @now)`),
    markDiagnosed: db.prepare('UPDATE trials SET diagnosed_at = @now WHERE id = @id'),
    live: db.prepare<{ id: string; attempt: number }, { n: number }>(
      `SELECT 1 AS n FROM trials WHERE id = @id AND attempt = @attempt AND status = 'running'`),
    touchRunning: db.prepare(`
      UPDATE trials SET epochs_done = max(COALESCE(epochs_done, 0), @epoch), heartbeat_at = @now
      WHERE id = @id AND attempt = @attempt AND status = 'running'`),
    insertEpoch: db.prepare(`
      INSERT INTO epochs (trial_id, attempt, epoch, cost, loss, l2_term, train_acc, test_acc, val_acc, lr,
        out_mean, out_std, seconds, eval_seconds, out_unit_mean_json, out_unit_std_json, grad_norm_json,
        update_ratio_json, weight_norm_json, weight_mean_json, saturation_json, measured)
      VALUES (@trial_id, @attempt, @epoch, @cost, @loss, @l2_term, @train_acc, @test_acc, @val_acc, @lr, @out_mean,
        @out_std, @seconds, @eval_seconds, @out_unit_mean_json, @out_unit_std_json, @grad_norm_json, @update_ratio_json,
        @weight_norm_json, @weight_mean_json, @saturation_json, @measured)
      ON CONFLICT (trial_id, attempt, epoch) DO UPDATE SET cost = excluded.cost, loss = excluded.loss,
        l2_term = excluded.l2_term, train_acc = excluded.train_acc, test_acc = excluded.test_acc, val_acc = excluded.val_acc,
        out_mean = excluded.out_mean, out_std = excluded.out_std, eval_seconds = excluded.eval_seconds,
        out_unit_mean_json = excluded.out_unit_mean_json, out_unit_std_json = excluded.out_unit_std_json,
        grad_norm_json = excluded.grad_norm_json, update_ratio_json = excluded.update_ratio_json,
        weight_norm_json = excluded.weight_norm_json, weight_mean_json = excluded.weight_mean_json,
        saturation_json = excluded.saturation_json, measured = 1
      WHERE epochs.measured = 0 AND excluded.measured = 1`),
    finish: db.prepare(`
      UPDATE trials SET status = @status, finished_at = @now, error = NULL, diverged_epoch = @divergedEpoch,
        final_cost = @finalCost, final_train_acc = @finalTrainAcc, final_test_acc = @finalTestAcc,
        best_test_acc = @bestTestAcc, epochs_done = @epochsDone, backend = @backend,
        final_eval_json = @finalEvalJson, summary_json = @summaryJson, heartbeat_at = @now
      WHERE id = @id AND attempt = @attempt AND status = 'running'`),
    prune: db.prepare(`
      UPDATE trials SET status = 'pruned', finished_at = @now, error = @reason, pruned_epoch = @epoch,
        final_cost = @finalCost, final_train_acc = @finalTrainAcc, final_test_acc = @finalTestAcc,
        best_test_acc = @bestTestAcc, epochs_done = @epoch, backend = @backend, summary_json = @summaryJson,
        heartbeat_at = @now
      WHERE id = @id AND attempt = @attempt AND status = 'running'`),
    pruneEpochsAfter: db.prepare('DELETE FROM epochs WHERE trial_id = @id AND attempt = @attempt AND epoch > @epoch'),
    diverge: db.prepare(`
      UPDATE trials SET status = 'diverged', finished_at = @now, error = @reason, diverged_epoch = @epoch,
        final_cost = @finalCost, final_train_acc = @finalTrainAcc, final_test_acc = @finalTestAcc,
        best_test_acc = @bestTestAcc, epochs_done = @epoch, backend = @backend, summary_json = @summaryJson,
        heartbeat_at = @now
      WHERE id = @id AND attempt = @attempt AND status = 'running'`),
    fail: db.prepare(`
      UPDATE trials SET status = @status, finished_at = @now, error = @error, heartbeat_at = @now
      WHERE id = @id AND attempt = @attempt AND status = 'running'`),
    heartbeat: db.prepare(`UPDATE trials SET heartbeat_at = @now WHERE owner = @owner AND status = 'running'`),
    insertGradcheck: db.prepare(`
      INSERT INTO gradchecks (experiment, arch, run_id, layer, kind, checked, skipped, max_rel_error, max_abs_error,
        worst_index, analytic, numeric, eps, threshold, passed, created_at)
      VALUES (@experiment, @arch, @runId, @layer, @kind, @checked, @skipped, @maxRelError, @maxAbsError,
        @worstIndex, @analytic, @numeric, @eps, @threshold, @passed, @now)`),
    insertEnvironment: db.prepare(`
      INSERT INTO environment (run_id, started_at, command, sweeplab_version, git_commit, node_version, platform,
        cpu, cores, kernel_backend, openblas_core, data_fingerprints_json, status, owner, queue_host, queue_name)
      VALUES (@runId, @startedAt, @command, @sweeplabVersion, @gitCommit, @nodeVersion, @platform, @cpu, @cores,
        @kernelBackend, @openblasCore, @dataFingerprintsJson, 'running', @owner, @queueHost, @queueName)`),
    runningEnvironments: db.prepare<[], { run_id: string; owner: string | null }>(
      `SELECT run_id, owner FROM environment WHERE status = 'running'`),
    runningTrialsOfRun: db.prepare<{ pattern: string }, { n: number }>(
      `SELECT count(*) AS n FROM trials WHERE status = 'running' AND owner LIKE @pattern ESCAPE '\\'`),
    finishEnvironment: db.prepare(
      'UPDATE environment SET finished_at = @now, status = @status WHERE run_id = @runId'),
    insertRung: db.prepare(`
      INSERT OR IGNORE INTO rungs (experiment, trial_id, epoch, value, decision, rule, created_at)
      VALUES (@experiment, @trialId, @epoch, @value, @decision, @rule, @now)`),
    getRung: db.prepare<{ experiment: string; trialId: string; epoch: number }, { decision: 'continued' | 'pruned' }>(
      'SELECT decision FROM rungs WHERE experiment = @experiment AND trial_id = @trialId AND epoch = @epoch'),
    setWeights: db.prepare('UPDATE trials SET weights_path = @path WHERE id = @id'),
  };
}

/** The single writer of a process (it reads through the same connection: see ReadQueries). */
export class Store extends ReadQueries {
  readonly path: string;
  private readonly s: ReturnType<typeof prepareStatements>;

  private constructor(db: Database.Database, path: string) {
    super(db);
    this.path = path;
    this.s = prepareStatements(db);
  }

  /** Opens (creating and migrating as needed) the database at `path` for writing. */
  static open(path: string): Store {
    return new Store(openWritable(path), path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Registers experiments and their trials in ONE transaction: each experiment row is inserted or updated, its
   * trials inserted when new (trial rows are shared by id across experiments), its `experiment_trials` links
   * replaced by the current expansion (or added to, `appendOnly`), and its view `trials_<name>` recreated. A name
   * already registered from another file that still exists is an InputError (NAME_CONFLICT) and nothing is written.
   */
  registerExperiments(exps: readonly ExperimentRegistration[]): RegistrationResult[] {
    const seen = new Map<string, string>();
    for (const e of exps) {
      const other = seen.get(e.name);
      if (other !== undefined && other !== e.file) {
        throw new InputError('NAME_CONFLICT',
          `${e.file}: experiment name "${e.name}" is also used by ${other}; give one of them another \`name:\``);
      }
      seen.set(e.name, e.file);
    }
    return this.db.transaction((): RegistrationResult[] => {
      const done = new Set<string>();
      const results: RegistrationResult[] = [];
      for (const e of exps) {
        if (done.has(e.name)) continue;
        done.add(e.name);
        results.push(this.registerOne(e, nowIso()));
      }
      return results;
    }).immediate();
  }

  private registerOne(e: ExperimentRegistration, now: string): RegistrationResult {
    const view = experimentViewName(e.name);
    const clash = this.s.experimentNames.all().find((n) => n !== e.name && experimentViewName(n).toLowerCase() === view.toLowerCase());
    if (clash !== undefined) {
      throw new InputError('NAME_CONFLICT', `${e.file}: experiment name "${e.name}" gives the SQL view ${view}, which experiment "${clash}" in ` +
        `${this.path} already has (names are compared without case, and characters outside A-Z a-z 0-9 _ become _); give this file another \`name:\``);
    }
    const existing = this.s.getExperiment.get({ name: e.name });
    if (existing && existing.file !== e.file && existsSync(existing.file)) {
      throw new InputError('NAME_CONFLICT',
        `${e.file}: experiment name "${e.name}" is already registered in ${this.path} from ${existing.file}; ` +
        'give this file another `name:` (or use another --db)');
    }
    this.s.upsertExperiment.run({ name: e.name, description: e.description, file: e.file, yaml: e.yaml, now, resolvedJson: e.resolvedJson });
    let newTrials = 0;
    for (const t of e.trials) {
      newTrials += this.s.insertTrial.run({ id: t.id, experiment: e.name, configJson: t.configJson, seed: t.seed, arch: t.arch, now }).changes;
    }
    if (e.appendOnly !== true) this.s.deleteLinks.run({ experiment: e.name });
    const link = e.appendOnly === true ? this.s.upsertLink : this.s.insertLink;
    for (const t of e.trials) link.run({ experiment: e.name, trialId: t.id, paramsJson: t.paramsJson, position: t.position });
    this.db.exec(`DROP VIEW IF EXISTS ${quoteIdent(view)}`);
    this.db.exec(experimentViewSql(e.name, e.sweptPaths));
    return { name: e.name, view, trials: e.trials.length, newTrials };
  }

  /**
   * Adds trials to an experiment that is already registered (an adaptive search registers each trial it suggests
   * before the scheduler claims it): trial rows are inserted when new, links added or updated; the experiment's
   * other links stay. One transaction. Returns how many trial rows were new.
   */
  addTrials(experiment: string, trials: readonly TrialRegistration[]): number {
    return this.db.transaction((): number => {
      if (!this.s.getExperiment.get({ name: experiment })) {
        throw new InputError('UNKNOWN_EXPERIMENT', `experiment "${experiment}" is not registered in ${this.path}: register it before adding trials`);
      }
      const now = nowIso();
      let added = 0;
      for (const t of trials) {
        added += this.s.insertTrial.run({ id: t.id, experiment, configJson: t.configJson, seed: t.seed, arch: t.arch, now }).changes;
        this.s.upsertLink.run({ experiment, trialId: t.id, paramsJson: t.paramsJson, position: t.position });
      }
      return added;
    }).immediate();
  }

  /**
   * Records a stopping rule's decision at a rung, once: when the trial already has a decision at that rung (a
   * restarted trial reaching it again), nothing is written and the stored decision is returned, so a decision is
   * never taken twice.
   */
  recordRung(r: RungDecision): 'continued' | 'pruned' {
    return this.db.transaction((): 'continued' | 'pruned' => {
      this.s.insertRung.run({ ...r, value: real(r.value), now: nowIso() });
      return this.s.getRung.get({ experiment: r.experiment, trialId: r.trialId, epoch: r.epoch })?.decision ?? r.decision;
    }).immediate();
  }

  /** Records where a trial's trained weights are kept (null: not kept). */
  setWeightsPath(id: string, path: string | null): void {
    this.db.transaction(() => this.s.setWeights.run({ id, path })).immediate();
  }

  /**
   * Atomically claims a trial for `owner`, starting its next attempt: pending, failed and interrupted trials are
   * claimable, finished ones (done, diverged, pruned) only with `force`, running ones only when their owner is dead
   * (`isAlive` false: a crash or kill -9). The previous attempts' epoch rows and the diagnosis are deleted.
   */
  claimTrial(id: string, owner: string, opts: { force: boolean; isAlive: OwnerAliveFn }): ClaimResult {
    return this.db.transaction((): ClaimResult => {
      const row = this.s.claimRow.get({ id });
      if (!row) return { claimed: false, reason: 'missing', status: null };
      if (row.status === 'running' && opts.isAlive(row.owner, row.heartbeat_at)) {
        return { claimed: false, reason: 'elsewhere', status: row.status };
      }
      if ((row.status === 'done' || row.status === 'diverged' || row.status === 'pruned') && !opts.force) {
        return { claimed: false, reason: 'finished', status: row.status };
      }
      this.s.claim.run({ id, owner, now: nowIso() });
      this.s.deleteEpochs.run({ id });
      this.s.deleteDiagnoses.run({ id });
      return { claimed: true, attempt: row.attempt + 1, previous: row.status };
    }).immediate();
  }

  /**
   * Records one epoch of attempt `attempt` (and bumps the trial's heartbeat and epochs_done). Idempotent: the same
   * epoch again is 'duplicate' and changes nothing, except that a measured copy of an epoch stored unmeasured fills
   * in its metrics (nn-core measures the epoch a stop request arrives at); 'stale' (nothing written) when the
   * attempt is not the trial's running one any more (another process took it over, or it ended).
   */
  insertEpoch(trialId: string, attempt: number, m: EpochMetrics): EpochWrite {
    return this.db.transaction((): EpochWrite => {
      if (!this.s.live.get({ id: trialId, attempt })) return 'stale';
      const changes = this.s.insertEpoch.run({ trial_id: trialId, attempt, ...epochRowValues(m) }).changes;
      this.s.touchRunning.run({ id: trialId, attempt, epoch: m.epoch, now: nowIso() });
      return changes === 1 ? 'written' : 'duplicate';
    }).immediate();
  }

  /** Ends attempt `attempt` as done or diverged with its final columns; false (nothing written) if it is not live. */
  finishTrial(id: string, attempt: number, f: TrialFinish): boolean {
    return this.db.transaction(() => this.s.finish.run({
      id, attempt, now: nowIso(), status: f.status, divergedEpoch: f.divergedEpoch, finalCost: real(f.finalCost),
      finalTrainAcc: real(f.finalTrainAcc), finalTestAcc: real(f.finalTestAcc), bestTestAcc: real(f.bestTestAcc),
      epochsDone: f.epochsDone, backend: f.backend,
      finalEvalJson: f.finalEval === null || f.finalEval === undefined ? null : JSON.stringify(f.finalEval),
      summaryJson: JSON.stringify(f.summary ?? {}),
    }).changes === 1).immediate();
  }

  /**
   * Ends attempt `attempt` as pruned at `p.epoch` (stopped on purpose: a finished trial). Epoch rows after that epoch
   * (a worker that trained on before the decision reached it) are removed. False if the attempt is not live.
   */
  pruneTrial(id: string, attempt: number, p: TrialPrune): boolean {
    return this.stopAt(this.s.prune, id, attempt, p);
  }

  /**
   * Ends attempt `attempt` as diverged at `p.epoch` by the coordinator's decision (a cost that grew by a huge factor:
   * the worker's own NaN/Inf check arrives through finishTrial), with the reason as its error text. Epoch rows after
   * that epoch are removed. False if the attempt is not live.
   */
  divergeTrial(id: string, attempt: number, p: TrialPrune): boolean {
    return this.stopAt(this.s.diverge, id, attempt, p);
  }

  /** A coordinator's decision to end a live attempt at `p.epoch` (`stmt`: prune or diverge), and the epochs after it removed. */
  private stopAt(stmt: Database.Statement, id: string, attempt: number, p: TrialPrune): boolean {
    return this.db.transaction((): boolean => {
      const ok = stmt.run({
        id, attempt, now: nowIso(), epoch: p.epoch, reason: p.reason, finalCost: real(p.finalCost),
        finalTrainAcc: real(p.finalTrainAcc), finalTestAcc: real(p.finalTestAcc), bestTestAcc: real(p.bestTestAcc),
        backend: p.backend, summaryJson: JSON.stringify(p.summary ?? {}),
      }).changes === 1;
      if (ok) this.s.pruneEpochsAfter.run({ id, attempt, epoch: p.epoch });
      return ok;
    }).immediate();
  }

  /** Ends attempt `attempt` as failed or interrupted, with the reason; false if it is not live. */
  failTrial(id: string, attempt: number, status: 'failed' | 'interrupted', error: string): boolean {
    return this.db.transaction(() => this.s.fail.run({ id, attempt, status, error, now: nowIso() }).changes === 1).immediate();
  }

  /**
   * Runs `fn` in one write transaction: the writes it makes (each their own transaction otherwise, then savepoints
   * inside this one) commit together. A coordinator recording a burst of epoch events from remote workers commits
   * them at once instead of one commit per row. A throw rolls back only the write that threw when it is caught.
   */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Marks every running trial of this owner alive now. */
  heartbeat(owner: string): void {
    this.db.transaction(() => this.s.heartbeat.run({ owner, now: nowIso() })).immediate();
  }

  /**
   * Replaces a trial's diagnosis with `findings` in one transaction (the old rows go, even when there are no new
   * ones) and marks it diagnosed (diagnosed_at), also with zero findings. False when the trial does not exist.
   */
  replaceDiagnoses(trialId: string, findings: readonly DiagnosisInput[]): boolean {
    return this.db.transaction((): boolean => {
      if (!this.s.claimRow.get({ id: trialId })) return false;
      this.s.deleteDiagnoses.run({ id: trialId });
      const now = nowIso();
      for (const f of findings) {
        this.s.insertDiagnosis.run({
          trialId, rule: f.rule, severity: f.severity, evidenceJson: JSON.stringify(f.evidence ?? {}), advice: f.advice, now,
        });
      }
      this.s.markDiagnosed.run({ id: trialId, now });
      return true;
    }).immediate();
  }

  insertGradchecks(rows: readonly GradcheckInput[]): void {
    this.db.transaction(() => {
      const now = nowIso();
      for (const r of rows) {
        this.s.insertGradcheck.run({
          ...r, maxRelError: real(r.maxRelError), maxAbsError: real(r.maxAbsError), analytic: real(r.analytic),
          numeric: real(r.numeric), passed: r.passed ? 1 : 0, now,
        });
      }
    }).immediate();
  }

  startEnvironment(env: EnvironmentInput): void {
    const { dataFingerprints, queueHost, queueName, ...rest } = env;
    this.db.transaction(() => this.s.insertEnvironment.run({
      ...rest, dataFingerprintsJson: JSON.stringify(dataFingerprints), queueHost: queueHost ?? null, queueName: queueName ?? null,
    })).immediate();
  }

  finishEnvironment(runId: string, status: 'done' | 'failed' | 'interrupted'): void {
    this.db.transaction(() => this.s.finishEnvironment.run({ runId, status, now: nowIso() })).immediate();
  }

  /**
   * Closes as `interrupted` the `environment` rows still `running` whose process is gone (`isAlive` false for their
   * owner; a row without an owner, written before owners were recorded, counts as gone when none of its trials is
   * still running). Returns the run ids it closed.
   */
  closeDeadEnvironments(isAlive: (owner: string) => boolean): string[] {
    return this.db.transaction((): string[] => {
      const closed: string[] = [];
      for (const r of this.s.runningEnvironments.all()) {
        const dead = r.owner !== null ? !isAlive(r.owner)
          : (this.s.runningTrialsOfRun.get({ pattern: `%:${r.run_id.replace(/[\\%_]/g, (c) => `\\${c}`)}` })?.n ?? 0) === 0;
        if (!dead) continue;
        this.s.finishEnvironment.run({ runId: r.run_id, status: 'interrupted', now: nowIso() });
        closed.push(r.run_id);
      }
      return closed;
    }).immediate();
  }
}
