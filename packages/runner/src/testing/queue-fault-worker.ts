/**
 * A piscina worker for the queue tests, injected through QueueWorker's `pool`: the real worker, plus faults chosen
 * by the trial's learning rate (piscina workerData): `throwLr` throws after epoch 1, `oomLr` fills the V8 heap
 * after epoch 1 (the thread's heap limit ends it), `delayMs` sleeps after each posted epoch.
 */
import { workerData } from 'piscina';
import type { WorkerInput } from '../exec/worker.js';
import { runTask } from '../exec/tasks.js';
import type { Outcome } from '../exec/types.js';

const opts = (workerData ?? {}) as { delayMs?: number; throwLr?: number; oomLr?: number };

function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export default function runFaultyTask({ task, port, control }: WorkerInput): Outcome {
  return runTask(task, (e) => {
    port.postMessage(e);
    if (e.type !== 'epoch' || task.kind !== 'train') return;
    if (e.metrics.epoch >= 1 && task.config.train.lr === opts.throwLr) throw new Error(`injected failure after epoch ${e.metrics.epoch}`);
    if (e.metrics.epoch >= 1 && task.config.train.lr === opts.oomLr) {
      const hog: unknown[] = [];
      for (;;) hog.push({ a: [1, 2, 3, 4, 5, 6, 7, 8], b: `${hog.length}` });
    }
    sleepSync(opts.delayMs ?? 0);
  }, () => Atomics.load(control, 0) === 1);
}
