/**
 * Piscina worker module of the queue benchmark's load generator (not a product): a training task that trains
 * nothing. It posts 'start' and epochs 0..E, each a copy of a real epoch's metrics (piscina workerData.sample), as
 * fast as it can, and returns a done outcome: the coordinator gets epochs faster than real training would send them.
 */
import { workerData } from 'piscina';
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { WorkerInput } from '../exec/worker.js';
import type { Outcome } from '../exec/types.js';

const sample = (workerData as { sample: EpochMetrics }).sample;

export default function loadTask({ task, port }: WorkerInput): Outcome {
  if (task.kind !== 'train') throw new Error('the load generator only takes training tasks');
  port.postMessage({ type: 'start', backend: 'js', trainSize: 1, numParams: 1 });
  const epochs = task.config.train.epochs;
  for (let e = 0; e <= epochs; e++) port.postMessage({ type: 'epoch', metrics: { ...sample, epoch: e } });
  port.postMessage({ type: 'end' });
  const last = { ...sample, epoch: epochs };
  return {
    kind: 'train', status: 'done', epochsDone: epochs, divergedAt: null, last, bestTestAcc: last.testAcc, finalEval: null, backend: 'js',
    summary: {
      classCounts: [], priorCost: null, updates: 0, numParams: 1, trainSize: 1, testSize: 0, validationSize: 0, inputSize: 1, numClasses: 1,
      backend: 'js', dataFingerprint: task.fingerprints.data,
    },
  };
}
