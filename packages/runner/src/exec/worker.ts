/**
 * The piscina worker: runs one task per call. Events go to the coordinator on the MessagePort that comes with the
 * task, so every epoch reaches the database as soon as it is measured, while training goes on. `control` is a
 * shared Int32Array the coordinator sets to 1 to ask for a stop (read after each epoch).
 */
import type { MessagePort } from 'node:worker_threads';
import { runTask } from './tasks.js';
import type { Outcome, Task } from './types.js';

export interface WorkerInput {
  task: Task;
  port: MessagePort;
  control: Int32Array;
}

export default function runWorkerTask({ task, port, control }: WorkerInput): Outcome {
  return runTask(task, (e) => port.postMessage(e), () => Atomics.load(control, 0) === 1);
}
