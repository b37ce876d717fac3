/**
 * The coordinator's side of the Redis queue: an Executor whose tasks run as BullMQ jobs on `sweeplab worker`s
 * anywhere. It enqueues one job per task, turns the jobs' progress events into WorkerEvents for the scheduler (the
 * only writer of the database), and settles each task from the job's end. Delivery is at least once and events
 * can be missed (a restart, a trimmed event stream), so:
 * - every event names the run of the job it belongs to; a job a dead worker had is started again by another worker
 *   under a higher run, which the scheduler hears as a `restart` (a new attempt: the dead run's epochs are void);
 * - the job's return value carries the run's whole event history: events not seen yet are delivered from it, in
 *   order, before the outcome; a periodic look at each job's state catches ends whose event was missed;
 * - a task whose trial already has a job from an earlier claim (a coordinator that was killed and rerun) adopts
 *   that job instead of enqueueing another: a waiting or running job is followed, a finished one is recorded from
 *   its return value, a failed or cancelled one is removed and the task enqueued afresh.
 * A stop decision ('stop' answered to an event, or the task's signal) is a Redis key plus a message on a channel;
 * the worker running the job reads it after the epoch it is training.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../clock.js';
import { ExecutorError, type EventReply, type Executor, type Outcome, type Task, type WorkerEvent } from '../types.js';
import { queueTarget, redisClient, type QueueTarget } from './connection.js';
import {
  checkProgress, checkResult, DEFAULT_QUEUE_NAME, FAILURE_PREFIX, jobIdOf, MAX_PAYLOAD_BYTES, PAYLOAD_VERSION, stopChannel, stopKey,
  type JobPayload, type JobResult,
} from './payload.js';

export interface QueueExecutorOptions {
  /** redis://[user:pass@]host:port[/db] */
  url: string;
  /** queue name (default 'sweeplab'): several sweeps can share one Redis under different names */
  name?: string;
  /** tasks in flight at once (enqueued or running); default 1000 */
  concurrency?: number;
  /** how often each task's job state is looked at, to catch ends whose event was missed (ms, default 5000) */
  pollMs?: number;
  /** when each task was last heard of (default: the system clock) */
  clock?: Clock;
  /**
   * Runs a function in one write transaction (ExecutorFactory's `batch`): each burst of events read from Redis is
   * delivered inside one, so its epoch rows commit together (default: no batching).
   */
  batch?: (fn: () => void) => void;
  /** told when tasks wait and no worker is connected (every `noWorkerMs`, default 30 s) */
  notice?: (message: string) => void;
  noWorkerMs?: number;
  /** finished jobs nobody removed (their coordinator died and was never rerun) go after this long (s, default 7 days) */
  keepSeconds?: number;
}

export const DEFAULT_QUEUE_CONCURRENCY = 1000;
const STOP_TTL_S = 7 * 24 * 3600;

type Listener = (e: WorkerEvent) => EventReply | void;

