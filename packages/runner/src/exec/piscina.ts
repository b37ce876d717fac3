/**
 * The default executor: a piscina pool of worker threads (one per core unless told), a heap limit per thread,
 * each task's events on its own MessagePort. A task that throws, runs its thread out of memory or kills its
 * thread rejects alone; the pool replaces the thread and the other tasks go on.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { prepareKernels } from '../kernels.js';
import type { Executor, Outcome, Task, WorkerEvent } from './types.js';
import type { WorkerInput } from './worker.js';

export interface PiscinaExecutorOptions {
  /** worker threads (default: number of cores) */
  workers?: number;
  /** V8 old-generation heap limit per worker thread, MB (default 2048) */
  maxMemoryMb?: number;
}

export const DEFAULT_MAX_MEMORY_MB = 2048;

export type TaskFailureKind = 'threw' | 'crashed' | 'out-of-memory' | 'aborted';

/** Why a task did not return: its message is what goes into `trials.error`. */
export class TaskError extends Error {
  override readonly name = 'TaskError';
  constructor(readonly kind: TaskFailureKind, message: string) {
    super(message);
  }
}

function describe(e: unknown, maxMemoryMb: number): TaskError {
  if (e instanceof TaskError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  if (err.name === 'AbortError') return new TaskError('aborted', 'aborted');
  if (code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|memory limit/i.test(err.message)) {
    return new TaskError('out-of-memory',
      `the worker ran out of memory (limit ${maxMemoryMb} MB per worker; raise it with --max-memory or use fewer/smaller trials)`);
  }
  const exited = /worker exited with code: (-?\d+)/.exec(err.message);
  if (exited) return new TaskError('crashed', `the worker thread died (exit code ${exited[1]}) while running this task`);
  return new TaskError('threw', err.message);
}

/** How long to wait, after a task settled, for its last events to arrive. */
const DRAIN_MS = 2000;

export class PiscinaExecutor implements Executor {
  readonly workers: number;
  readonly maxMemoryMb: number;
  private readonly pool: Piscina<WorkerInput, Outcome>;

  constructor(opts: PiscinaExecutorOptions = {}) {
    prepareKernels(); // before the first thread copies process.env
    this.workers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
    this.maxMemoryMb = opts.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB;
    // Under tsx the sources run as .ts and piscina imports the file itself, so pick the extension (toolchain.md #21).
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.pool = new Piscina<WorkerInput, Outcome>({
      filename: new URL(`./worker${ext}`, import.meta.url).href,
      minThreads: this.workers,
      maxThreads: this.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: this.maxMemoryMb },
    });
    // A thread that dies between tasks is replaced; without a listener the event would crash the process.
    this.pool.on('error', () => {});
  }

  async run(task: Task, onEvent: (e: WorkerEvent) => void, signal: AbortSignal): Promise<Outcome> {
    const { port1, port2 } = new MessageChannel();
    let listenerError: unknown = null;
    let drained!: () => void;
    const drainedP = new Promise<void>((res) => { drained = res; });
    port1.on('message', (e: WorkerEvent) => {
      if (e.type === 'end') return drained();
      try {
        onEvent(e);
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
      const out = await this.pool.run({ task, port: port2 }, { transferList: [port2], signal });
      await waitDrained();
      if (listenerError) throw listenerError;
      return out;
    } catch (e) {
      if (e === listenerError) throw e;
      await waitDrained();
      throw describe(e, this.maxMemoryMb);
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
