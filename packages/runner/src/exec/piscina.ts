/**
 * The local executor: a piscina pool of worker threads (one per core unless told), a heap limit per thread, each
 * task's events on its own MessagePort and a shared stop flag. A task that throws, runs its thread out of memory or
 * kills its thread rejects alone with an ExecutorError; the pool replaces the thread and the other tasks go on.
 * Failure kinds are told apart by what the worker reported, not by error texts: a task that ended (threw) always
 * posts 'end' first; a thread that died never does.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { prepareKernels } from '../kernels.js';
import { ExecutorError, type EventReply, type Executor, type Outcome, type Task, type WorkerEvent } from './types.js';
import type { WorkerInput } from './worker.js';

export interface PiscinaExecutorOptions {
  /** worker threads (default: number of cores) */
  workers?: number;
  /** V8 old-generation heap limit per worker thread, MB (default 2048) */
  maxMemoryMb?: number;
  /**
   * The worker module (default ./worker.js beside this file). Tests inject a wrapper of it (a slow or crashing
   * worker) here; `workerData` reaches it as piscina's workerData.
   */
  workerUrl?: URL;
  workerData?: unknown;
}

export const DEFAULT_MAX_MEMORY_MB = 2048;

/** How long to wait, after a task settled, for its last events to arrive. */
const DRAIN_MS = 2000;

function failure(e: unknown, sawEnd: boolean, signal: AbortSignal, maxMemoryMb: number): ExecutorError {
  if (e instanceof ExecutorError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  if (signal.aborted || err.name === 'AbortError') return new ExecutorError('ABORTED', 'aborted');
  if ((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new ExecutorError('OUT_OF_MEMORY',
      `the worker ran out of memory (limit ${maxMemoryMb} MB per worker; raise it with --max-memory or use fewer/smaller trials)`);
  }
  if (sawEnd) return new ExecutorError('THREW', err.message);
  const code = /(-?\d+)\s*$/.exec(err.message)?.[1];
  return new ExecutorError('CRASHED', `the worker thread died${code !== undefined ? ` (exit code ${code})` : ''} while running this task`);
}

export class PiscinaExecutor implements Executor {
  readonly concurrency: number;
  readonly maxMemoryMb: number;
  private readonly pool: Piscina<WorkerInput, Outcome>;
  /** set when a worker thread died outside any task (it could not start): every task fails with it */
  private broken: ExecutorError | null = null;
  private readonly inflight = new Set<AbortController>();

  constructor(opts: PiscinaExecutorOptions = {}) {
    prepareKernels(); // before the first thread copies process.env
    this.concurrency = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
    this.maxMemoryMb = opts.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB;
    // Under tsx the sources run as .ts and piscina imports the file itself, so pick the extension (toolchain.md #21).
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.pool = new Piscina<WorkerInput, Outcome>({
      filename: (opts.workerUrl ?? new URL(`./worker${ext}`, import.meta.url)).href,
      minThreads: 0, // threads start with the first tasks: a run of one trial starts one thread
      maxThreads: this.concurrency,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: this.maxMemoryMb },
      ...(opts.workerData !== undefined ? { workerData: opts.workerData } : {}),
    });
    // An error outside any task: a thread that could not start (e.g. a heap limit too small for the thread itself)
    // or died idle. piscina would keep the queued tasks waiting for a thread that never comes: fail them instead.
    this.pool.on('error', (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      const code = (err as { code?: unknown }).code;
      this.broken ??= new ExecutorError('UNAVAILABLE', `a worker thread could not start or stay up (${typeof code === 'string' ? `${code}: ` : ''}${err.message}); ` +
        (code === 'ERR_WORKER_OUT_OF_MEMORY' ? `--max-memory ${this.maxMemoryMb} MB is too small for a worker thread itself: raise it` : 'see the message above'));
      for (const c of this.inflight) c.abort();
    });
  }

  /**
   * Runs one task. `stop` (optional, beyond the Executor interface) asks the task to stop after the epoch it is
   * training without waiting for its next event: a remote worker's way to pass on a stop request it received.
   */
  async run(task: Task, onEvent: (e: WorkerEvent) => EventReply | void, signal: AbortSignal, stop?: AbortSignal): Promise<Outcome> {
    if (this.broken) throw this.broken;
    const mine = new AbortController(); // the caller's signal, or this executor breaking
    const onAbort = () => mine.abort();
    if (signal.aborted) mine.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.inflight.add(mine);
    try {
      return await this.runTask(task, onEvent, mine.signal, stop);
    } catch (e) {
      if (this.broken && !signal.aborted) throw this.broken;
      throw e;
    } finally {
      this.inflight.delete(mine);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async runTask(task: Task, onEvent: (e: WorkerEvent) => EventReply | void, signal: AbortSignal, stop?: AbortSignal): Promise<Outcome> {
    const { port1, port2 } = new MessageChannel();
    const control = new Int32Array(new SharedArrayBuffer(4));
    if (stop?.aborted) Atomics.store(control, 0, 1);
    stop?.addEventListener('abort', () => Atomics.store(control, 0, 1), { once: true });
    let listenerError: unknown = null;
    let sawEnd = false;
    let drained!: () => void;
    const drainedP = new Promise<void>((res) => { drained = res; });
    port1.on('message', (e: WorkerEvent) => {
      if (e.type === 'end') {
        sawEnd = true;
        drained();
        return;
      }
      try {
        if (onEvent(e) === 'stop') Atomics.store(control, 0, 1);
      } catch (err) {
        listenerError ??= err;
      }
    });
    port1.on('close', () => drained());
    const waitDrained = () => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([drainedP, new Promise<void>((res) => { timer = setTimeout(res, DRAIN_MS); })])
        .finally(() => clearTimeout(timer));
    };
    try {
      const out = await this.pool.run({ task, port: port2, control }, { transferList: [port2], signal });
      await waitDrained();
      if (listenerError !== null) throw listenerError;
      return out;
    } catch (e) {
      if (e === listenerError) throw e;
      await waitDrained();
      throw failure(e, sawEnd, signal, this.maxMemoryMb);
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