/** One task on its way through the queue. */
class JobRun {
  /** the run (BullMQ attemptsStarted) whose events we follow; null before the first event */
  run: number | null = null;
  worker: string | null = null;
  started = false;
  readonly delivered = new Set<number>();
  settled = false;
  stopped = false;
  constructor(
    public lastSeen: number,
    readonly jobId: string,
    readonly task: Task,
    readonly onEvent: Listener,
    readonly resolve: (o: Outcome) => void,
    readonly reject: (e: ExecutorError) => void,
  ) {}
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class QueueExecutor implements Executor {
  readonly concurrency: number;
  readonly target: QueueTarget;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** sweeplab's own keys (stop requests) */
  private readonly redis: Redis;
  private readonly runs = new Map<string, JobRun>();
  private readonly ready: Promise<void>;
  private readonly poller: NodeJS.Timeout;
  private readonly keepSeconds: number;
  private readonly clock: Clock;
  private readonly batch: (fn: () => void) => void;
  private readonly notice: (message: string) => void;
  private readonly noWorkerMs: number;
  /** since when tasks wait with no worker connected (null: not the case at the last look) */
  private idleSince: number | null = null;
  /** events read from Redis and not yet delivered: one burst, delivered in one batch */
  private pending: Array<() => void> = [];
  /** tasks whose job is not known yet: settled by a close */
  private readonly starting = new Set<(e: ExecutorError) => void>();
  private closed = false;

  constructor(opts: QueueExecutorOptions) {
    this.target = queueTarget(opts.url, opts.name ?? DEFAULT_QUEUE_NAME);
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_QUEUE_CONCURRENCY));
    this.keepSeconds = opts.keepSeconds ?? STOP_TTL_S;
    this.clock = opts.clock ?? systemClock;
    const connection = this.target.redis;
    this.queue = new Queue(this.target.name, { connection });
    this.events = new QueueEvents(this.target.name, { connection });
    this.redis = redisClient(this.target);
    // connection errors are retried by ioredis; without listeners they would crash the process
    this.queue.on('error', () => {});
    this.events.on('error', () => {});
    this.batch = opts.batch ?? ((fn) => fn());
    this.notice = opts.notice ?? (() => {});
    this.noWorkerMs = opts.noWorkerMs ?? 30_000;
    this.events.on('progress', ({ jobId, data }) => this.later(() => this.onProgress(jobId, data)));
    this.events.on('completed', ({ jobId, returnvalue }) => this.later(() => this.onCompleted(jobId, returnvalue)));
    this.events.on('failed', ({ jobId, failedReason }) => this.later(() => this.onFailed(jobId, failedReason)));
    this.ready = this.events.waitUntilReady().then(() => undefined);
    this.ready.catch(() => {});
    this.poller = setInterval(() => void this.poll(), opts.pollMs ?? 5000);
    this.poller.unref();
  }

  run(task: Task, onEvent: Listener, signal: AbortSignal): Promise<Outcome> {
    if (this.closed) return Promise.reject(new ExecutorError('UNAVAILABLE', 'the queue executor is closed'));
    return new Promise<Outcome>((resolve, reject) => {
      // until the job is known (Redis may be slow or down) an abort or a close settles the task at once; the job,
      // if it is enqueued after all, is cancelled then
      let r: JobRun | null = null;
      let gone = false;
      const early = (e: ExecutorError) => {
        gone = true;
        this.starting.delete(early);
        reject(e);
      };
      const onAbort = () => (r ? this.cancel(r) : early(new ExecutorError('ABORTED', 'aborted')));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.starting.add(early);
      const start = async () => {
        await this.ready;
        const jobId = await this.adoptOrEnqueue(task);
        r = new JobRun(this.clock.now(), jobId, task, onEvent, resolve, reject);
        if (gone) {
          r.settled = true;
          this.requestStop(r);
          void this.queue.remove(jobId).catch(() => 0);
          return;
        }
        this.starting.delete(early);
        this.runs.set(jobId, r);
        await this.check(r); // it may have ended before we listened (an adopted job, a fast worker)
      };
      start().catch((e: unknown) => {
        if (!gone && r === null) early(new ExecutorError('UNAVAILABLE', `the queue at ${this.target.host} (${this.target.name}): ${message(e)}`));
      });
    });
  }

  /** Queues an event; the burst it belongs to (QueueEvents emits a whole read at once) is delivered in one batch. */
  private later(fn: () => void): void {
    this.pending.push(fn);
    if (this.pending.length > 1) return;
    setImmediate(() => {
      const burst = this.pending;
      this.pending = [];
      try {
        this.batch(() => { for (const f of burst) f(); });
      } catch {
        // the batch could not commit (a busy database): deliver one by one, each write its own transaction
        for (const f of burst) f();
      }
    });
  }

  /** The job this task runs as: an earlier claim's job of the same trial when it can be used, else a new one. */
  private async adoptOrEnqueue(task: Task): Promise<string> {
    const jobId = jobIdOf(task);
    const earlier = task.kind === 'train'
      ? Array.from({ length: Math.min(task.attempt - 1, 20) }, (_, i) => `${task.trialId}.${task.attempt - 1 - i}`)
      : [];
    for (const id of [jobId, ...earlier]) {
      // the state first, then the job: a job read before it ended would carry no result yet
      const state = await this.queue.getJobState(id);
      if (state === 'unknown') continue;
      const cancelled = (await this.redis.exists(stopKey(this.target.name, id))) === 1;
      if (state === 'completed') {
        const job = await this.queue.getJob(id);
        const res = checkResult(job?.returnvalue, task);
        if (res && !cancelled && !(res.outcome.kind === 'train' && res.outcome.status === 'stopped')) return id;
        await this.removeJob(id);
      } else if (state === 'failed') {
        await this.removeJob(id);
      } else if (!cancelled) {
        return id; // waiting, delayed, prioritized or active: follow it
      }
    }
    const data: JobPayload = { v: PAYLOAD_VERSION, task };
    const size = Buffer.byteLength(JSON.stringify(data));
    if (size > MAX_PAYLOAD_BYTES) throw new Error(`the task's payload has ${size} bytes, more than the ${MAX_PAYLOAD_BYTES} a worker accepts`);
    await this.queue.add(task.kind, data, {
      jobId, attempts: 1,
      removeOnComplete: { age: this.keepSeconds }, removeOnFail: { age: this.keepSeconds },
    });
    return jobId;
  }

  private deliver(r: JobRun, e: WorkerEvent): void {
    if (r.settled) return;
    if (e.type === 'start') {
      if (r.started) return;
      r.started = true;
    } else if (e.type === 'epoch') {
      if (r.delivered.has(e.metrics.epoch)) return;
      r.delivered.add(e.metrics.epoch);
    } else {
      return;
    }
    let reply: EventReply | void;
    try {
      reply = r.onEvent(e);
    } catch (err) {
      return this.settle(r, new ExecutorError('THREW', `recording an event failed: ${message(err)}`));
    }
    if (reply === 'stop') this.requestStop(r);
  }

  /** Follows run `run` of the job: a higher run than the one followed so far is the job started over elsewhere. */
  private follow(r: JobRun, run: number, worker: string): boolean {
    if (r.run !== null && run < r.run) return false; // a late event of a run that was given up
    if (r.run !== null && run > r.run && (r.started || r.delivered.size > 0)) {
      r.started = false;
      r.delivered.clear();
      const reply = r.onEvent({ type: 'restart', reason: `${r.worker ?? 'its worker'} stopped answering; ${worker} started it again` });
      if (reply === 'stop') this.requestStop(r);
    }
    r.run = run;
    r.worker = worker;
    return true;
  }

  private onProgress(jobId: string, data: unknown): void {
    const r = this.runs.get(jobId);
    if (!r || r.settled) return;
    r.lastSeen = this.clock.now();
    const p = checkProgress(data);
    if (p === null || !this.follow(r, p.run, p.worker)) return;
    for (const e of p.events) this.deliver(r, e);
  }

  private onCompleted(jobId: string, value: unknown): void {
    const r = this.runs.get(jobId);
    if (!r || r.settled) return;
    this.finish(r, value);
  }

  private finish(r: JobRun, value: unknown): void {
    const res: JobResult | null = checkResult(value, r.task);
    if (res === null) return this.settle(r, new ExecutorError('THREW', `the worker ${r.worker ?? ''} sent back a malformed result`));
    if (this.follow(r, res.run, res.worker)) {
      for (const e of res.events) this.deliver(r, e);
    }
    if (r.settled) return;
    if (this.runs.get(r.jobId) === r) this.runs.delete(r.jobId);
    r.settled = true;
    r.resolve(res.outcome);
    void this.removeJob(r.jobId);
  }

  private onFailed(jobId: string, reason: unknown): void {
    const r = this.runs.get(jobId);
    if (!r || r.settled) return;
    this.settle(r, failure(String(reason ?? 'the job failed'), r.worker));
  }

  private settle(r: JobRun, e: ExecutorError): void {
    if (r.settled) return;
    r.settled = true;
    if (this.runs.get(r.jobId) === r) this.runs.delete(r.jobId);
    r.reject(e);
    if (e.code !== 'ABORTED') void this.removeJob(r.jobId);
  }

  /** The task's signal aborted: the job is cancelled (removed if it waits, told to stop if it runs). */
  private cancel(r: JobRun): void {
    this.requestStop(r);
    void this.queue.remove(r.jobId).catch(() => 0);
    this.settle(r, new ExecutorError('ABORTED', 'aborted'));
  }

  private requestStop(r: JobRun): void {
    if (r.stopped) return;
    r.stopped = true;
    void (async () => {
      await this.redis.set(stopKey(this.target.name, r.jobId), '1', 'EX', STOP_TTL_S);
      await this.redis.publish(stopChannel(this.target.name), r.jobId);
    })().catch(() => {});
  }

  private async removeJob(jobId: string): Promise<void> {
    try {
      await this.queue.remove(jobId);
      await this.redis.del(stopKey(this.target.name, jobId));
    } catch {
      // a job still locked by a worker stays; the age limit removes it
    }
  }

  /** Looks at one job's state: an end whose event was missed settles the task. */
  private async check(r: JobRun): Promise<void> {
    if (r.settled) return;
    // the state first, then the job: a job read before it ended would carry no result or reason yet
    const state = await this.queue.getJobState(r.jobId);
    if (r.settled) return;
    if (state === 'unknown') return this.settle(r, new ExecutorError('UNAVAILABLE', `job ${r.jobId} disappeared from the queue ${this.target.name} (removed by hand?)`));
    if (state !== 'completed' && state !== 'failed') return;
    const job: Job | undefined = await this.queue.getJob(r.jobId);
    if (r.settled) return;
    if (state === 'completed') this.finish(r, job?.returnvalue);
    else this.settle(r, failure(job?.failedReason || 'the job failed', r.worker));
  }

  private async poll(): Promise<void> {
    const now = this.clock.now();
    const due = [...this.runs.values()].filter((r) => !r.settled && now - r.lastSeen > 1000);
    await Promise.all(due.map((r) => this.check(r).catch(() => {})));
    await this.lookForWorkers(now).catch(() => {});
  }

  /** Tasks waiting while no worker is connected: say so every `noWorkerMs` (a sweep that never starts is a mystery). */
  private async lookForWorkers(now: number): Promise<void> {
    const waiting = [...this.runs.values()].filter((r) => !r.settled && r.run === null).length;
    if (waiting === 0 || (await this.queue.getWorkersCount()) > 0) {
      this.idleSince = null;
      return;
    }
    this.idleSince ??= now;
    if (now - this.idleSince < this.noWorkerMs) return;
    this.idleSince = now;
    this.notice(`${waiting} task(s) wait in queue "${this.target.name}" on ${this.target.host} and no worker is connected: ` +
      `start \`sweeplab worker --queue redis://${this.target.host}\` on a machine with the project (add your credentials to the URL if Redis needs them)`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    for (const r of this.runs.values()) this.settle(r, new ExecutorError('UNAVAILABLE', 'the queue executor was closed'));
    for (const early of [...this.starting]) early(new ExecutorError('UNAVAILABLE', 'the queue executor was closed'));
    // a Redis that is down would keep close() waiting for a reconnect: stop reconnecting, and wait only so long
    this.target.stopReconnecting();
    await boundedClose([this.events, this.queue], 3000);
    this.redis.disconnect();
  }
}

