/**
 * Every read query of the results database, as methods of `ReadQueries`: the writer (`Store`) and the read-only
 * connection (`ResultsReader`) both extend it, so the SQL lives here once. Rows are mapped onto the types of
 * rows.ts (camelCase, JSON parsed; a damaged JSON cell reads as null instead of stopping a report).
 */
import type Database from 'better-sqlite3';
import type { EpochRowValues } from './epochs.js';
import { InputError } from './errors.js';
import type {
  EnvironmentRecord, EpochRecord, ExperimentRecord, FinalEval, GradcheckRecord, MetricColumn, RungRecord, SearchTrialRecord,
  Severity, StoredFinding, StoredTrialConfig, TrialLink, TrialRecord, TrialStatus, TrialSummary,
} from './rows.js';
import { METRIC_COLUMNS } from './rows.js';
import type {
  ChangeMarks, ExperimentOverview, FindingCount, ListLink, SchemaObject, TrialListRow, TrialMark,
} from './live.js';

interface TrialSql {
  id: string;
  experiment: string;
  status: TrialStatus;
  config_json: string;
  seed: number;
  arch: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  diverged_epoch: number | null;
  final_cost: number | null;
  final_train_acc: number | null;
  final_test_acc: number | null;
  best_test_acc: number | null;
  epochs_done: number | null;
  backend: string | null;
  final_eval_json: string | null;
  summary_json: string | null;
  owner: string | null;
  heartbeat_at: string | null;
  created_at: string;
  attempt: number;
  pruned_epoch: number | null;
  diagnosed_at: string | null;
  weights_path?: string | null;
  params_json?: string | null;
  position?: number | null;
}

interface EpochSql extends EpochRowValues {
  trial_id: string;
  attempt: number;
}

interface ExperimentSql {
  name: string;
  description: string;
  file: string;
  yaml: string;
  created_at: string;
  updated_at: string;
  resolved_json: string;
}

