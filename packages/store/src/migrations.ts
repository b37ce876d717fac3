/**
 * The numbered schema migrations of the results database. Migration i (1-based) brings `PRAGMA user_version`
 * from i-1 to i; `migrate()` in db.ts applies the missing ones in order inside one BEGIN IMMEDIATE transaction.
 * The names below are a public contract (users and the reporting package query them; README documents them
 * column by column): never rename or drop a column here, add a new migration instead.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** drops and recreates tables that others reference: runs with foreign keys off and legacy ALTER TABLE (db.ts) */
  rebuildsTables?: boolean;
}

const V1_VIEWS = /* sql */ `
-- One row per (experiment, trial): the trial's swept parameters, final metrics and compute seconds.
CREATE VIEW trial_summary AS
SELECT et.experiment      AS experiment,
       t.id               AS trial_id,
       et.position        AS position,
       t.status           AS status,
       et.params_json     AS params_json,
       t.seed             AS seed,
       t.arch             AS arch,
       t.epochs_done      AS epochs_done,
       t.final_cost       AS final_cost,
       t.final_train_acc  AS final_train_acc,
       t.final_test_acc   AS final_test_acc,
       t.best_test_acc    AS best_test_acc,
       t.diverged_epoch   AS diverged_epoch,
       t.backend          AS backend,
       t.error            AS error,
       t.started_at       AS started_at,
       t.finished_at      AS finished_at,
       (SELECT SUM(COALESCE(e.seconds, 0) + COALESCE(e.eval_seconds, 0)) FROM epochs e WHERE e.trial_id = t.id)
                          AS total_seconds
FROM experiment_trials et
JOIN trials t ON t.id = et.trial_id;

-- The best finished trial of each experiment: highest final test accuracy, then lowest final cost, then position.
CREATE VIEW best_trials AS
SELECT experiment, trial_id, position, status, params_json, seed, arch, epochs_done, final_cost, final_train_acc,
       final_test_acc, best_test_acc, diverged_epoch, backend, error, started_at, finished_at, total_seconds
FROM (
  SELECT s.*, ROW_NUMBER() OVER (
           PARTITION BY s.experiment ORDER BY s.final_test_acc DESC, s.final_cost ASC, s.position ASC) AS rank_
  FROM trial_summary s
  WHERE s.status = 'done' AND s.final_test_acc IS NOT NULL
)
WHERE rank_ = 1;
`;

/** The views as migration 2 recreates them: `pruned_epoch` appended (columns are only ever added at the end). */
const TRIAL_SUMMARY_VIEW = /* sql */ `
-- One row per (experiment, trial): the trial's swept parameters, final metrics and compute seconds.
CREATE VIEW trial_summary AS
SELECT et.experiment      AS experiment,
       t.id               AS trial_id,
       et.position        AS position,
       t.status           AS status,
       et.params_json     AS params_json,
       t.seed             AS seed,
       t.arch             AS arch,
       t.epochs_done      AS epochs_done,
       t.final_cost       AS final_cost,
       t.final_train_acc  AS final_train_acc,
       t.final_test_acc   AS final_test_acc,
       t.best_test_acc    AS best_test_acc,
       t.diverged_epoch   AS diverged_epoch,
       t.backend          AS backend,
       t.error            AS error,
       t.started_at       AS started_at,
       t.finished_at      AS finished_at,
       (SELECT SUM(COALESCE(e.seconds, 0) + COALESCE(e.eval_seconds, 0)) FROM epochs e WHERE e.trial_id = t.id)
                          AS total_seconds,
       t.pruned_epoch     AS pruned_epoch
FROM experiment_trials et
JOIN trials t ON t.id = et.trial_id;
`;

const BEST_TRIALS_VIEW = /* sql */ `
-- The best finished trial of each experiment: highest final test accuracy, then lowest final cost, then position.
CREATE VIEW best_trials AS
SELECT experiment, trial_id, position, status, params_json, seed, arch, epochs_done, final_cost, final_train_acc,
       final_test_acc, best_test_acc, diverged_epoch, backend, error, started_at, finished_at, total_seconds, pruned_epoch
FROM (
  SELECT s.*, ROW_NUMBER() OVER (
           PARTITION BY s.experiment ORDER BY s.final_test_acc DESC, s.final_cost ASC, s.position ASC) AS rank_
  FROM trial_summary s
  WHERE s.status = 'done' AND s.final_test_acc IS NOT NULL
)
WHERE rank_ = 1;
`;

