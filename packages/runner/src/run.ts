/**
 * `sweeplab run` as a pipeline over one session: validate every file, register the experiments and their trials
 * (one transaction), then let the scheduler train the trials that are not finished (each architecture's gradient
 * check gating its trials), then diagnose every finished trial of the experiments that has no stored diagnosis
 * (training the baselines it needs through the same scheduler). Safe to run twice, to interrupt, to kill, and to
 * run from two processes at once.
 */
import { resolve } from 'node:path';
import { InputError, isFinished, type ExperimentRegistration, type RegistrationResult } from '@sweeplab/store';
import type { Clock } from './clock.js';
import { validateFiles, type LoadedExperiment, type LoadOptions } from './config/index.js';
import { collectEnvironment } from './environment.js';
import { kernelSummary } from './kernels.js';
import type { Executor, ExecutorFactory } from './exec/types.js';
import { diagnoseTrials } from './pipeline/diagnosis.js';
import { GradcheckGate } from './pipeline/gradcheck-gate.js';
import { openSession, type Session } from './pipeline/session.js';
import { KeepingExecutor, WeightsKeeper, type KeepWeights } from './pipeline/weights.js';
import type { RunEvent, RunTrialReport } from './scheduler/events.js';
import { buildSearch } from './search/build.js';
import type { TrialCandidate } from './search/strategy.js';
import { trialWork } from './work.js';

export interface RunOptions {
  /** results database (default results/sweeplab.db) */
  db: string;
  /** where trials run: an executor (kept open) or a factory (its executor is closed at the end) */
  executor: Executor | ExecutorFactory;
  /** rerun finished (done / diverged / pruned) trials too */
  force?: boolean;
  /** refuse a static sweep larger than this many trials before expanding it (default 100,000) */
  maxTrials?: number;
  /** aborting it stops the run like Ctrl-C: running trials end `interrupted` (its reason names the signal) */
  signal?: AbortSignal;
  /** progress and results, as structured events */
  emit?: (e: RunEvent) => void;
  /** recorded in environment.command */
  command?: string;
  /** the Redis queue the trials run through (`run --queue`): recorded in environment.queue_host / queue_name */
  queue?: { host: string; name: string };
  /** diagnose the finished trials after training (training the baselines they need); off unless set */
  diagnose?: boolean;
  /** keep trained weights under <db dir>/weights/<trial-id>.npz: the best trial per experiment (default), all, none */
  keepWeights?: KeepWeights;
  clock?: Clock;
}

export interface GradcheckSummary {
  arch: string;
  experiment: string;
  passed: boolean;
  maxRelError: number | null;
  error: string | null;
}

export interface RunCounts {
  ran: number;
  done: number;
  diverged: number;
  pruned: number;
  failed: number;
  interrupted: number;
  skipped: number;
  elsewhere: number;
}

export interface RunResult {
  runId: string;
  db: string;
  exitCode: 0 | 1 | 130;
  interrupted: boolean;
  experiments: RegistrationResult[];
  trials: RunTrialReport[];
  gradchecks: GradcheckSummary[];
  counts: RunCounts;
  /** trials diagnosed at the end of the run (`diagnose` option) */
  diagnosed: number;
}

/** Turns a LoadedExperiment into the rows `registerExperiments` writes. */
export function toRegistration(exp: LoadedExperiment): ExperimentRegistration {
  return {
    name: exp.name,
    description: exp.description,
    file: resolve(exp.path),
    yaml: exp.yaml,
    resolvedJson: JSON.stringify(exp.config),
    sweptPaths: exp.sweptPaths,
    // a search's trials are added as it suggests them (Store.addTrials): registering the file keeps them
    ...(exp.search ? { appendOnly: true } : {}),
    trials: exp.trials.map((t) => ({
      id: t.id, configJson: JSON.stringify(t.config), seed: t.seed, arch: t.arch, paramsJson: JSON.stringify(t.params), position: t.position,
    })),
  };
}

/** The experiments' trials as scheduler candidates, in file order. */
export function candidatesOf(exps: readonly LoadedExperiment[]): TrialCandidate[] {
  return exps.flatMap((exp) => exp.trials.map((t) => ({
    id: t.id, experiment: exp.name, position: t.position, config: t.config, arch: t.arch, params: t.params,
    fingerprints: t.fingerprints, baseDir: exp.baseDir, kernels: exp.kernels,
  })));
}

/** Validates all files first; any invalid file -> InputError('CONFIG') listing every issue, nothing written. */
export function loadAll(files: readonly string[], opts: LoadOptions = {}): LoadedExperiment[] {
  if (files.length === 0) throw new InputError('BAD_OPTION', 'no experiment file given; usage: sweeplab run <files...>');
  const { ok, errors } = validateFiles(files, opts);
  if (errors.length > 0) throw new InputError('CONFIG', errors.map((e) => e.message).join('\n'));
  return ok;
}

/** Validates, registers and runs the experiment files (see the module comment). */
export async function runExperiments(files: readonly string[], opts: RunOptions): Promise<RunResult> {
  return runLoaded(loadAll(files, opts.maxTrials !== undefined ? { maxTrials: opts.maxTrials } : {}), opts);
}

function countOf(trials: readonly RunTrialReport[]): RunCounts {
  const ran = trials.filter((r) => r.result === 'ran' || r.result === 'gradcheck-failed');
  const n = (s: string) => ran.filter((r) => r.status === s).length;
  return {
    ran: ran.length, done: n('done'), diverged: n('diverged'), pruned: n('pruned'), failed: n('failed'),
    interrupted: n('interrupted'), skipped: trials.filter((r) => r.result === 'skipped').length,
    elsewhere: trials.filter((r) => r.result === 'elsewhere').length,
  };
}

