// Public API of @sweeplab/store: the results database (schema, migrations, the single writer, every read query and
// row type, and a read-only connection). The engine writes through `Store`; reporting, the CLI and the dashboard
// read through `ResultsReader` (or the rows the engine hands them).
export { DEFAULT_DB_PATH } from './db.js';
export { SCHEMA_VERSION } from './migrations.js';
export { BAD_DATABASE_CODES, InputError, StoreError } from './errors.js';
export type { InputErrorCode, StoreErrorCode } from './errors.js';
export { Store } from './store.js';
export type {
  ClaimResult, DiagnosisInput, EnvironmentInput, EpochWrite, ExperimentRegistration, GradcheckInput, OwnerAliveFn,
  RegistrationResult, RungDecision, TrialFinish, TrialPrune, TrialRegistration,
} from './store.js';
export { ResultsReader } from './reader.js';
export type { QueryResult } from './reader.js';
export type {
  ChangeMarks, ExperimentOverview, FindingCount, ListLink, SchemaObject, TrialListRow, TrialMark,
} from './live.js';
export { DETERMINISTIC_EPOCH_COLUMNS, epochRowValues, sameStoredValue } from './epochs.js';
export type { EpochRowValues } from './epochs.js';
export { experimentViewName } from './views.js';
export { FINISHED_STATUSES, TRIAL_STATUSES, METRIC_COLUMNS, isFinished } from './rows.js';
export type {
  EnvironmentRecord, EpochRecord, ExperimentRecord, FinalEval, GradcheckRecord, MetricColumn, RungRecord, SearchTrialRecord,
  Severity, StoredFinding, StoredTrialConfig, TrialLink, TrialRecord, TrialStatus, TrialSummary,
} from './rows.js';