const INIT = /* sql */ `
CREATE TABLE experiments (
  name          TEXT PRIMARY KEY,
  description   TEXT NOT NULL DEFAULT '',
  file          TEXT NOT NULL,
  yaml          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  resolved_json TEXT NOT NULL
);

CREATE TABLE trials (
  id              TEXT PRIMARY KEY,
  experiment      TEXT NOT NULL REFERENCES experiments(name),
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'done', 'failed', 'diverged', 'interrupted')),
  config_json     TEXT NOT NULL,
  seed            INTEGER NOT NULL,
  arch            TEXT NOT NULL,
  started_at      TEXT,
  finished_at     TEXT,
  error           TEXT,
  diverged_epoch  INTEGER,
  final_cost      REAL,
  final_train_acc REAL,
  final_test_acc  REAL,
  best_test_acc   REAL,
  epochs_done     INTEGER,
  backend         TEXT,
  final_eval_json TEXT,
  summary_json    TEXT,
  owner           TEXT,
  heartbeat_at    TEXT,
  created_at      TEXT NOT NULL
);
CREATE INDEX trials_status ON trials(status);
CREATE INDEX trials_arch ON trials(arch);

CREATE TABLE experiment_trials (
  experiment  TEXT NOT NULL REFERENCES experiments(name) ON DELETE CASCADE,
  trial_id    TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  params_json TEXT NOT NULL,
  position    INTEGER NOT NULL,
  PRIMARY KEY (experiment, trial_id)
);
CREATE INDEX experiment_trials_trial ON experiment_trials(trial_id);

CREATE TABLE epochs (
  trial_id           TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  epoch              INTEGER NOT NULL,
  cost               REAL,
  loss               REAL,
  l2_term            REAL,
  train_acc          REAL,
  test_acc           REAL,
  val_acc            REAL,
  lr                 REAL,
  out_mean           REAL,
  out_std            REAL,
  seconds            REAL,
  eval_seconds       REAL,
  out_unit_mean_json TEXT,
  out_unit_std_json  TEXT,
  grad_norm_json     TEXT,
  update_ratio_json  TEXT,
  weight_norm_json   TEXT,
  weight_mean_json   TEXT,
  saturation_json    TEXT,
  PRIMARY KEY (trial_id, epoch)
) WITHOUT ROWID;

CREATE TABLE gradchecks (
  id            INTEGER PRIMARY KEY,
  experiment    TEXT NOT NULL,
  arch          TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  layer         INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('weights', 'biases')),
  checked       INTEGER NOT NULL,
  skipped       INTEGER NOT NULL,
  max_rel_error REAL,
  max_abs_error REAL,
  worst_index   INTEGER,
  analytic      REAL,
  numeric       REAL,
  eps           REAL NOT NULL,
  threshold     REAL NOT NULL,
  passed        INTEGER NOT NULL CHECK (passed IN (0, 1)),
  created_at    TEXT NOT NULL
);
CREATE INDEX gradchecks_arch ON gradchecks(experiment, arch);

CREATE TABLE environment (
  run_id                 TEXT PRIMARY KEY,
  started_at             TEXT NOT NULL,
  finished_at            TEXT,
  command                TEXT NOT NULL,
  sweeplab_version       TEXT NOT NULL,
  git_commit             TEXT,
  node_version           TEXT NOT NULL,
  platform               TEXT NOT NULL,
  cpu                    TEXT,
  cores                  INTEGER,
  kernel_backend         TEXT,
  openblas_core          TEXT,
  data_fingerprints_json TEXT NOT NULL DEFAULT '{}',
  status                 TEXT NOT NULL DEFAULT 'running'
                         CHECK (status IN ('running', 'done', 'failed', 'interrupted'))
);

CREATE TABLE diagnoses (
  trial_id      TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  rule          TEXT NOT NULL,
  severity      TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  evidence_json TEXT NOT NULL,
  advice        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (trial_id, rule)
);

${V1_VIEWS}`;