interface GradcheckSql {
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

interface EnvironmentSql {
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
  queue_host?: string | null;
  queue_name?: string | null;
}

interface DiagnosisSql {
  trial_id: string;
  rule: string;
  severity: Severity;
  evidence_json: string;
  advice: string;
}

/** The SQL column of an objective metric (a closed list: never interpolate user text into SQL). */
function metricColumn(m: MetricColumn): string {
  if (!METRIC_COLUMNS.includes(m)) throw new InputError('BAD_OPTION', `unknown metric "${String(m)}": use one of ${METRIC_COLUMNS.join(', ')}`);
  return m;
}

/** JSON.parse that yields `fallback` for NULL or text that is not JSON. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function list(text: string | null | undefined): ReadonlyArray<number | null> | null {
  const v = parseJson<unknown>(text, null);
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : null)) : null;
}

const EMPTY_CONFIG: StoredTrialConfig = {
  model: { layers: [], activation: '', output: '', loss: '' },
  train: { optimizer: '', batch: 'full', lr: 0, epochs: 0, l2: 0 },
};

function toTrial(t: TrialSql): TrialRecord {
  const config = parseJson<unknown>(t.config_json, null);
  const params = parseJson<unknown>(t.params_json, null);
  const summary = parseJson<unknown>(t.summary_json, null);
  const finalEval = parseJson<unknown>(t.final_eval_json, null);
  return {
    id: t.id,
    experiment: t.experiment,
    status: t.status,
    config: isObj(config) && isObj(config.model) && isObj(config.train) ? (config as StoredTrialConfig) : EMPTY_CONFIG,
    params: isObj(params) ? params : {},
    position: t.position ?? null,
    seed: t.seed,
    arch: t.arch,
    startedAt: t.started_at,
    finishedAt: t.finished_at,
    error: t.error,
    divergedEpoch: t.diverged_epoch,
    prunedEpoch: t.pruned_epoch,
    finalCost: t.final_cost,
    finalTrainAcc: t.final_train_acc,
    finalTestAcc: t.final_test_acc,
    bestTestAcc: t.best_test_acc,
    epochsDone: t.epochs_done,
    backend: t.backend,
    finalEval: isObj(finalEval) ? (finalEval as unknown as FinalEval) : null,
    summary: isObj(summary) ? (summary as TrialSummary) : null,
    attempt: t.attempt,
    owner: t.owner,
    heartbeatAt: t.heartbeat_at,
    diagnosedAt: t.diagnosed_at,
    createdAt: t.created_at,
    weightsPath: t.weights_path ?? null,
  };
}

function toEpoch(e: EpochRowValues): EpochRecord {
  return {
    epoch: e.epoch,
    cost: e.cost,
    loss: e.loss,
    l2Term: e.l2_term,
    trainAcc: e.train_acc,
    testAcc: e.test_acc,
    valAcc: e.val_acc,
    lr: e.lr,
    outMean: e.out_mean,
    outStd: e.out_std,
    seconds: e.seconds,
    evalSeconds: e.eval_seconds,
    outUnitMean: list(e.out_unit_mean_json),
    outUnitStd: list(e.out_unit_std_json),
    gradNorm: list(e.grad_norm_json),
    updateRatio: list(e.update_ratio_json),
    weightNorm: list(e.weight_norm_json),
    weightMean: list(e.weight_mean_json),
    saturation: list(e.saturation_json),
    measured: e.measured !== 0,
  };
}

function toExperiment(e: ExperimentSql): ExperimentRecord {
  return {
    name: e.name, description: e.description, file: e.file, yaml: e.yaml, createdAt: e.created_at, updatedAt: e.updated_at,
    resolved: parseJson<unknown>(e.resolved_json, null),
  };
}

function toGradcheck(g: GradcheckSql): GradcheckRecord {
  return {
    id: g.id, experiment: g.experiment, arch: g.arch, runId: g.run_id, layer: g.layer, kind: g.kind, checked: g.checked,
    skipped: g.skipped, maxRelError: g.max_rel_error, maxAbsError: g.max_abs_error, worstIndex: g.worst_index,
    analytic: g.analytic, numeric: g.numeric, eps: g.eps, threshold: g.threshold, passed: g.passed === 1,
    createdAt: g.created_at,
  };
}

function toEnvironment(e: EnvironmentSql): EnvironmentRecord {
  const fp = parseJson<unknown>(e.data_fingerprints_json, null);
  return {
    runId: e.run_id, startedAt: e.started_at, finishedAt: e.finished_at, command: e.command,
    sweeplabVersion: e.sweeplab_version, gitCommit: e.git_commit, nodeVersion: e.node_version, platform: e.platform,
    cpu: e.cpu, cores: e.cores, kernelBackend: e.kernel_backend, openblasCore: e.openblas_core,
    dataFingerprints: isObj(fp) ? (fp as Record<string, string>) : null, status: e.status,
    queueHost: e.queue_host ?? null, queueName: e.queue_name ?? null,
  };
}

function toFinding(d: DiagnosisSql): StoredFinding {
  const evidence = parseJson<unknown>(d.evidence_json, null);
  return {
    rule: d.rule, severity: d.severity, advice: d.advice,
    evidence: isObj(evidence) ? (evidence as StoredFinding['evidence']) : {},
  };
}

function groupBy<T, R>(rows: readonly T[], key: (r: T) => string, map: (r: T) => R): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    const l = out.get(k);
    if (l) l.push(map(r));
    else out.set(k, [map(r)]);
  }
  return out;
}

interface ListSql {
  id: string;
  status: TrialStatus;
  attempt: number;
  seed: number;
  arch: string;
  epochs_done: number | null;
  final_cost: number | null;
  final_train_acc: number | null;
  final_test_acc: number | null;
  best_test_acc: number | null;
  diverged_epoch: number | null;
  pruned_epoch: number | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  diagnosed_at: string | null;
  rev: number;
  seconds: number | null;
  findings_json: string | null;
  links_json: string | null;
}

/**
 * The columns of a list row (`FROM trials t`): compute seconds, findings and links by correlated subqueries.
 * `listColumns(false)` leaves the seconds out (NULL): summing them reads every epoch row of every trial.
 */
const listColumns = (seconds: boolean) => LIST_COLUMNS.replace(SECONDS_SQL, seconds ? SECONDS_SQL : 'NULL AS seconds');
const SECONDS_SQL = `(SELECT SUM(COALESCE(e.seconds, 0) + COALESCE(e.eval_seconds, 0)) FROM epochs e
    WHERE e.trial_id = t.id AND e.attempt = t.attempt) AS seconds`;
const LIST_COLUMNS = /* sql */ `
  t.id, t.status, t.attempt, t.seed, t.arch, t.epochs_done, t.final_cost, t.final_train_acc, t.final_test_acc,
  t.best_test_acc, t.diverged_epoch, t.pruned_epoch, substr(t.error, 1, 500) AS error, t.started_at, t.finished_at,
  t.heartbeat_at, t.diagnosed_at, t.rev,
  ${SECONDS_SQL},
  (SELECT json_group_array(json_array(d.rule, d.severity)) FROM diagnoses d WHERE d.trial_id = t.id) AS findings_json,
  (SELECT json_group_array(json_object('experiment', l.experiment, 'position', l.position,
            'params', json(CASE WHEN json_valid(l.params_json) THEN l.params_json ELSE '{}' END)))
     FROM experiment_trials l WHERE l.trial_id = t.id) AS links_json`;

function toListRow(r: ListSql): TrialListRow {
  const findings = parseJson<unknown>(r.findings_json, []);
  const links = parseJson<unknown>(r.links_json, []);
  return {
    id: r.id, status: r.status, attempt: r.attempt, seed: r.seed, arch: r.arch, epochsDone: r.epochs_done,
    finalCost: r.final_cost, finalTrainAcc: r.final_train_acc, finalTestAcc: r.final_test_acc, bestTestAcc: r.best_test_acc,
    divergedEpoch: r.diverged_epoch, prunedEpoch: r.pruned_epoch, error: r.error, startedAt: r.started_at,
    finishedAt: r.finished_at, heartbeatAt: r.heartbeat_at, diagnosedAt: r.diagnosed_at, rev: r.rev, seconds: r.seconds,
    findings: Array.isArray(findings)
      ? findings.filter((f): f is [string, Severity] => Array.isArray(f)).map(([rule, severity]) => ({ rule, severity }))
      : [],
    links: Array.isArray(links)
      ? links.filter(isObj).map((l) => ({
        experiment: String(l.experiment), position: Number(l.position), params: isObj(l.params) ? l.params : {},
      }) satisfies ListLink)
      : [],
  };
}

/** The columns of `experimentTrialTable`'s rows (TrialListRow names; `params` and `findings` as JSON). */
export const TRIAL_TABLE_COLUMNS = [
  'id', 'status', 'seed', 'position', 'params', 'epochsDone', 'finalCost', 'finalTrainAcc', 'finalTestAcc', 'bestTestAcc',
  'divergedEpoch', 'prunedEpoch', 'error', 'finishedAt', 'heartbeatAt', 'findings',
] as const;

const OVERVIEW_SQL = /* sql */ `
  SELECT e.name, e.description, e.file, e.created_at, e.updated_at,
    (SELECT json_group_object(status, n) FROM (
       SELECT t.status AS status, count(*) AS n FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
       WHERE et.experiment = e.name GROUP BY t.status)) AS counts_json,
    (SELECT json_array(t.id, t.final_test_acc) FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
       WHERE et.experiment = e.name AND t.status = 'done' AND t.final_test_acc IS NOT NULL
       ORDER BY t.final_test_acc DESC, t.final_cost ASC, et.position ASC LIMIT 1) AS best_json,
    (SELECT max(max(COALESCE(t.heartbeat_at, ''), COALESCE(t.finished_at, ''), t.created_at))
       FROM experiment_trials et JOIN trials t ON t.id = et.trial_id WHERE et.experiment = e.name) AS last_trial
  FROM experiments e`;

interface OverviewSql {
  name: string;
  description: string;
  file: string;
  created_at: string;
  updated_at: string;
  counts_json: string | null;
  best_json: string | null;
  last_trial: string | null;
}

function toOverview(r: OverviewSql): ExperimentOverview {
  const counts = parseJson<unknown>(r.counts_json, {});
  const best = parseJson<unknown>(r.best_json, null);
  const c = isObj(counts) ? (counts as ExperimentOverview['counts']) : {};
  return {
    name: r.name, description: r.description, file: r.file, createdAt: r.created_at, updatedAt: r.updated_at, counts: c,
    trials: Object.values(c).reduce((a: number, n) => a + (n ?? 0), 0),
    best: Array.isArray(best) && typeof best[0] === 'string' && typeof best[1] === 'number' ? { trialId: best[0], finalTestAcc: best[1] } : null,
    lastActivity: r.last_trial !== null && r.last_trial > r.updated_at ? r.last_trial : r.updated_at,
  };
}

/** The read side, over any connection (read-only or the writer's own). */
export class ReadQueries {
  constructor(protected readonly db: Database.Database) {}

