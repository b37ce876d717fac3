// Test helpers of the queue executor: an experiment file over the tiny IDX data, and the executor/worker options
// with short BullMQ timings (a dead worker's job is taken over within ~2 s instead of ~60 s).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueExecutor, type QueueExecutorOptions } from '../exec/queue/executor.js';
import type { QueueWorkerOptions } from '../exec/queue/worker.js';
import type { ExecutorFactory } from '../exec/types.js';
import { writeTinyIdx } from './fixtures.js';

/** Lock 1.5 s, stalled check every 0.5 s: a killed worker's job is back in the queue within ~2 s. */
export const FAST_LOCKS: Pick<QueueWorkerOptions, 'lockDurationMs' | 'stalledIntervalMs'> = { lockDurationMs: 1500, stalledIntervalMs: 500 };

export interface QueueExperimentOptions {
  name?: string;
  /** swept values of train.lr (one trial each, crossed with seeds) */
  lrs?: number[];
  seeds?: number[];
  epochs?: number;
  /** hidden layer sizes */
  hidden?: number[];
  nTrain?: number;
  /** extra YAML lines under train: */
  train?: string;
}

/** Writes data/ (tiny IDX) and <name>.yaml into `dir`; returns the YAML path. Relative data path: `data`. */
export function writeQueueExperiment(dir: string, o: QueueExperimentOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const nTrain = o.nTrain ?? 60;
  writeTinyIdx(join(dir, 'data'), nTrain, 30);
  const name = o.name ?? 'qtiny';
  const yaml = [
    `name: ${name}`,
    `data: { dataset: idx, path: data, train: ${nTrain}, test: 30 }`,
    `model: { layers: [16, ${(o.hidden ?? [8]).join(', ')}, 3], activation: sigmoid, output: softmax, init: xavier }`,
    `train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: ${o.epochs ?? 3}, dtype: float64${o.train ? `, ${o.train}` : ''} }`,
    'gradcheck: { samples: 40, threshold: 1.0e-6, batch: 6 }',
    `sweep: { grid: { train.lr: [${(o.lrs ?? [0.5, 1]).join(', ')}] }, seeds: [${(o.seeds ?? [1]).join(', ')}] }`,
    '',
  ].join('\n');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** The piscina worker module with injected faults (testing/queue-fault-worker.ts), for QueueWorkerOptions.pool. */
export function faultWorker(data: { delayMs?: number; throwLr?: number; oomLr?: number }): NonNullable<QueueWorkerOptions['pool']> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return { workerUrl: new URL(`./queue-fault-worker${ext}`, import.meta.url), workerData: data };
}

/** A factory of queue executors on `url` that look at their jobs every 500 ms. */
export function queueFactory(url: string, extra: Partial<QueueExecutorOptions> = {}): ExecutorFactory {
  return ({ trials, batch }) => new QueueExecutor({ url, pollMs: 500, concurrency: trials, ...(batch ? { batch } : {}), ...extra });
}
