// Public API of @sweeplab/runner, the engine: experiment files -> a search strategy -> the scheduler -> an
// executor -> results in the store. What the CLI (and a future dashboard or queue worker) uses; nothing else.

// experiment files
export { loadExperiment, validateFiles, ConfigError, formatIssue, DEFAULT_MAX_TRIALS } from './config/index.js';
export type { ConfigIssue, LoadedExperiment, LoadOptions, TrialConfig, TrialPlan } from './config/index.js';

// running
export { runExperiments, runLoaded, loadAll } from './run.js';
export type { RunOptions, RunResult, RunCounts, GradcheckSummary } from './run.js';
export type { RunEvent, RunTrialReport, TrialRunResult, TrialInfo, GradcheckEvent, TrialFinishedEvent, BaselineOutcome } from './scheduler/events.js';
export type { SearchStrategy, Ask, Tell, TrialCandidate, TrialEnd } from './search/strategy.js';
export type { StoppingHook, TrialGate } from './scheduler/scheduler.js';

// executors
export { PiscinaExecutor, DEFAULT_MAX_MEMORY_MB } from './exec/piscina.js';
export type { PiscinaExecutorOptions } from './exec/piscina.js';
export { ExecutorError } from './exec/types.js';
export { QueueExecutor, DEFAULT_QUEUE_CONCURRENCY } from './exec/queue/executor.js';
export type { QueueExecutorOptions } from './exec/queue/executor.js';
export { QueueWorker } from './exec/queue/worker.js';
export type { QueueWorkerOptions, WorkerStats } from './exec/queue/worker.js';
export { queueStatus } from './exec/queue/status.js';
export type { QueueStatus, QueueWorkerInfo } from './exec/queue/status.js';
export { queueTarget, checkRedis, redact } from './exec/queue/connection.js';
export type { QueueTarget } from './exec/queue/connection.js';
export { DEFAULT_QUEUE_NAME } from './exec/queue/payload.js';
export type {
  Executor, ExecutorFactory, ExecutorErrorCode, EventReply, Task, TrainTask, GradcheckTask, WorkerEvent, Outcome, TrainOutcome,
} from './exec/types.js';

// commands over experiments and results
export { planExperiment } from './commands/plan.js';
export type { PlanResult, PlanTrial } from './commands/plan.js';
export { reproduceTrial } from './commands/reproduce.js';
export { exportTrial, ExportMismatchError } from './commands/export.js';
export type { ExportResult } from './commands/export.js';
export { KEEP_WEIGHTS } from './pipeline/weights.js';
export type { KeepWeights } from './pipeline/weights.js';
export type { ReproduceResult, Mismatch } from './commands/reproduce.js';
export { gradcheckExperiment } from './commands/gradcheck.js';
export type { GradcheckCommandResult, ArchGradcheck } from './commands/gradcheck.js';
export { reportExperiment, loadReportInput, DEFAULT_REPORTS_DIR } from './commands/report.js';
export type { ReportOptions, ReportResult } from './commands/report.js';
export { diagnoseTrial } from './commands/diagnose.js';
export type { DiagnoseOptions } from './commands/diagnose.js';
export type { TrialDiagnosis, BaselineUse } from './pipeline/diagnosis.js';
export { openResults, withResults } from './commands/open.js';
export { runQuery, DEFAULT_QUERY_LIMIT, DEFAULT_QUERY_TIMEOUT_MS } from './commands/query.js';
export type { QueryEnd, QueryOptions } from './commands/query.js';
export { BASELINES_EXPERIMENT } from './pipeline/baselines.js';

// environment
export { sweeplabVersion } from './environment.js';
export { kernelSummary } from './kernels.js';
export type { KernelSummary } from './kernels.js';
export { archLabel } from './work.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