  /** Runs `fn` in one read transaction: everything it reads is one consistent snapshot. */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** Resolves a unique trial-id prefix to the full id (InputError UNKNOWN_TRIAL / AMBIGUOUS_TRIAL otherwise). */
  resolveTrialId(prefix: string): string {
    const p = prefix.trim().toLowerCase();
    if (!/^[0-9a-z_-]+$/.test(p)) {
      throw new InputError('UNKNOWN_TRIAL', `"${prefix}" is not a trial id: ids are hex strings (see \`sweeplab query "SELECT trial_id FROM trial_summary"\`)`);
    }
    const ids = this.db.prepare<{ lo: string; hi: string }, string>(
      'SELECT id FROM trials WHERE id >= @lo AND id < @hi ORDER BY id LIMIT 6').pluck()
      .all({ lo: p, hi: p + '\uffff' });
    const [first, ...more] = ids;
    if (first === undefined) {
      throw new InputError('UNKNOWN_TRIAL', `no trial id starts with "${prefix}" in this database; list them with \`sweeplab query "SELECT trial_id, experiment FROM trial_summary"\``);
    }
    if (more.length > 0) {
      throw new InputError('AMBIGUOUS_TRIAL', `"${prefix}" matches several trials (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}); give more characters of the id`);
    }
    return first;
  }