/**
 * 2: attempts and pruning (the runner-core issue). Each claim of a trial is a new `attempt`; epoch rows are keyed by
 * (trial_id, attempt, epoch) so an epoch delivered twice is a no-op and a late write of an older attempt is refused.
 * A new terminal status `pruned` (stopped on purpose by a stopping rule) with `pruned_epoch`, and `diagnosed_at`
 * (set when the diagnosis is stored, also when it found nothing). SQLite cannot change a CHECK constraint or a
 * primary key in place, so `trials` and `epochs` are rebuilt (the 12-step procedure of the SQLite docs: foreign
 * keys are off around this migration, see db.ts).
 */
const ATTEMPTS = /* sql */ `
CREATE TABLE trials_new (
  id              TEXT PRIMARY KEY,
  experiment      TEXT NOT NULL REFERENCES experiments(name),
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'done', 'failed', 'diverged', 'interrupted', 'pruned')),
  config_json     TEXT NOT NULL,
  seed            INTEGER NOT NULL,
  arch            TEXT NOT NULL,
  started_at      TEXT,
  finished_at     TEXT,
  error           TEXT,
  diverged_epoch  INTEGER,
  final_cost      REAL,
  final_train_acc REAL,
  final_test_acc  REAL,
  best_test_acc   REAL,
  epochs_done     INTEGER,
  backend         TEXT,
  final_eval_json TEXT,
  summary_json    TEXT,
  owner           TEXT,
  heartbeat_at    TEXT,
  created_at      TEXT NOT NULL,
  attempt         INTEGER NOT NULL DEFAULT 0,
  pruned_epoch    INTEGER,
  diagnosed_at    TEXT
);
INSERT INTO trials_new (id, experiment, status, config_json, seed, arch, started_at, finished_at, error, diverged_epoch,
  final_cost, final_train_acc, final_test_acc, best_test_acc, epochs_done, backend, final_eval_json, summary_json, owner,
  heartbeat_at, created_at, attempt, diagnosed_at)
SELECT id, experiment, status, config_json, seed, arch, started_at, finished_at, error, diverged_epoch,
  final_cost, final_train_acc, final_test_acc, best_test_acc, epochs_done, backend, final_eval_json, summary_json, owner,
  heartbeat_at, created_at, CASE WHEN status = 'pending' THEN 0 ELSE 1 END,
  (SELECT max(d.created_at) FROM diagnoses d WHERE d.trial_id = trials.id)
FROM trials;
DROP TABLE trials;
ALTER TABLE trials_new RENAME TO trials;
CREATE INDEX trials_status ON trials(status);
CREATE INDEX trials_arch ON trials(arch);

CREATE TABLE epochs_new (
  trial_id           TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  epoch              INTEGER NOT NULL,
  cost               REAL,
  loss               REAL,
  l2_term            REAL,
  train_acc          REAL,
  test_acc           REAL,
  val_acc            REAL,
  lr                 REAL,
  out_mean           REAL,
  out_std            REAL,
  seconds            REAL,
  eval_seconds       REAL,
  out_unit_mean_json TEXT,
  out_unit_std_json  TEXT,
  grad_norm_json     TEXT,
  update_ratio_json  TEXT,
  weight_norm_json   TEXT,
  weight_mean_json   TEXT,
  saturation_json    TEXT,
  attempt            INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (trial_id, attempt, epoch)
) WITHOUT ROWID;
INSERT INTO epochs_new SELECT e.*, (SELECT t.attempt FROM trials t WHERE t.id = e.trial_id) FROM epochs e;
DROP TABLE epochs;
ALTER TABLE epochs_new RENAME TO epochs;

DROP VIEW IF EXISTS best_trials;
DROP VIEW IF EXISTS trial_summary;
${TRIAL_SUMMARY_VIEW}
${BEST_TRIALS_VIEW}
`;

/**
 * 3: adaptive search (the smarter-search issue). `rungs`: every decision a stopping rule (ASHA, median) took at a
 * rung epoch of a trial, with the objective value it compared, so a rerun after a crash rebuilds the rung
 * membership and never takes a decision twice. `trials.weights_path`: where `run --keep-weights` kept the trained
 * weights (an .npz, relative to the database's directory when it is under it), NULL when they were not kept.
 */
