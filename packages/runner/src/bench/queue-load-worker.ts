/**
 * Load generator of the queue benchmark (not a product): a real QueueWorker (payload checks, data fingerprint
 * check, progress updates, results) whose piscina tasks train nothing and post a trial's epochs as fast as they
 * can (queue-load-task.ts), so the coordinator's recording rate can be measured.
 *   node queue-load-worker.js '<{ url, name, workers, dataRoot }>' '<EpochMetrics JSON>'
 */
import { QueueWorker } from '../exec/queue/worker.js';

const o = JSON.parse(process.argv[2] ?? '{}') as { url: string; name: string; workers: number; dataRoot: string };
const sample = JSON.parse(process.argv[3] ?? '{}') as unknown;
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const w = new QueueWorker({
  url: o.url, name: o.name, workers: o.workers, dataRoot: o.dataRoot,
  pool: { workerUrl: new URL(`./queue-load-task${ext}`, import.meta.url), workerData: { sample } },
});
process.on('SIGTERM', () => { void w.close({ handBack: false }).then(() => process.exit(0)); });
await w.start();
process.stdout.write('ready\n');