  trial(id: string): TrialRecord | undefined {
    const r = this.db.prepare<{ id: string }, TrialSql>('SELECT * FROM trials WHERE id = @id').get({ id });
    return r ? toTrial(r) : undefined;
  }

  /** Status, owner, heartbeat and attempt of a trial (null when it does not exist). */
  trialState(id: string): { status: TrialStatus; owner: string | null; heartbeatAt: string | null; attempt: number } | null {
    const r = this.db.prepare<{ id: string }, { status: TrialStatus; owner: string | null; heartbeat_at: string | null; attempt: number }>(
      'SELECT status, owner, heartbeat_at, attempt FROM trials WHERE id = @id').get({ id });
    return r ? { status: r.status, owner: r.owner, heartbeatAt: r.heartbeat_at, attempt: r.attempt } : null;
  }

  /** The trial's epochs (its current attempt), by epoch. */
  epochs(id: string): EpochRecord[] {
    return this.rawEpochs(id).map(toEpoch);
  }

  /** The trial's epoch rows exactly as stored (for bit-for-bit comparisons). */
  rawEpochs(id: string): EpochRowValues[] {
    return this.db.prepare<{ id: string }, EpochSql>(`
      SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id AND t.attempt = e.attempt
      WHERE e.trial_id = @id ORDER BY e.epoch`).all({ id });
  }

  experiment(name: string): ExperimentRecord | undefined {
    const r = this.db.prepare<{ name: string }, ExperimentSql>('SELECT * FROM experiments WHERE name = @name').get({ name });
    return r ? toExperiment(r) : undefined;
  }

  /** Names of the experiments in the database, sorted. */
  experimentNames(): string[] {
    return this.db.prepare<[], string>('SELECT name FROM experiments ORDER BY name').pluck().all();
  }

  trialLinks(id: string): TrialLink[] {
    return this.db.prepare<{ id: string }, { experiment: string; trial_id: string; params_json: string; position: number }>(
      'SELECT * FROM experiment_trials WHERE trial_id = @id ORDER BY experiment').all({ id })
      .map((l) => ({ experiment: l.experiment, trialId: l.trial_id, params: parseJson<Record<string, unknown>>(l.params_json, {}), position: l.position }));
  }

  /** Status of each given trial id that exists in the database. */
  trialStatuses(ids: readonly string[]): Map<string, TrialStatus> {
    const out = new Map<string, TrialStatus>();
    const stmt = this.db.prepare<{ ids: string }, { id: string; status: TrialStatus }>(
      'SELECT id, status FROM trials WHERE id IN (SELECT value FROM json_each(@ids))');
    for (const r of stmt.all({ ids: JSON.stringify(ids) })) out.set(r.id, r.status);
    return out;
  }

  /** The experiment's trials in its position order, with their swept parameters. */
  experimentTrials(experiment: string): TrialRecord[] {
    return this.db.prepare<{ experiment: string }, TrialSql>(`
      SELECT t.*, et.params_json AS params_json, et.position AS position
      FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
      WHERE et.experiment = @experiment ORDER BY et.position, t.id`).all({ experiment }).map(toTrial);
  }

