/**
 * `sweeplab run`: validate every file, register the experiments and their trials (one transaction), gradient-check
 * each architecture that has trials to train, then train the trials that are not finished on the executor,
 * writing every epoch as it arrives. Safe to run twice, to interrupt, and to run from two processes at once.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { validateFiles, type LoadedExperiment, type TrialPlan } from './config/index.js';
import { diagnoseTrials } from './diagnose-cmd.js';
import { collectEnvironment } from './environment.js';
import { InputError } from './errors.js';
import { PiscinaExecutor, TaskError } from './exec/piscina.js';
import type {
  Executor, GradcheckOutcome, GradcheckTask, TrainOutcome, TrainTask, TrialConfigInput, WorkerEvent,
} from './exec/types.js';
import { beginRun, endRun, HEARTBEAT_MS, isOwnerAlive, ownerId } from './owner.js';
import { archLabel } from './format.js';
import { createProgress, formatDuration, type ProgressMode, type ProgressSink } from './progress.js';
import { DEFAULT_DB_PATH } from './store/db.js';
import {
  Store, type ExperimentRegistration, type GradcheckRow, type RegistrationResult, type TrialStatus,
} from './store/store.js';

export interface RunOptions {
  /** results database (default results/sweeplab.db) */
  db?: string;
  /** worker threads (default: number of cores); ignored when `executor` is given */
  workers?: number;
  /** rerun finished (done / diverged) trials too */
  force?: boolean;
  /** heap limit per worker thread, MB (default 2048) */
  maxMemoryMb?: number;
  /** 'auto' (default): live bars on a terminal, plain lines otherwise */
  progress?: ProgressMode;
  /** where progress and result lines go (default process.stdout) */
  out?: NodeJS.WritableStream;
  /** aborting it stops the run like Ctrl-C: running trials end `interrupted` (its reason names the signal) */
  signal?: AbortSignal;
  /** run tasks here instead of a new piscina pool (which is closed at the end; a given executor is not) */
  executor?: Executor;
  /** recorded in environment.command */
  command?: string;
  /**
   * After training, diagnose the trials that finished (done or diverged) in this run and store the findings,
   * training first the logistic-regression baselines they need (once per data section). The CLI's default; off
   * unless set.
   */
  diagnose?: boolean;
}

/** An experiment sweeplab builds itself (`_baselines`): registered with `file` as given, its trial links append-only. */
export interface BuiltInExperiment extends LoadedExperiment {
  builtIn: true;
}

function isBuiltIn(exp: LoadedExperiment): exp is BuiltInExperiment {
  return (exp as Partial<BuiltInExperiment>).builtIn === true;
}

export type TrialRunResult =
  /** ran in this run and ended with `status` */
  | 'ran'
  /** already done/diverged (no --force) */
  | 'skipped'
  /** another live process is running it */
  | 'elsewhere'
  /** its architecture's gradient check failed: marked failed without training */
  | 'gradcheck-failed'
  /** the run was interrupted before it started */
  | 'not-started';

export interface RunTrialReport {
  id: string;
  experiment: string;
  position: number;
  result: TrialRunResult;
  /** status in the database at the end of the run */
  status: TrialStatus | null;
  error: string | null;
}

export interface GradcheckSummary {
  arch: string;
  experiment: string;
  passed: boolean;
  maxRelError: number | null;
  error: string | null;
}

export interface RunResult {
  runId: string;
  db: string;
  exitCode: 0 | 1 | 130;
  interrupted: boolean;
  experiments: RegistrationResult[];
  trials: RunTrialReport[];
  gradchecks: GradcheckSummary[];
  counts: { ran: number; done: number; diverged: number; failed: number; interrupted: number; skipped: number; elsewhere: number };
  /** trials diagnosed at the end of the run (`diagnose` option) */
  diagnosed: number;
}

