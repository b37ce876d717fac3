/**
 * A piscina worker for tests, injected through PiscinaExecutor's `workerUrl`: the real worker, plus what a test
 * asks for in piscina's workerData: `delayMs` sleeps after each posted epoch (so a test can interrupt or kill a run
 * in the middle), `exitTrial` kills the thread (process.exit(3)) after that trial's epoch 1.
 */
import { workerData } from 'piscina';
import type { WorkerInput } from '../exec/worker.js';
import { runTask } from '../exec/tasks.js';
import type { Outcome } from '../exec/types.js';

const opts = (workerData ?? {}) as { delayMs?: number; exitTrial?: string };

function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export default function runTestTask({ task, port, control }: WorkerInput): Outcome {
  return runTask(task, (e) => {
    port.postMessage(e);
    if (e.type !== 'epoch') return;
    if (opts.exitTrial === task.trialId && e.metrics.epoch >= 1) process.exit(3);
    sleepSync(opts.delayMs ?? 0);
  }, () => Atomics.load(control, 0) === 1);
}