  /** Every epoch row of the experiment's trials (their current attempts), by trial id. */
  experimentEpochs(experiment: string): Map<string, EpochRecord[]> {
    const rows = this.db.prepare<{ experiment: string }, EpochSql>(`
      SELECT e.* FROM epochs e
      JOIN experiment_trials et ON et.trial_id = e.trial_id
      JOIN trials t ON t.id = e.trial_id AND t.attempt = e.attempt
      WHERE et.experiment = @experiment ORDER BY e.trial_id, e.epoch`).all({ experiment });
    return groupBy(rows, (r) => r.trial_id, toEpoch);
  }

  /**
   * The latest gradient check of each (architecture, layer, kind) of the experiment: its own rows first; an
   * architecture of its trials that was checked under another experiment (the same architecture in an earlier
   * file) contributes that experiment's latest rows.
   */
  experimentGradchecks(experiment: string): GradcheckRecord[] {
    return this.db.prepare<{ experiment: string }, GradcheckSql>(`
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
      ORDER BY arch, layer, kind`).all({ experiment }).map(toGradcheck);
  }

  /** Stored diagnosis findings of the experiment's trials, by trial id. */
  experimentDiagnoses(experiment: string): Map<string, StoredFinding[]> {
    const rows = this.db.prepare<{ experiment: string }, DiagnosisSql>(`
      SELECT d.* FROM diagnoses d JOIN experiment_trials et ON et.trial_id = d.trial_id
      WHERE et.experiment = @experiment ORDER BY d.trial_id, d.rule`).all({ experiment });
    return groupBy(rows, (r) => r.trial_id, toFinding);
  }

  trialDiagnoses(trialId: string): StoredFinding[] {
    return this.db.prepare<{ id: string }, DiagnosisSql>('SELECT * FROM diagnoses WHERE trial_id = @id ORDER BY rule')
      .all({ id: trialId }).map(toFinding);
  }

  /** The environment row of the latest run that included the experiment, or of the latest run at all. */
  latestEnvironment(experiment: string): EnvironmentRecord | undefined {
    const own = this.db.prepare<{ experiment: string }, EnvironmentSql>(`
      SELECT * FROM environment
      WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(data_fingerprints_json) THEN data_fingerprints_json ELSE '{}' END)
                    WHERE key = @experiment)
      ORDER BY started_at DESC, rowid DESC LIMIT 1`).get({ experiment });
    const row = own ?? this.db.prepare<[], EnvironmentSql>('SELECT * FROM environment ORDER BY started_at DESC, rowid DESC LIMIT 1').get();
    return row ? toEnvironment(row) : undefined;
  }

  /**
   * Finished trials (done / diverged) of the given experiments whose diagnosis is not stored (diagnosed_at NULL), in
   * experiment then position order. Pruned trials are left out: a stopping rule ended them on purpose.
   */
  undiagnosedTrials(experiments: readonly string[]): string[] {
    return this.db.prepare<{ names: string }, string>(`
      SELECT t.id FROM trials t JOIN experiment_trials et ON et.trial_id = t.id
      WHERE et.experiment IN (SELECT value FROM json_each(@names))
        AND t.status IN ('done', 'diverged') AND t.diagnosed_at IS NULL
      GROUP BY t.id ORDER BY min(et.experiment), min(et.position)`).pluck().all({ names: JSON.stringify(experiments) });
  }

  /**
   * The trials of an experiment as a search sees them, in position order: swept params, status, owner, the last
   * recorded epoch of the current attempt and `metric` there (the objective), when the trial finished.
   */
  searchTrials(experiment: string, metric: MetricColumn): SearchTrialRecord[] {
    const col = metricColumn(metric);
    return this.db.prepare<{ experiment: string }, {
      id: string; position: number; params_json: string; status: TrialStatus; owner: string | null; heartbeat_at: string | null;
      finished_at: string | null; pruned_epoch: number | null; weights_path: string | null; last_epoch: number | null; value: number | null;
    }>(`
      SELECT t.id, et.position, et.params_json, t.status, t.owner, t.heartbeat_at, t.finished_at, t.pruned_epoch, t.weights_path,
             (SELECT max(e.epoch) FROM epochs e WHERE e.trial_id = t.id AND e.attempt = t.attempt) AS last_epoch,
             (SELECT e.${col} FROM epochs e WHERE e.trial_id = t.id AND e.attempt = t.attempt ORDER BY e.epoch DESC LIMIT 1) AS value
      FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
      WHERE et.experiment = @experiment ORDER BY et.position, t.id`).all({ experiment }).map((r) => ({
      id: r.id, position: r.position, params: parseJson<Record<string, unknown>>(r.params_json, {}), status: r.status,
      owner: r.owner, heartbeatAt: r.heartbeat_at, finishedAt: r.finished_at, prunedEpoch: r.pruned_epoch,
      weightsPath: r.weights_path, lastEpoch: r.last_epoch, value: r.value,
    }));
  }

