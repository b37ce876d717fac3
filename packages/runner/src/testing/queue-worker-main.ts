/**
 * A queue worker as its own process, for the fault tests (they kill it with SIGKILL):
 *   node queue-worker-main.js '<QueueWorkerOptions as JSON, plus faults: { delayMs, throwLr, oomLr }>'
 * Prints "ready" once connected, then the worker's log lines; SIGTERM hands its running jobs back and exits 0.
 */
import { QueueWorker, type QueueWorkerOptions } from '../exec/queue/worker.js';
import { faultWorker } from './queue.js';

const arg = JSON.parse(process.argv[2] ?? '{}') as QueueWorkerOptions & { faults?: { delayMs?: number; throwLr?: number; oomLr?: number } };
const { faults, ...opts } = arg;
const w = new QueueWorker({ ...opts, ...(faults ? { pool: faultWorker(faults) } : {}), log: (l) => process.stdout.write(`${l}\n`) });
process.on('SIGTERM', () => {
  void w.close({ handBack: true }).then(() => process.exit(0));
});
await w.start();
process.stdout.write('ready\n');