const SEARCH = /* sql */ `
ALTER TABLE trials ADD COLUMN weights_path TEXT;

CREATE TABLE rungs (
  experiment TEXT NOT NULL REFERENCES experiments(name) ON DELETE CASCADE,
  trial_id   TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  epoch      INTEGER NOT NULL,
  value      REAL,
  decision   TEXT NOT NULL CHECK (decision IN ('continued', 'pruned')),
  rule       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (experiment, epoch, trial_id)
) WITHOUT ROWID;
CREATE INDEX rungs_trial ON rungs(trial_id);
`;

/**
 * 4: change tracking for live readers (`sweeplab serve`). `trials.rev` is a database-wide change counter: triggers
 * set it to the largest rev + 1 whenever a trial row is inserted, changes state (a claim, an epoch recorded through
 * epochs_done, a finish, prune or failure, a diagnosis, kept weights) or gains, changes or loses an experiment link.
 * Heartbeats alone do not bump it. A reader asks for `rev > @seen` (index trials_rev) to learn what changed since it
 * last looked, then reads only those trials' new epochs; the writer pays one indexed max() and one row update per
 * such write. A later migration that rebuilds `trials` or `experiment_trials` must create these triggers again.
 */
const REV_COLUMNS = 'status, attempt, epochs_done, started_at, finished_at, error, diverged_epoch, pruned_epoch, final_cost, ' +
  'final_train_acc, final_test_acc, best_test_acc, backend, final_eval_json, summary_json, diagnosed_at, weights_path';
const bumpRev = (idExpr: string) => `UPDATE trials SET rev = (SELECT COALESCE(max(rev), 0) + 1 FROM trials) WHERE id = ${idExpr};`;
const CHANGES = /* sql */ `
ALTER TABLE trials ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX trials_rev ON trials(rev);
CREATE TRIGGER trials_rev_insert AFTER INSERT ON trials BEGIN ${bumpRev('NEW.id')} END;
CREATE TRIGGER trials_rev_update AFTER UPDATE OF ${REV_COLUMNS} ON trials BEGIN ${bumpRev('NEW.id')} END;
CREATE TRIGGER experiment_trials_rev_insert AFTER INSERT ON experiment_trials BEGIN ${bumpRev('NEW.trial_id')} END;
CREATE TRIGGER experiment_trials_rev_update AFTER UPDATE ON experiment_trials BEGIN ${bumpRev('NEW.trial_id')} END;
CREATE TRIGGER experiment_trials_rev_delete AFTER DELETE ON experiment_trials BEGIN ${bumpRev('OLD.trial_id')} END;
`;

/**
 * 5: `environment.owner`: the `host:pid@start:run` of the process that runs it, so the next run can close the
 * rows of runs that died (kill -9, power loss) as `interrupted` instead of leaving them `running` for ever.
 */
const ENVIRONMENT_OWNER = /* sql */ `
ALTER TABLE environment ADD COLUMN owner TEXT;
`;

/**
 * 6: where a run's trials went when it ran through a Redis queue (`run --queue`): `environment.queue_host`
 * (host:port/db, never a user or password) and `environment.queue_name`; both NULL for a local run.
 */
const ENVIRONMENT_QUEUE = /* sql */ `
ALTER TABLE environment ADD COLUMN queue_host TEXT;
ALTER TABLE environment ADD COLUMN queue_name TEXT;
`;

/**
 * 7: `epochs.measured`: 1 when the epoch's full metrics pass ran, 0 for epochs `metrics: { every: N }` skipped (their
 * cost, accuracies and output statistics are NULL; lr and seconds are real). Readers that need metrics use the
 * measured rows.
 */
const EPOCHS_MEASURED = /* sql */ `
ALTER TABLE epochs ADD COLUMN measured INTEGER NOT NULL DEFAULT 1 CHECK (measured IN (0, 1));
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'init', sql: INIT },
  { version: 2, name: 'attempts', sql: ATTEMPTS, rebuildsTables: true },
  { version: 3, name: 'search', sql: SEARCH },
  { version: 4, name: 'changes', sql: CHANGES },
  { version: 5, name: 'environment-owner', sql: ENVIRONMENT_OWNER },
  { version: 6, name: 'environment-queue', sql: ENVIRONMENT_QUEUE },
  { version: 7, name: 'epochs-measured', sql: EPOCHS_MEASURED },
];

/** The schema version this code writes (= the number of migrations). */
export const SCHEMA_VERSION = MIGRATIONS.length;