  /** `metric` at `epoch` of every trial of the experiment that recorded that epoch (current attempts), but `except`. */
  metricAtEpoch(experiment: string, metric: MetricColumn, epoch: number, except: string | null = null): Array<{ trialId: string; status: TrialStatus; value: number | null }> {
    const col = metricColumn(metric);
    return this.db.prepare<{ experiment: string; epoch: number; except: string | null }, { trial_id: string; status: TrialStatus; value: number | null }>(`
      SELECT e.trial_id, t.status, e.${col} AS value FROM epochs e
      JOIN trials t ON t.id = e.trial_id AND t.attempt = e.attempt
      JOIN experiment_trials et ON et.trial_id = e.trial_id AND et.experiment = @experiment
      WHERE e.epoch = @epoch AND (@except IS NULL OR e.trial_id <> @except)
      ORDER BY e.trial_id`).all({ experiment, epoch, except })
      .map((r) => ({ trialId: r.trial_id, status: r.status, value: r.value }));
  }

  /** The stopping rules' decisions of an experiment (`rungs`), by epoch then trial; `epoch` narrows to one rung. */
  experimentRungs(experiment: string, epoch: number | null = null): RungRecord[] {
    return this.db.prepare<{ experiment: string; epoch: number | null }, {
      trial_id: string; epoch: number; value: number | null; decision: 'continued' | 'pruned'; rule: string; created_at: string;
    }>(`
      SELECT trial_id, epoch, value, decision, rule, created_at FROM rungs
      WHERE experiment = @experiment AND (@epoch IS NULL OR epoch = @epoch) ORDER BY epoch, created_at, trial_id`)
      .all({ experiment, epoch })
      .map((r) => ({ experiment, trialId: r.trial_id, epoch: r.epoch, value: r.value, decision: r.decision, rule: r.rule, createdAt: r.created_at }));
  }

  /** Configs and compute seconds of the most recently finished trials (for time estimates). */
  recentTrialSeconds(limit = 200): Array<{ config: StoredTrialConfig; seconds: number }> {
    const rows = this.db.prepare<{ limit: number }, { config_json: string; secs: number | null }>(`
      SELECT t.config_json, SUM(COALESCE(e.seconds, 0) + COALESCE(e.eval_seconds, 0)) AS secs
      FROM trials t JOIN epochs e ON e.trial_id = t.id AND e.attempt = t.attempt
      WHERE t.status = 'done' GROUP BY t.id ORDER BY t.finished_at DESC LIMIT @limit`).all({ limit });
    const out: Array<{ config: StoredTrialConfig; seconds: number }> = [];
    for (const r of rows) {
      const config = parseJson<unknown>(r.config_json, null);
      if (r.secs !== null && r.secs > 0 && isObj(config) && isObj(config.model) && isObj(config.train)) {
        out.push({ config: config as StoredTrialConfig, seconds: r.secs });
      }
    }
    return out;
  }

  // ---- live reads (`sweeplab serve`): list rows, overviews and the change marks of migration 4 ----

  /** Every experiment with its trial counts by status, best finished trial and last activity, by name. */
  experimentOverviews(): ExperimentOverview[] {
    return this.db.prepare<[], OverviewSql>(`${OVERVIEW_SQL} ORDER BY e.name`).all().map(toOverview);
  }

  /** Name, description, file and times of every experiment (cheap: no trial is read), by name. */
  experimentHeads(): Array<Pick<ExperimentOverview, 'name' | 'description' | 'file' | 'createdAt' | 'updatedAt'>> {
    return this.db.prepare<[], { name: string; description: string; file: string; created_at: string; updated_at: string }>(
      'SELECT name, description, file, created_at, updated_at FROM experiments ORDER BY name').all()
      .map((e) => ({ name: e.name, description: e.description, file: e.file, createdAt: e.created_at, updatedAt: e.updated_at }));
  }

