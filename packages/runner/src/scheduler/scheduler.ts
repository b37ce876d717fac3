/**
 * The scheduler: the coordinator's loop. It asks the search strategy for trials, claims each one atomically in the
 * database just before it runs (so two processes never run one trial), passes it through the gate (the gradient
 * check of its architecture), dispatches it to the executor, records every event it gets back (the store is the
 * only writer), asks the stopping hook after every epoch, and keeps the heartbeat of its running trials. It prints
 * nothing: it emits RunEvents. Decisions come from what the database holds, so a kill -9 and a rerun continue.
 */
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { Store } from '@sweeplab/store';
import type { Clock } from '../clock.js';
import { ExecutorError, type EventReply, type Executor, type TrainOutcome, type WorkerEvent } from '../exec/types.js';
import type { SearchStrategy, TrialCandidate, TrialEnd } from '../search/strategy.js';
import { trialWork } from '../work.js';
import type { RunEvent, RunTrialReport, TrialInfo } from './events.js';
import { HEARTBEAT_MS } from './owner.js';

/**
 * A trial whose cost grew by this factor over its epoch-0 cost is diverged (like a NaN/Inf one): it will not come
 * back, and its numbers would only overflow later.
 */
export const DIVERGENCE_FACTOR = 1000;

/** Asked after every recorded epoch of a running trial: a reason stops the trial there (status `pruned`). */
export interface StoppingHook {
  shouldStop(trial: TrialCandidate, metrics: EpochMetrics): string | null;
}

/** Asked before a claimed trial runs: null lets it run; a message fails it without training. */
export interface TrialGate {
  check(trial: TrialCandidate, signal: AbortSignal): Promise<string | null>;
}

export interface SchedulerContext {
  store: Store;
  /** the executor, created when the first trial is claimed */
  executor: () => Executor;
  owner: { id: string; isAlive(owner: string | null, heartbeatAt: string | null): boolean };
  emit: (e: RunEvent) => void;
  clock: Clock;
  /** aborting it interrupts the run: running trials end `interrupted`, the rest are not started */
  signal: AbortSignal;
}

export interface ScheduleOptions {
  /** rerun finished trials too */
  force: boolean;
  gate?: TrialGate;
  stopping?: StoppingHook;
  /**
   * Trials another live process is running: false (default) leaves them to it; true waits until they finish (or
   * their owner dies, then takes them over). Either way an owner that dies during the run is taken over.
   */
  waitForElsewhere?: boolean;
  /** how often to look again at trials running elsewhere (ms, default 1000) */
  pollMs?: number;
}

export interface ScheduleResult {
  trials: RunTrialReport[];
  interrupted: boolean;
  /** set when the run had to stop: the executor became unavailable (e.g. a worker thread cannot start) */
  fatal: string | null;
}

