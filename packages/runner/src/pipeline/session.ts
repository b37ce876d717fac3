/**
 * A session: what one command's pipeline steps share. One store (the process's only writer), one run id and owner,
 * one scheduler, and one executor created on first use from what the caller injected (an executor it keeps, or a
 * factory whose executor the session closes). The gradient-check gate, the training, the baselines and the
 * diagnosis of a `sweeplab run` all go through the same session: no nested runs, no second connection.
 */
import { randomUUID } from 'node:crypto';
import { Store } from '@sweeplab/store';
import { systemClock, type Clock } from '../clock.js';
import type { Executor, ExecutorFactory } from '../exec/types.js';
import type { RunEvent } from '../scheduler/events.js';
import { beginRun, endRun, isOwnerAlive, ownerId } from '../scheduler/owner.js';
import { Scheduler } from '../scheduler/scheduler.js';

export interface SessionOptions {
  /** results database */
  db: string;
  /** where tasks run: an executor (not closed by the session) or a factory (its executor is closed at the end) */
  executor: Executor | ExecutorFactory;
  /** how many trials the caller expects to run, asked when the executor is created (sizes a factory's executor) */
  expectedTrials?: () => number;
  emit?: (e: RunEvent) => void;
  /** aborting it interrupts the session (Ctrl-C) */
  signal?: AbortSignal;
  clock?: Clock;
}

export interface Session {
  readonly runId: string;
  /** `host:pid@start:run`: this session's owner string (trials, environment rows) */
  readonly ownerId: string;
  readonly store: Store;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  emit(e: RunEvent): void;
  /** the executor, created on first use */
  executor(): Executor;
  /** whether an executor was created (or given) and used */
  executorStarted(): boolean;
  close(): Promise<void>;
}

export function openSession(opts: SessionOptions): Session {
  const runId = randomUUID();
  const clock = opts.clock ?? systemClock;
  const signal = opts.signal ?? new AbortController().signal;
  const emit = opts.emit ?? (() => {});
  const store = Store.open(opts.db);
  let made: Executor | null = null;
  const given = typeof opts.executor === 'function' ? null : opts.executor;
  const factory = typeof opts.executor === 'function' ? opts.executor : null;
  const executor = (): Executor => {
    if (given) return given;
    made ??= (factory as ExecutorFactory)({ trials: Math.max(1, opts.expectedTrials?.() ?? 1), batch: (fn) => store.batch(fn) });
    return made;
  };
  beginRun(runId);
  const owner = { id: ownerId(runId), isAlive: (o: string | null, hb: string | null) => isOwnerAlive(o, hb, clock.now()) };
  // runs that died (kill -9, power loss) left their environment rows `running`: close them now
  store.closeDeadEnvironments((o) => owner.isAlive(o, null));
  const scheduler = new Scheduler({ store, executor, owner, emit, clock, signal });
  return {
    runId, ownerId: owner.id, store, scheduler, clock, signal, emit, executor,
    executorStarted: () => given !== null || made !== null,
    close: async () => {
      try {
        if (made) await made.close();
      } finally {
        endRun(runId);
        store.close();
      }
    },
  };
}