  /** One experiment's overview (undefined when there is no such experiment). */
  experimentOverview(name: string): ExperimentOverview | undefined {
    const r = this.db.prepare<{ name: string }, OverviewSql>(`${OVERVIEW_SQL} WHERE e.name = @name`).get({ name });
    return r ? toOverview(r) : undefined;
  }

  /**
   * The experiment's trials as list rows, in position order. `seconds: false` leaves `seconds` null (much faster
   * on a large experiment: no epoch row is read); `experimentSeconds` gives them in one pass.
   */
  experimentTrialList(experiment: string, opts: { seconds?: boolean } = {}): TrialListRow[] {
    return this.db.prepare<{ experiment: string }, ListSql>(`
      SELECT ${listColumns(opts.seconds ?? true)} FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
      WHERE et.experiment = @experiment ORDER BY et.position, t.id`).all({ experiment }).map(toListRow);
  }

  /**
   * The experiment's trials as a table for a large page, built by SQLite as JSON text: an array with one array per
   * trial (values in `TRIAL_TABLE_COLUMNS` order; params and findings as JSON), in position order. No JavaScript
   * object is made per trial, so 10,000 trials cost one indexed pass.
   */
  experimentTrialTable(experiment: string): { columns: readonly string[]; json: string } {
    const json = this.db.prepare<{ experiment: string }, string>(`
      SELECT COALESCE(json_group_array(json(row_)), '[]') FROM (
        SELECT json_array(t.id, t.status, t.seed, et.position,
                 json(CASE WHEN json_valid(et.params_json) THEN et.params_json ELSE '{}' END), t.epochs_done, t.final_cost,
                 t.final_train_acc, t.final_test_acc, t.best_test_acc, t.diverged_epoch, t.pruned_epoch,
                 substr(t.error, 1, 500), t.finished_at, t.heartbeat_at,
                 json((SELECT json_group_array(json_array(d.rule, d.severity)) FROM diagnoses d WHERE d.trial_id = t.id))) AS row_
        FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
        WHERE et.experiment = @experiment ORDER BY et.position, t.id)`).pluck().get({ experiment }) ?? '[]';
    return { columns: TRIAL_TABLE_COLUMNS, json };
  }

  /** Training + evaluation seconds of the current attempt of each of the experiment's trials that recorded epochs. */
  experimentSeconds(experiment: string): Map<string, number> {
    const rows = this.db.prepare<{ experiment: string }, { id: string; s: number }>(`
      SELECT e.trial_id AS id, SUM(COALESCE(e.seconds, 0) + COALESCE(e.eval_seconds, 0)) AS s
      FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
      JOIN epochs e ON e.trial_id = t.id AND e.attempt = t.attempt
      WHERE et.experiment = @experiment GROUP BY e.trial_id`).all({ experiment });
    return new Map(rows.map((r) => [r.id, r.s]));
  }