export function trialInfo(c: TrialCandidate): TrialInfo {
  return {
    id: c.id, experiment: c.experiment, position: c.position, label: `${c.experiment} #${c.position}`,
    epochs: c.config.train.epochs, work: trialWork(c.config), lr: c.config.train.lr,
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One claimed trial on its way through the executor: its events, its stop decision and its end. */
class TrialRun {
  readonly info: TrialInfo;
  readonly abort = new AbortController();
  private last: EpochMetrics | null = null;
  private best: number | null = null;
  private pruned: { epoch: number; reason: string } | null = null;
  private diverged: { epoch: number; reason: string } | null = null;
  private cost0: number | null = null;
  private backend: string | null = null;
  private lost = false;
  private readonly t0: number;

  constructor(private readonly s: Scheduler, readonly c: TrialCandidate, public attempt: number, readonly report: RunTrialReport) {
    this.info = trialInfo(c);
    this.t0 = s.ctx.clock.now();
  }

  private onEvent(e: WorkerEvent, opts: ScheduleOptions): EventReply | void {
    const { store, emit } = this.s.ctx;
    if (e.type === 'start') {
      this.backend = e.backend; // the kernel tier: recorded with a trial the coordinator stops (pruned, diverged)
      return emit({ type: 'trial-started', trial: this.info, attempt: this.attempt });
    }
    if (e.type === 'restart') return this.restart(e.reason);
    if (e.type !== 'epoch') return;
    if (this.pruned !== null || this.diverged !== null || this.lost) return 'stop';
    const w = store.insertEpoch(this.c.id, this.attempt, e.metrics);
    if (w === 'stale') {
      this.lost = true; // another process took the trial over (our heartbeat looked stale): stop our copy
      this.abort.abort();
      return;
    }
    if (w === 'duplicate') return; // at-least-once delivery: already recorded
    this.last = e.metrics;
    if (e.metrics.testAcc !== null && Number.isFinite(e.metrics.testAcc)) this.best = Math.max(this.best ?? -Infinity, e.metrics.testAcc);
    emit({ type: 'epoch', trial: this.info, metrics: e.metrics });
    this.s.strategy?.tell({ kind: 'epoch', trial: this.c, metrics: e.metrics });
    if (this.checkDivergence(e.metrics)) return 'stop';
    const reason = e.metrics.epoch < this.info.epochs ? opts.stopping?.shouldStop(this.c, e.metrics) ?? null : null;
    if (reason === null) return;
    this.pruned = { epoch: e.metrics.epoch, reason };
    store.pruneTrial(this.c.id, this.attempt, {
      epoch: e.metrics.epoch, reason, finalCost: e.metrics.cost, finalTrainAcc: e.metrics.trainAcc,
      finalTestAcc: e.metrics.testAcc, bestTestAcc: this.best, backend: this.backend, summary: {},
    });
    return 'stop';
  }

  /** A cost grown DIVERGENCE_FACTOR-fold over epoch 0's ends the trial as diverged at that epoch (true: stop it). */
  private checkDivergence(m: EpochMetrics): boolean {
    if (m.epoch === 0) {
      this.cost0 = Number.isFinite(m.cost) && m.cost > 0 ? m.cost : null;
      return false;
    }
    if (this.cost0 === null || !Number.isFinite(m.cost) || m.cost < DIVERGENCE_FACTOR * this.cost0) return false;
    const factor = m.cost / this.cost0;
    const reason = `diverged at epoch ${m.epoch}: the cost grew ${factor >= 1e6 ? factor.toExponential(2) : Math.round(factor)}x over its epoch-0 value ` +
      `(${this.cost0.toPrecision(4)} -> ${m.cost.toPrecision(4)}); lower the learning rate (lr ${this.info.lr})`;
    this.diverged = { epoch: m.epoch, reason };
    this.s.ctx.store.divergeTrial(this.c.id, this.attempt, {
      epoch: m.epoch, reason, finalCost: m.cost, finalTrainAcc: m.trainAcc, finalTestAcc: m.testAcc, bestTestAcc: this.best,
      backend: this.backend, summary: {},
    });
    return true;
  }

  /**
   * The executor started the task over from scratch (a remote worker died and another took it): a new attempt,
   * so the epochs of the dead one are not part of the trial's history. Lost when another process took it meanwhile.
   */
  private restart(reason: string): EventReply | void {
    const { store, owner, emit } = this.s.ctx;
    if (this.pruned !== null || this.diverged !== null || this.lost) return 'stop';
    const claim = store.claimTrial(this.c.id, owner.id, { force: false, isAlive: (o, hb) => o !== owner.id && owner.isAlive(o, hb) });
    if (!claim.claimed) {
      this.lost = true;
      this.abort.abort();
      return 'stop';
    }
    this.attempt = claim.attempt;
    this.last = null;
    this.best = null;
    emit({ type: 'notice', message: `${this.info.label} (${this.c.id}) restarts as attempt ${claim.attempt}: ${reason}` });
  }

  async run(executor: Executor, opts: ScheduleOptions): Promise<void> {
    const task = {
      kind: 'train' as const, trialId: this.c.id, attempt: this.attempt, config: this.c.config,
      fingerprints: this.c.fingerprints, baseDir: this.c.baseDir, kernels: this.c.kernels,
    };
    try {
      const out = await executor.run(task, (e) => this.onEvent(e, opts), this.abort.signal);
      if (out.kind !== 'train') throw new Error(`the executor returned a ${out.kind} outcome for a training task`);
      this.finished(out);
    } catch (e) {
      this.failed(e);
    }
  }

  private finished(out: TrainOutcome): void {
    const { store } = this.s.ctx;
    if (this.pruned !== null) return this.end('pruned', null);
    if (this.diverged !== null) return this.end('diverged', this.diverged.reason, this.diverged.epoch);
    if (out.status === 'stopped') {
      const msg = `training stopped at epoch ${out.epochsDone} without a stop decision of this run`;
      store.failTrial(this.c.id, this.attempt, 'failed', msg);
      return this.end('failed', msg);
    }
    const ok = store.finishTrial(this.c.id, this.attempt, {
      status: out.status, epochsDone: out.epochsDone, divergedEpoch: out.divergedAt, finalCost: out.last.cost,
      finalTrainAcc: out.last.trainAcc, finalTestAcc: out.last.testAcc, bestTestAcc: out.bestTestAcc,
      backend: out.backend, finalEval: out.finalEval, summary: out.summary,
    });
    if (!ok) return this.end('elsewhere', null);
    this.last = out.last;
    this.end(out.status, null, out.divergedAt);
  }

  /** Ends the trial for an error that happened before it reached the executor (its gate could not run). */
  fail(e: unknown): void {
    this.failed(e);
  }

  private failed(e: unknown): void {
    const { store } = this.s.ctx;
    if (this.lost) return this.end('elsewhere', null);
    if (this.pruned !== null) return this.end('pruned', null);
    if (this.diverged !== null) return this.end('diverged', this.diverged.reason, this.diverged.epoch);
    if (e instanceof ExecutorError && e.code === 'UNAVAILABLE') {
      // not the trial's fault: it stays resumable, and the run stops (every other trial would fail the same way)
      const msg = `not run: ${e.message}`;
      store.failTrial(this.c.id, this.attempt, 'interrupted', msg);
      this.s.fail(e.message);
      return this.end('interrupted', msg);
    }
    if (this.s.interrupted && e instanceof ExecutorError && e.code === 'ABORTED') {
      const epoch = this.last?.epoch ?? -1;
      const msg = `interrupted (${this.s.interruptReason()}) after epoch ${epoch} of ${this.info.epochs}; the next run restarts it`;
      store.failTrial(this.c.id, this.attempt, 'interrupted', msg);
      return this.end('interrupted', msg);
    }
    const msg = message(e);
    store.failTrial(this.c.id, this.attempt, 'failed', msg);
    this.end('failed', msg);
  }

  private end(status: Exclude<TrialEnd, 'skipped'>, error: string | null, divergedAt: number | null = null): void {
    this.report.result = status === 'elsewhere' ? 'elsewhere' : 'ran';
    this.report.error = error;
    this.s.ctx.emit({
      type: 'trial-finished', trial: this.info, status, last: this.last, epochsDone: this.last?.epoch ?? 0, divergedAt,
      prunedAt: this.pruned?.epoch ?? null, error: status === 'pruned' ? this.pruned?.reason ?? null : error,
      seconds: (this.s.ctx.clock.now() - this.t0) / 1000,
    });
    this.s.strategy?.tell({ kind: 'end', trial: this.c, end: status, last: this.last });
  }
}

export class Scheduler {
  interrupted = false;
  /** why the run cannot go on (the executor is unavailable); set, it stops the run like an interrupt */
  fatal: string | null = null;
  strategy: SearchStrategy | null = null;
  private executor: Executor | null = null;
  private readonly runs = new Set<TrialRun>();

  constructor(readonly ctx: SchedulerContext) {}

  /** Stops the run: no more trials are claimed, running ones are aborted (they end interrupted). */
  fail(reason: string): void {
    if (this.fatal !== null) return;
    this.fatal = reason;
    this.interrupted = true;
    for (const r of this.runs) r.abort.abort();
  }

  interruptReason(): string {
    if (this.fatal !== null) return 'the run stopped';
    const r: unknown = this.ctx.signal.reason;
    return typeof r === 'string' ? r : 'interrupt';
  }

  private slots(): number {
    return this.executor?.concurrency ?? 1;
  }

  /** Runs the strategy's trials to the end (or until interrupted). */
  async run(strategy: SearchStrategy, opts: ScheduleOptions): Promise<ScheduleResult> {
    this.strategy = strategy;
    const reports = new Map<string, RunTrialReport>();
    const elsewhere = new Map<string, TrialCandidate>();
    const inflight = new Set<Promise<void>>();
    const onAbort = () => {
      this.interrupted = true;
      for (const r of this.runs) r.abort.abort();
    };
    if (this.ctx.signal.aborted) onAbort();
    this.ctx.signal.addEventListener('abort', onAbort, { once: true });
    const heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    heartbeat.unref();
    try {
      let exhausted = false;
      for (;;) {
        while (!this.interrupted && inflight.size < this.slots()) {
          const c = this.takeOver(elsewhere) ?? (exhausted ? null : this.ask(strategy, reports, (x) => { exhausted = x; }));
          if (c === null) break;
          const p = this.start(c, reports, elsewhere, opts);
          if (p === null) continue;
          const tracked: Promise<void> = p.finally(() => inflight.delete(tracked));
          inflight.add(tracked);
        }
        if (inflight.size > 0) {
          await Promise.race(inflight);
          continue;
        }
        if (this.interrupted || !(await this.keepWaiting(exhausted, elsewhere, opts))) break;
      }
      await Promise.all(inflight);
      return { trials: this.finalStatuses(reports), interrupted: this.interrupted && this.fatal === null, fatal: this.fatal };
    } finally {
      clearInterval(heartbeat);
      this.ctx.signal.removeEventListener('abort', onAbort);
      this.strategy = null;
    }
  }

  /** The executor this scheduler ran on (null if it never needed one). */
  usedExecutor(): Executor | null {
    return this.executor;
  }

  private beat(): void {
    try {
      this.ctx.store.heartbeat(this.ctx.owner.id);
    } catch {
      // a busy database delays a heartbeat; the next one comes in 10 s
    }
  }

  /** The strategy's next trial (each id once per run); null when it has none now. */
  private ask(strategy: SearchStrategy, reports: Map<string, RunTrialReport>, setExhausted: (x: boolean) => void): TrialCandidate | null {
    for (;;) {
      const a = strategy.next();
      if (a.kind === 'done') setExhausted(true);
      if (a.kind !== 'trial') return null;
      if (reports.has(a.trial.id)) continue; // the same trial from two experiments runs once
      reports.set(a.trial.id, { id: a.trial.id, experiment: a.trial.experiment, position: a.trial.position, result: 'not-started', status: null, error: null });
      return a.trial;
    }
  }

  /** A trial that was running elsewhere and whose owner has died (or finished it) since: claim-ready, or null. */
  private takeOver(elsewhere: Map<string, TrialCandidate>): TrialCandidate | null {
    for (const [id, c] of elsewhere) {
      const s = this.ctx.store.trialState(id);
      if (!s || s.status !== 'running' || !this.ctx.owner.isAlive(s.owner, s.heartbeatAt)) {
        elsewhere.delete(id);
        if (s && (s.status === 'done' || s.status === 'diverged' || s.status === 'pruned')) continue; // it finished there
        return c;
      }
    }
    return null;
  }

  /** Nothing runs here: wait for trials running elsewhere (or for a strategy that said 'wait'), or stop. */
  private async keepWaiting(exhausted: boolean, elsewhere: Map<string, TrialCandidate>, opts: ScheduleOptions): Promise<boolean> {
    if (elsewhere.size > 0 && opts.waitForElsewhere === true) {
      await this.sleep(opts.pollMs ?? 1000);
      return !this.interrupted;
    }
    // nothing runs here and nothing is awaited elsewhere: a strategy that still says 'wait' waits for nothing
    if (!exhausted) this.ctx.emit({ type: 'notice', message: 'the search strategy has no trial to suggest and nothing is running: stopping' });
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(res, ms);
      this.ctx.signal.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
    });
  }

  /** Claims the trial and starts it; null when there is nothing to wait for (skipped, elsewhere, gate failed). */
  private start(c: TrialCandidate, reports: Map<string, RunTrialReport>, elsewhere: Map<string, TrialCandidate>, opts: ScheduleOptions): Promise<void> | null {
    const report = reports.get(c.id) ?? { id: c.id, experiment: c.experiment, position: c.position, result: 'not-started' as const, status: null, error: null };
    reports.set(c.id, report);
    const { store, owner } = this.ctx;
    const claim = store.claimTrial(c.id, owner.id, { force: opts.force, isAlive: (o, hb) => owner.isAlive(o, hb) });
    if (!claim.claimed) {
      if (claim.reason === 'elsewhere') {
        report.result = 'elsewhere';
        elsewhere.set(c.id, c);
        return null;
      }
      report.result = 'skipped';
      if (claim.reason === 'missing') report.error = `trial ${c.id} is not registered in the database`;
      this.strategy?.tell({ kind: 'end', trial: c, end: claim.reason === 'finished' ? 'skipped' : 'failed', last: null });
      return null;
    }
    // the executor exists from the first claim on, so every slot fills while the first trial waits for its gate
    this.executor ??= this.ctx.executor();
    const run = new TrialRun(this, c, claim.attempt, report);
    this.runs.add(run);
    return this.gateThenRun(run, opts).finally(() => this.runs.delete(run));
  }

  private async gateThenRun(run: TrialRun, opts: ScheduleOptions): Promise<void> {
    let failure: string | null;
    try {
      failure = opts.gate ? await opts.gate.check(run.c, run.abort.signal) : null;
    } catch (e) {
      return run.fail(e); // the gate could not run at all (the executor is unavailable)
    }
    if (this.interrupted) {
      this.ctx.store.failTrial(run.c.id, run.attempt, 'interrupted', `interrupted (${this.interruptReason()}) before it started; the next run starts it`);
      run.report.result = 'ran';
      return;
    }
    if (failure !== null) {
      this.ctx.store.failTrial(run.c.id, run.attempt, 'failed', failure);
      run.report.result = 'gradcheck-failed';
      run.report.error = failure;
      this.ctx.emit({
        type: 'trial-finished', trial: run.info, status: 'failed', last: null, epochsDone: 0, divergedAt: null, prunedAt: null,
        error: failure, seconds: 0,
      });
      this.strategy?.tell({ kind: 'end', trial: run.c, end: 'failed', last: null });
      return;
    }
    this.executor ??= this.ctx.executor();
    await run.run(this.executor, opts);
  }

  private finalStatuses(reports: Map<string, RunTrialReport>): RunTrialReport[] {
    const all = [...reports.values()];
    const statuses = this.ctx.store.trialStatuses(all.map((r) => r.id));
    for (const r of all) r.status = statuses.get(r.id) ?? null;
    return all;
  }
}