/** The kernel tier trials will run on here, and what to install for the next tier up. */
function kernelsLine(choice: 'auto' | 'js' | 'native'): { tier: string; next: string | null } {
  try {
    const k = kernelSummary(choice);
    return { tier: k.tier, next: k.next };
  } catch (e) {
    return { tier: 'unavailable', next: (e as Error).message };
  }
}

/** What the run-started event says: how many of the candidates will run, and their work. */
function plan(session: Session, exps: readonly LoadedExperiment[], candidates: readonly TrialCandidate[], force: boolean, searched: { trials: number; work: number }): { toRun: number; emit: () => void } {
  const unique = [...new Map(candidates.map((c) => [c.id, c])).values()];
  const statuses = session.store.trialStatuses(unique.map((c) => c.id));
  const skipped = force ? 0 : unique.filter((c) => isFinished(statuses.get(c.id))).length;
  const todo = unique.filter((c) => force || !isFinished(statuses.get(c.id)));
  return { toRun: todo.length + searched.trials, emit: () => session.emit({
    type: 'run-started', runId: session.runId, db: session.store.path, experiments: exps.map((e) => e.name),
    toRun: todo.length + searched.trials, skipped, elsewhere: 0, work: todo.reduce((s, c) => s + trialWork(c.config), 0) + searched.work,
    // the pool starts now when there is work (sized by toRun), so the line can say how many workers it has
    workers: todo.length + searched.trials > 0 ? session.executor().concurrency : 0,
    kernels: kernelsLine(exps[0]?.kernels ?? 'auto'),
  }) };
}

/** Diagnoses the finished, undiagnosed trials of the experiments (earlier runs' included); returns how many. */
async function diagnoseStep(session: Session, exps: readonly LoadedExperiment[]): Promise<number> {
  const ids = session.store.undiagnosedTrials(exps.map((e) => e.name));
  if (ids.length === 0) return 0;
  const results = await diagnoseTrials(session, ids);
  if (results.length > 0) {
    session.emit({
      type: 'diagnosed', trials: results.length,
      critical: results.filter((r) => r.findings.some((f) => f.severity === 'critical')).length,
      warning: results.filter((r) => r.findings.some((f) => f.severity === 'warning')).length,
    });
  }
  return results.length;
}

/** Runs experiments that are already loaded and validated (the API under `runExperiments`; tests use it directly). */
export async function runLoaded(exps: readonly LoadedExperiment[], opts: RunOptions): Promise<RunResult> {
  const force = opts.force ?? false;
  const candidates = candidatesOf(exps);
  const gradchecks: GradcheckSummary[] = [];
  const emit = (e: RunEvent) => {
    if (e.type === 'gradcheck') gradchecks.push({ arch: e.arch, experiment: e.experiment, passed: e.passed, maxRelError: e.report?.maxRelError ?? null, error: e.error });
    opts.emit?.(e);
  };
  let toRun = 1;
  let keeper: WeightsKeeper | null = null;
  const keeping = (e: Executor) => new KeepingExecutor(e, () => keeper, (message) => emit({ type: 'notice', message }));
  const given = opts.executor;
  const session = openSession({
    db: opts.db, executor: typeof given === 'function' ? (need) => keeping(given(need)) : keeping(given), expectedTrials: () => toRun, emit,
    ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.clock ? { clock: opts.clock } : {}),
  });
  let envStarted = false;
  try {
    const experiments = session.store.registerExperiments(exps.map(toRegistration));
    keeper = new WeightsKeeper(session.store, opts.db, opts.keepWeights ?? 'best', new Map(exps.map((e) => [e.name, e.objective])));
    const fingerprints = Object.fromEntries(exps.map((e) => [e.name, e.dataFingerprint]));
    session.store.startEnvironment({
      ...collectEnvironment(session.runId, session.clock.iso(),
        opts.command ?? `run ${exps.map((e) => e.file).join(' ')}`, fingerprints, exps[0]?.kernels ?? 'auto', session.ownerId),
      queueHost: opts.queue?.host ?? null, queueName: opts.queue?.name ?? null,
    });
    envStarted = true;
    const search = buildSearch(session.store, exps, candidates, (message) => emit({ type: 'notice', message }));
    const searched = { trials: search.searches.reduce((n, s) => n + s.remaining(), 0), work: search.searches.reduce((n, s) => n + s.remainingWork(), 0) };
    const planned = plan(session, exps, candidates, force, searched);
    toRun = planned.toRun;
    planned.emit();
    const gate = new GradcheckGate(session.store, session.executor, session.runId, emit);
    const res = await session.scheduler.run(search.strategy, { force, gate, ...(search.stopping ? { stopping: search.stopping } : {}) });
    if (res.fatal !== null) throw new Error(`the run stopped: ${res.fatal}`); // e.g. no worker thread can start
    const diagnosed = opts.diagnose === true && !res.interrupted ? await diagnoseStep(session, exps) : 0;
    const interrupted = res.interrupted || session.signal.aborted;
    const counts = countOf(res.trials);
    session.store.finishEnvironment(session.runId, interrupted ? 'interrupted' : counts.failed > 0 ? 'failed' : 'done');
    envStarted = false;
    return {
      runId: session.runId, db: opts.db, exitCode: interrupted ? 130 : counts.failed > 0 ? 1 : 0, interrupted, experiments,
      trials: res.trials, gradchecks, counts, diagnosed,
    };
  } catch (e) {
    if (envStarted) {
      try {
        session.store.finishEnvironment(session.runId, 'failed');
      } catch {
        // the original error matters more
      }
    }
    throw e;
  } finally {
    await session.close();
  }
}