  /** The given trials as list rows (unknown ids are left out), in the order given. */
  trialList(ids: readonly string[]): TrialListRow[] {
    const rows = this.db.prepare<{ ids: string }, ListSql>(`
      SELECT ${LIST_COLUMNS} FROM trials t WHERE t.id IN (SELECT value FROM json_each(@ids))`)
      .all({ ids: JSON.stringify(ids) }).map(toListRow);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Trials whose `rev` is above `rev` (changed since a reader saw `rev`), oldest change first, at most `limit`. */
  trialsChangedSince(rev: number, limit: number): TrialListRow[] {
    return this.db.prepare<{ rev: number; limit: number }, ListSql>(`
      SELECT ${LIST_COLUMNS} FROM trials t WHERE t.rev > @rev ORDER BY t.rev LIMIT @limit`).all({ rev, limit }).map(toListRow);
  }

  /** The current change counters (0 when the tables are empty). */
  changeMarks(): ChangeMarks {
    const rev = this.db.prepare<[], number | null>('SELECT max(rev) FROM trials').pluck().get() ?? 0;
    const gradcheckId = this.db.prepare<[], number | null>('SELECT max(id) FROM gradchecks').pluck().get() ?? 0;
    return { rev, gradcheckId };
  }

  /** What a live reader remembers of every trial (attempt, status, last epoch, diagnosis time, experiments). */
  trialMarks(): TrialMark[] {
    return this.db.prepare<[], { id: string; attempt: number; status: TrialStatus; epochs_done: number | null; diagnosed_at: string | null; experiments: string | null }>(`
      SELECT t.id, t.attempt, t.status, t.epochs_done, t.diagnosed_at,
             (SELECT json_group_array(l.experiment) FROM experiment_trials l WHERE l.trial_id = t.id) AS experiments
      FROM trials t`).all().map((r) => ({
      id: r.id, attempt: r.attempt, status: r.status, lastEpoch: r.epochs_done ?? -1, diagnosedAt: r.diagnosed_at,
      experiments: parseJson<string[]>(r.experiments, []),
    }));
  }

  /** Epochs of attempt `attempt` of a trial after epoch `after`, by epoch. */
  epochsAfter(trialId: string, attempt: number, after: number): EpochRecord[] {
    return this.db.prepare<{ id: string; attempt: number; after: number }, EpochSql>(`
      SELECT * FROM epochs WHERE trial_id = @id AND attempt = @attempt AND epoch > @after ORDER BY epoch`)
      .all({ id: trialId, attempt, after }).map(toEpoch);
  }

  /** The current attempts' epochs of the given trials, by trial id. */
  epochsOfTrials(ids: readonly string[]): Map<string, EpochRecord[]> {
    const rows = this.db.prepare<{ ids: string }, EpochSql>(`
      SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id AND t.attempt = e.attempt
      WHERE e.trial_id IN (SELECT value FROM json_each(@ids)) ORDER BY e.trial_id, e.epoch`).all({ ids: JSON.stringify(ids) });
    return groupBy(rows, (r) => r.trial_id, toEpoch);
  }

  /** Gradient-check rows with an id above `id`, by id. */
  gradchecksAfter(id: number): GradcheckRecord[] {
    return this.db.prepare<{ id: number }, GradcheckSql>(`
      SELECT id, experiment, arch, run_id, layer, kind, checked, skipped, max_rel_error, max_abs_error, worst_index,
             analytic, numeric, eps, threshold, passed, created_at
      FROM gradchecks WHERE id > @id ORDER BY id`).all({ id }).map(toGradcheck);
  }

  /** The latest gradient check of each (layer, kind) of an architecture, whatever experiment ran it. */
  archGradchecks(arch: string): GradcheckRecord[] {
    return this.db.prepare<{ arch: string }, GradcheckSql>(`
      SELECT id, experiment, arch, run_id, layer, kind, checked, skipped, max_rel_error, max_abs_error, worst_index,
             analytic, numeric, eps, threshold, passed, created_at
      FROM (SELECT g.*, ROW_NUMBER() OVER (PARTITION BY g.layer, g.kind ORDER BY g.id DESC) AS rank_
            FROM gradchecks g WHERE g.arch = @arch)
      WHERE rank_ = 1 ORDER BY layer, kind`).all({ arch }).map(toGradcheck);
  }

  /** How many of the experiment's trials have each finding (rule, severity), most severe and most common first. */
  experimentFindingCounts(experiment: string): FindingCount[] {
    return this.db.prepare<{ experiment: string }, { rule: string; severity: Severity; n: number; trial_id: string; advice: string }>(`
      SELECT g.rule, g.severity, g.n, g.trial_id,
             (SELECT d2.advice FROM diagnoses d2 WHERE d2.trial_id = g.trial_id AND d2.rule = g.rule) AS advice
      FROM (SELECT d.rule, d.severity, count(*) AS n, min(d.trial_id) AS trial_id
            FROM diagnoses d JOIN experiment_trials et ON et.trial_id = d.trial_id AND et.experiment = @experiment
            GROUP BY d.rule, d.severity) g
      ORDER BY CASE g.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, g.n DESC, g.rule`)
      .all({ experiment })
      .map((r) => ({ rule: r.rule, severity: r.severity, trials: r.n, example: { trialId: r.trial_id, advice: r.advice } }));
  }

  /** The tables and views a user can query (sqlite's own left out), tables first, with their columns. */
  schemaObjects(): SchemaObject[] {
    const objs = this.db.prepare<[], { name: string; type: 'table' | 'view' }>(`
      SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'
      ORDER BY type, name`).all();
    const cols = this.db.prepare<{ name: string }, string>('SELECT name FROM pragma_table_info(@name) ORDER BY cid').pluck();
    return objs.map((o) => ({ name: o.name, type: o.type, columns: cols.all({ name: o.name }) }));
  }
}
