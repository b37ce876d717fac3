/**
 * Load generator of the queue benchmark (not a test, not a product): a BullMQ worker process that trains nothing.
 * For each training job it posts the trial's epochs 0..E as progress events, as fast as Redis takes them, each a
 * copy of a real epoch's metrics (argv[3], JSON), then returns the usual result. So the coordinator gets epoch
 * events faster than real training would send them, and its sustained recording rate can be measured.
 *   node queue-load-worker.js '<{ url, name, concurrency }>' '<EpochMetrics JSON>'
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { queueTarget } from '../exec/queue/connection.js';
import type { JobPayload, JobResult } from '../exec/queue/payload.js';
import type { Outcome, WorkerEvent } from '../exec/types.js';

const o = JSON.parse(process.argv[2] ?? '{}') as { url: string; name: string; concurrency: number };
const sample = JSON.parse(process.argv[3] ?? '{}') as EpochMetrics;
const t = queueTarget(o.url, o.name);
const id = `${hostname()}:${process.pid}`;

const worker = new Worker<JobPayload, JobResult>(t.name, async (job) => {
  const task = job.data.task;
  const run = job.attemptsStarted;
  if (task.kind !== 'train') {
    const outcome = { kind: 'gradcheck', arch: task.arch, batch: 1, backend: 'js', report: { passed: true, eps: 0, threshold: 1, floor: 0, order: 4, maxRelError: 0, checked: 0, skipped: 0, layers: [], seconds: 0 } };
    return { run, worker: id, outcome: outcome as unknown as Outcome, events: [] };
  }
  const events: WorkerEvent[] = [{ type: 'start', backend: 'js', trainSize: 1, numParams: 1 }];
  for (let e = 0; e <= task.config.train.epochs; e++) events.push({ type: 'epoch', metrics: { ...sample, epoch: e } });
  // pipelined: every update is sent without waiting for the previous answer (one connection keeps their order)
  await Promise.all(events.map((event) => job.updateProgress({ run, worker: id, event })));
  const last = { ...sample, epoch: task.config.train.epochs };
  const outcome: Outcome = {
    kind: 'train', status: 'done', epochsDone: last.epoch, divergedAt: null, last, bestTestAcc: last.testAcc, finalEval: null, backend: 'js',
    summary: { classCounts: [], priorCost: null, updates: 0, numParams: 1, trainSize: 1, testSize: 0, validationSize: 0, inputSize: 1, numClasses: 1, backend: 'js', dataFingerprint: task.fingerprints.data },
  };
  return { run, worker: id, outcome, events };
}, { connection: t.redis, concurrency: o.concurrency, name: id });
worker.on('error', () => {});
process.on('SIGTERM', () => { void worker.close().then(() => process.exit(0)); });
await worker.waitUntilReady();
process.stdout.write('ready\n');
