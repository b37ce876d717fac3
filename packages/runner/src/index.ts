// Public API of @sweeplab/runner: experiment files -> trials -> a worker pool -> results in SQLite.
// The `sweeplab` CLI (src/cli.ts) is a thin layer over these functions.

// experiment files (src/config)
export { loadExperiment, validateFiles, ConfigError, ExperimentSchema, writeSchemaJson } from './config/index.js';
export type { ConfigIssue, ConfigErrorCode, ExperimentConfig, LoadedExperiment, TrialPlan, TrialConfig } from './config/index.js';

// running
export { runExperiments, runLoaded, loadAll, toRegistration, trialWork } from './run.js';
export type { RunOptions, RunResult, RunTrialReport, TrialRunResult, GradcheckSummary, BuiltInExperiment } from './run.js';
export { PiscinaExecutor, TaskError, DEFAULT_MAX_MEMORY_MB } from './exec/piscina.js';
export type { PiscinaExecutorOptions, TaskFailureKind } from './exec/piscina.js';
export { runTask, runTrainTask, runGradcheckTask } from './exec/tasks.js';
export type {
  Executor, Task, TrainTask, GradcheckTask, WorkerEvent, Outcome, TrainOutcome, GradcheckOutcome, TrialSummary,
  TrialConfigInput, KernelsSetting,
} from './exec/types.js';
export { createProgress, PlainProgress, TtyProgress, formatDuration } from './progress.js';
export type { ProgressSink, ProgressMode, TrialProgressInfo } from './progress.js';
export { isOwnerAlive, ownerId } from './owner.js';

// commands over the results
export { planExperiment, renderPlan, trialFlops } from './plan.js';
export type { PlanResult, PlanTrial } from './plan.js';
export { queryDb, formatQueryResult } from './query.js';
export type { QueryResult, QueryFormat } from './query.js';
export { showTrial, renderTrial } from './show.js';
export type { TrialDetails } from './show.js';
export { reproduceTrial, renderReproduce, sameStoredValue } from './reproduce.js';
export type { ReproduceResult, Mismatch } from './reproduce.js';
export { gradcheckExperiment, renderGradcheck } from './gradcheck-cmd.js';
export type { GradcheckCommandResult, ArchGradcheck } from './gradcheck-cmd.js';
export { reportExperiment, loadReportInput, renderReportResult, DEFAULT_REPORTS_DIR } from './report-cmd.js';
export type { ReportOptions, ReportResult } from './report-cmd.js';
export { diagnoseTrial, diagnoseTrials, renderDiagnosis, compactEvidence } from './diagnose-cmd.js';
export type { DiagnoseOptions, TrialDiagnosis, BaselineUse } from './diagnose-cmd.js';
export {
  BASELINES_EXPERIMENT, BASELINES_DESCRIPTION, BASELINE_MODEL, BASELINE_TRAIN, BUILT_IN_FILE, baselineSpec, baselineData,
  baselineSections, baselineYaml, ensureBaselines, isLogisticRegression,
} from './baseline.js';
export type { BaselineSpec, BaselineResult, EnsureBaselinesOptions } from './baseline.js';

// the results database
export { openDatabase, openReadOnly, migrate, DEFAULT_DB_PATH } from './store/db.js';
export { openStore } from './store/open-store.js';
export { MIGRATIONS, SCHEMA_VERSION } from './store/migrations.js';
export { Store, experimentViewName, paramColumnName, epochRowValues, DETERMINISTIC_EPOCH_COLUMNS } from './store/store.js';
export type {
  TrialStatus, ExperimentRegistration, TrialRegistration, RegistrationResult, EpochInput, EpochRowValues, TrialFinish,
  GradcheckRow, EnvironmentRow, ClaimResult, DiagnosisInput,
} from './store/store.js';
export { resolveTrialId, getTrial, getEpochs, getExperiment, getTrialLinks, trialStatuses } from './store/read.js';
export type { TrialRow, EpochRow, ExperimentRow, TrialLink } from './store/read.js';

// environment and errors
export { sweeplabVersion, versionText, collectEnvironment, gitCommit } from './environment.js';
export { kernelSummary, prepareKernels } from './kernels.js';
export type { KernelSummary } from './kernels.js';
export { InputError, StoreError } from './errors.js';
export type { InputErrorCode, StoreErrorCode } from './errors.js';