/** Closes BullMQ objects, waiting at most `ms` before forcing their connections shut. */
export async function boundedClose(parts: ReadonlyArray<{ close(): Promise<void>; disconnect(): Promise<void> }>, ms: number): Promise<void> {
  const within = async (p: Promise<unknown>, t: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((res) => { timer = setTimeout(() => res(false), t); });
    const done = await Promise.race([p.then(() => true, () => true), timeout]);
    clearTimeout(timer);
    return done;
  };
  // (with Redis down, even a forced disconnect may never settle: nothing is awaited without a bound)
  if (!(await within(Promise.allSettled(parts.map((p) => p.close())), ms))) {
    await within(Promise.allSettled(parts.map((p) => p.disconnect())), 1000);
  }
}

/** An ExecutorError from a job's failedReason (`[CODE] message` from our worker; BullMQ's own texts otherwise). */
export function failure(reason: string, worker: string | null): ExecutorError {
  const m = FAILURE_PREFIX.exec(reason);
  const at = worker ? ` (on ${worker})` : '';
  if (m) {
    const code = m[1] === 'BAD_PAYLOAD' || m[1] === 'DATA' ? 'THREW' : m[1] as ExecutorError['code'];
    return new ExecutorError(code, `${reason.slice(m[0].length)}${at}`);
  }
  if (/stalled more than allowable limit/.test(reason)) {
    return new ExecutorError('CRASHED', `the workers running this trial stopped answering too many times (killed, or cut off from Redis)${at}`);
  }
  return new ExecutorError('THREW', `${reason}${at}`);
}
