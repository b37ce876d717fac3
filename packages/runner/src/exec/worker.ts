/**
 * The piscina worker: runs one task per call. Events go to the main thread on the MessagePort that comes with
 * the task, so every epoch reaches the database as soon as it is measured, while training goes on.
 */
import type { MessagePort } from 'node:worker_threads';
import { runTask } from './tasks.js';
import type { Outcome, Task } from './types.js';

export interface WorkerInput {
  task: Task;
  port: MessagePort;
}

export default function runWorkerTask({ task, port }: WorkerInput): Outcome {
  return runTask(task, (e) => port.postMessage(e));
}