/** Turns a LoadedExperiment into the rows `registerExperiments` writes. */
export function toRegistration(exp: LoadedExperiment): ExperimentRegistration {
  return {
    name: exp.name,
    description: exp.description ?? '',
    file: isBuiltIn(exp) ? exp.file : resolve(exp.path),
    ...(isBuiltIn(exp) ? { appendOnly: true } : {}),
    yaml: exp.yaml,
    resolvedJson: JSON.stringify(exp.config ?? null),
    sweptPaths: exp.sweptPaths,
    trials: exp.trials.map((t) => ({
      id: t.id,
      configJson: JSON.stringify(t.config),
      seed: t.seed,
      arch: t.arch,
      paramsJson: JSON.stringify(t.params),
      position: t.position,
    })),
  };
}

/** Validates all files first; any invalid file -> InputError('CONFIG') listing every issue, nothing written. */
export function loadAll(files: string[]): LoadedExperiment[] {
  if (files.length === 0) throw new InputError('BAD_OPTION', 'no experiment file given; usage: sweeplab run <files...>');
  const { ok, errors } = validateFiles(files);
  if (errors.length > 0) throw new InputError('CONFIG', errors.map((e) => e.message).join('\n'));
  return ok;
}

/** Validates, registers and runs the experiment files (see the module comment). */
export async function runExperiments(files: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runLoaded(loadAll(files), opts);
}

interface Item {
  plan: TrialPlan;
  exp: LoadedExperiment;
  config: TrialConfigInput;
}

/** Number of training examples the config selects (for work estimates). */
export function trainCount(config: TrialConfigInput): number {
  const t = config.data.train;
  if (typeof t === 'number') return t;
  return t?.count ?? 60000;
}

export function paramCount(layers: number[]): number {
  let n = 0;
  for (let l = 1; l < layers.length; l++) n += (layers[l - 1]! + 1) * layers[l]!;
  return n;
}

/** Work units of a trial: epochs x training examples x parameters (proportional to its flops). */
export function trialWork(config: TrialConfigInput): number {
  return Math.max(1, config.train.epochs) * trainCount(config) * paramCount(config.model.layers);
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null | undefined) => (x === null || x === undefined ? '-' : Number.isFinite(x) ? x.toPrecision(5) : String(x));

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Runs experiments that are already loaded and validated (the API under `runExperiments`; tests use it directly). */
export async function runLoaded(exps: LoadedExperiment[], opts: RunOptions = {}): Promise<RunResult> {
  const dbPath = opts.db ?? DEFAULT_DB_PATH;
  const force = opts.force ?? false;
  const out = opts.out ?? process.stdout;
  const runId = randomUUID();
  const owner = ownerId(runId);
  const isAlive = (o: string | null, hb: string | null) => isOwnerAlive(o, hb);

  const store = Store.open(dbPath);
  let executor: Executor | null = null;
  let ownExecutor = false;
  let progress: ProgressSink | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let envStarted = false;
  const controllers = new Set<AbortController>();
  let interrupted = false;
  const interruptReason = () => {
    const r = opts.signal?.reason;
    return typeof r === 'string' ? r : 'interrupt';
  };
  const onAbort = () => {
    interrupted = true;
    for (const c of controllers) c.abort();
  };

  beginRun(runId);
  try {
    // 1. Register everything in one transaction (a name conflict writes nothing).
    const experiments = store.registerExperiments(exps.map(toRegistration));
    const fingerprints: Record<string, string> = {};
    for (const e of exps) fingerprints[e.name] = e.dataFingerprint;
    store.startEnvironment(collectEnvironment(
      runId, opts.command ?? `run ${exps.map((e) => e.file).join(' ')}`, fingerprints, exps[0]?.kernels ?? 'auto'));
    envStarted = true;

    // 2. What is there to do: unique trials in file order; finished and elsewhere-running ones are left alone.
    const reports = new Map<string, RunTrialReport>();
    const items: Item[] = [];
    for (const exp of exps) {
      for (const plan of exp.trials) {
        if (reports.has(plan.id)) continue;
        const report: RunTrialReport = { id: plan.id, experiment: exp.name, position: plan.position, result: 'not-started', status: null, error: null };
        reports.set(plan.id, report);
        const state = store.trialState(plan.id);
        if (state && (state.status === 'done' || state.status === 'diverged') && !force) {
          report.result = 'skipped';
          continue;
        }
        if (state && state.status === 'running' && isAlive(state.owner, state.heartbeatAt)) {
          report.result = 'elsewhere';
          continue;
        }
        items.push({ plan, exp, config: plan.config });
      }
    }
    const skipped = [...reports.values()].filter((r) => r.result === 'skipped').length;

    progress = createProgress(opts.progress ?? 'auto', out);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const gradchecks: GradcheckSummary[] = [];
    if (items.length > 0 && !interrupted) {
      executor = opts.executor ?? null;
      if (!executor) {
        // no more threads than trials: each thread loads the data once
        const pool = new PiscinaExecutor({
          workers: Math.min(opts.workers ?? availableParallelism(), items.length),
          ...(opts.maxMemoryMb !== undefined ? { maxMemoryMb: opts.maxMemoryMb } : {}),
        });
        executor = pool;
        ownExecutor = true;
        progress.start({ total: items.length, work: items.reduce((s, it) => s + trialWork(it.config), 0), skipped, workers: pool.workers });
      } else {
        progress.start({ total: items.length, work: items.reduce((s, it) => s + trialWork(it.config), 0), skipped, workers: opts.workers ?? 1 });
      }
      heartbeat = setInterval(() => {
        try {
          store.heartbeat(owner);
        } catch {
          // a busy database delays a heartbeat; the next one comes in 10 s
        }
      }, HEARTBEAT_MS);
      heartbeat.unref();
      const exec = executor;
      const concurrency = Math.max(1, opts.executor ? (opts.workers ?? 1) : (exec as PiscinaExecutor).workers);

      // 3. Gradient check, once per architecture that has trials to train (first such trial with gradcheck on).
      const byArch = new Map<string, Item>();
      for (const it of items) if (it.config.gradcheck?.enabled && !byArch.has(it.plan.arch)) byArch.set(it.plan.arch, it);
      const failedArchs = new Map<string, string>();
      await Promise.all([...byArch.entries()].map(async ([arch, it]) => {
        const task: GradcheckTask = {
          kind: 'gradcheck', arch, trialId: it.plan.id, config: it.config, baseDir: it.exp.baseDir, kernels: it.exp.kernels,
        };
        const c = new AbortController();
        controllers.add(c);
        try {
          const res = (await exec.run(task, () => {}, c.signal)) as GradcheckOutcome;
          const rep = res.report;
          const rows: GradcheckRow[] = rep.layers.map((l) => ({
            experiment: it.exp.name, arch, runId, layer: l.layer, kind: l.kind, checked: l.checked, skipped: l.skipped,
            maxRelError: l.maxRelError, maxAbsError: l.maxAbsError, worstIndex: l.worst?.index ?? null,
            analytic: l.worst?.analytic ?? null, numeric: l.worst?.numeric ?? null, eps: rep.eps, threshold: rep.threshold,
            passed: l.passed,
          }));
          store.insertGradchecks(rows);
          gradchecks.push({ arch, experiment: it.exp.name, passed: rep.passed, maxRelError: rep.maxRelError, error: null });
          if (rep.passed) {
            progress!.note(`gradcheck ${archLabel(it.config)}: passed (max relative error ${rep.maxRelError.toExponential(2)} <= ${rep.threshold}, ` +
              `${rep.checked} parameters on ${res.batch} examples)`);
          } else {
            const bad = rep.layers.filter((l) => !l.passed)
              .map((l) => `layer ${l.layer} ${l.kind}: max relative error ${l.maxRelError.toExponential(2)}` +
                (l.worst ? ` (row ${l.worst.row}, col ${l.worst.col}: analytic ${l.worst.analytic}, numeric ${l.worst.numeric})` : ''))
              .join('; ');
            const msg = `gradient check failed for ${archLabel(it.config)}: ${bad} > threshold ${rep.threshold}; the backprop disagrees with finite differences`;
            failedArchs.set(arch, msg);
            progress!.note(`gradcheck ${archLabel(it.config)}: FAILED: ${bad}; its trials will not train`);
          }
        } catch (e) {
          if (interrupted) return;
          const msg = `gradient check of ${archLabel(it.config)} could not run: ${errorMessage(e)}`;
          failedArchs.set(arch, msg);
          gradchecks.push({ arch, experiment: it.exp.name, passed: false, maxRelError: null, error: msg });
          progress!.note(`gradcheck ${archLabel(it.config)}: ERROR: ${errorMessage(e)}`);
        } finally {
          controllers.delete(c);
        }
      }));

      // 4. Train: claim each trial atomically just before it runs, at most `concurrency` at a time.
      const runOne = async (it: Item, report: RunTrialReport) => {
        const id = it.plan.id;
        const c = new AbortController();
        controllers.add(c);
        const label = `${it.exp.name} #${it.plan.position}`;
        const epochs = it.config.train.epochs;
        progress!.trialStarted({ id, label, epochs, work: trialWork(it.config) });
        let lastEpoch = -1;
        let lost = false;
        const t0 = Date.now();
        const onEvent = (e: WorkerEvent) => {
          if (e.type !== 'epoch' || lost) return;
          if (!store.insertEpoch(id, owner, e.metrics)) {
            lost = true; // another process took the trial over (our heartbeat looked stale): stop our copy
            c.abort();
            return;
          }
          lastEpoch = e.metrics.epoch;
          progress!.epoch(id, e.metrics.epoch, e.metrics.cost);
        };
        const task: TrainTask = { kind: 'train', trialId: id, config: it.config, baseDir: it.exp.baseDir, kernels: it.exp.kernels };
        const secs = () => {
          const s = (Date.now() - t0) / 1000;
          return s < 60 ? `${s.toFixed(1)}s` : formatDuration(s);
        };
        try {
          const res = (await exec.run(task, onEvent, c.signal)) as TrainOutcome;
          store.finishTrial(id, owner, {
            status: res.status, epochsDone: res.epochsDone, divergedEpoch: res.divergedAt, finalCost: res.last.cost,
            finalTrainAcc: res.last.trainAcc, finalTestAcc: res.last.testAcc, bestTestAcc: res.bestTestAcc,
            backend: res.backend, finalEval: res.finalEval, summary: res.summary,
          });
          report.result = 'ran';
          const tail = res.status === 'diverged'
            ? `diverged at epoch ${res.divergedAt} (NaN/Inf), lr ${it.config.train.lr}`
            : `epochs ${res.epochsDone}  cost ${num(res.last.cost)}  train ${pct(res.last.trainAcc)}  test ${pct(res.last.testAcc)}`;
          progress!.trialFinished(id, res.status, `trial ${id} ${res.status.padEnd(8)} ${label}  ${tail}  (${secs()})`);
        } catch (e) {
          if (lost) {
            report.result = 'elsewhere';
            progress!.trialFinished(id, 'elsewhere', `trial ${id} taken over by another process`);
            return;
          }
          report.result = 'ran';
          if (interrupted && e instanceof TaskError && e.kind === 'aborted') {
            const msg = `interrupted (${interruptReason()}) after epoch ${lastEpoch} of ${epochs}; the next run restarts it`;
            store.failTrial(id, owner, 'interrupted', msg);
            report.error = msg;
            progress!.trialFinished(id, 'interrupted', `trial ${id} interrupted ${label}  after epoch ${lastEpoch}`);
          } else {
            const msg = errorMessage(e);
            store.failTrial(id, owner, 'failed', msg);
            report.error = msg;
            progress!.trialFinished(id, 'failed', `trial ${id} failed   ${label}: ${msg}`);
          }
        } finally {
          controllers.delete(c);
        }
      };

      const inflight = new Set<Promise<void>>();
      for (const it of items) {
        while (inflight.size >= concurrency) await Promise.race(inflight);
        if (interrupted) break;
        const report = reports.get(it.plan.id)!;
        const claim = store.claimTrial(it.plan.id, owner, { force, isAlive });
        if (!claim.claimed) {
          report.result = claim.reason === 'finished' ? 'skipped' : 'elsewhere';
          continue;
        }
        const gcFailure = failedArchs.get(it.plan.arch);
        if (gcFailure !== undefined && it.config.gradcheck?.enabled) {
          store.failTrial(it.plan.id, owner, 'failed', gcFailure);
          report.result = 'gradcheck-failed';
          report.error = gcFailure;
          progress.trialFinished(it.plan.id, 'failed', `trial ${it.plan.id} failed   ${it.exp.name} #${it.plan.position}: gradient check failed`);
          continue;
        }
        const p: Promise<void> = runOne(it, report).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
    }

    // 5. Final statuses and the summary.
    const all = [...reports.values()];
    for (const r of all) {
      const s = store.trialState(r.id);
      r.status = s?.status ?? null;
    }
    const ran = all.filter((r) => r.result === 'ran' || r.result === 'gradcheck-failed');
    const counts = {
      ran: ran.length,
      done: ran.filter((r) => r.status === 'done').length,
      diverged: ran.filter((r) => r.status === 'diverged').length,
      failed: ran.filter((r) => r.status === 'failed').length,
      interrupted: ran.filter((r) => r.status === 'interrupted').length,
      skipped: all.filter((r) => r.result === 'skipped').length,
      elsewhere: all.filter((r) => r.result === 'elsewhere').length,
    };
    progress.stop();

    // 6. Diagnose what finished, after the baselines it needs (they run on the same executor).
    let diagnosed = 0;
    const finished = ran.filter((r) => r.status === 'done' || r.status === 'diverged').map((r) => r.id);
    if (opts.diagnose && !interrupted && finished.length > 0) {
      const concurrency = opts.executor ? (opts.workers ?? 1) : ((executor as PiscinaExecutor | null)?.workers ?? 1);
      const results = await diagnoseTrials(finished, {
        db: dbPath, store, workers: concurrency, note: (line) => out.write(`${line}\n`),
        ...(executor ? { executor } : {}),
        ...(opts.maxMemoryMb !== undefined ? { maxMemoryMb: opts.maxMemoryMb } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      diagnosed = results.length;
      if (diagnosed > 0) {
        const crit = results.filter((r) => r.findings.some((f) => f.severity === 'critical')).length;
        const warn = results.filter((r) => r.findings.some((f) => f.severity === 'warning')).length;
        out.write(`diagnosed ${diagnosed} trial(s): ${crit} with a critical finding, ${warn} with a warning ` +
          '(`sweeplab diagnose <trial-id>` explains one, `sweeplab report <experiment>` shows them all)\n');
      }
    }
    const envStatus = interrupted ? 'interrupted' : counts.failed > 0 ? 'failed' : 'done';
    store.finishEnvironment(runId, envStatus);
    envStarted = false;
    const parts = [`${counts.done} done`, `${counts.diverged} diverged`, `${counts.failed} failed`];
    if (counts.interrupted) parts.push(`${counts.interrupted} interrupted`);
    if (counts.skipped) parts.push(`${counts.skipped} already finished`);
    if (counts.elsewhere) parts.push(`${counts.elsewhere} run by another process`);
    out.write(`${interrupted ? 'interrupted: ' : ''}${all.length} trial(s): ${parts.join(', ')}; results in ${dbPath}` +
      (interrupted ? ' (run the same command again to resume)' : '') + '\n');
    return {
      runId, db: dbPath, exitCode: interrupted ? 130 : counts.failed > 0 ? 1 : 0, interrupted, experiments, trials: all,
      gradchecks, counts, diagnosed,
    };
  } catch (e) {
    if (envStarted) {
      try {
        store.finishEnvironment(runId, 'failed');
      } catch {
        // the original error matters more
      }
    }
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (heartbeat) clearInterval(heartbeat);
    progress?.stop();
    if (ownExecutor && executor) await executor.close();
    endRun(runId);
    store.close();
  }
}
