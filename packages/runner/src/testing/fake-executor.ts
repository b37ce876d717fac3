// Test-only: an in-memory executor that "trains" without numerics, so scheduler tests control timing, failures,
// duplicate deliveries and stop replies exactly. Each train task posts 'start', then epochs 0..E (cost 1/(e+1)),
// one per tick; a 'stop' reply ends it after the NEXT epoch (as a real worker, which is one epoch ahead).
import type { GradcheckReport } from '@sweeplab/gradcheck';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { ExecutorError, type EventReply, type Executor, type Outcome, type Task, type TrainOutcome, type WorkerEvent } from '../exec/types.js';

export interface FakeBehaviour {
  /** trial ids whose task throws at this epoch */
  throwAt?: Map<string, number>;
  /** deliver every epoch event twice (at-least-once delivery) */
  duplicate?: boolean;
  /** ms between epochs (default 0: one macrotask) */
  tickMs?: number;
  /** architectures whose gradient check fails */
  failArchs?: Set<string>;
}

export function fakeMetrics(epoch: number, cost = 1 / (epoch + 1), acc = 1 - cost): EpochMetrics {
  return {
    epoch, measured: true, cost, loss: cost, l2Term: 0, trainAcc: acc, testAcc: acc, valAcc: null, lr: 0.1, outMean: 0.5, outStd: 0.1,
    outUnitMean: [0.5], outUnitStd: [0.1], gradNorm: [1], updateRatio: [epoch === 0 ? null : 0.01], weightNorm: [1],
    weightMean: [0], saturation: [], seconds: epoch === 0 ? 0 : 0.001, evalSeconds: 0.001,
  };
}

const tick = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

export class FakeExecutor implements Executor {
  /** trial ids in the order their tasks started */
  readonly started: string[] = [];
  /** gradcheck tasks run (architectures) */
  readonly gradchecks: string[] = [];
  running = 0;
  maxRunning = 0;
  closed = false;

  constructor(readonly concurrency: number, private readonly b: FakeBehaviour = {}, private readonly metrics: (trialId: string, epoch: number) => EpochMetrics = (_id, e) => fakeMetrics(e)) {}

  async run(task: Task, onEvent: (e: WorkerEvent) => EventReply | void, signal: AbortSignal): Promise<Outcome> {
    if (this.closed) throw new ExecutorError('UNAVAILABLE', 'the executor is closed');
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return task.kind === 'gradcheck' ? await this.gradcheck(task.arch) : await this.train(task.trialId, task.config.train.epochs, onEvent, signal);
    } finally {
      this.running--;
    }
  }

  private async gradcheck(arch: string): Promise<Outcome> {
    this.gradchecks.push(arch);
    await tick(0);
    const passed = !(this.b.failArchs?.has(arch) ?? false);
    const report: GradcheckReport = {
      passed, eps: 1e-3, threshold: 1e-7, floor: 1e-3, order: 4, maxRelError: passed ? 1e-9 : 1, checked: 10, skipped: 0, seconds: 0,
      layers: [{ layer: 1, kind: 'weights', checked: 10, skipped: 0, maxRelError: passed ? 1e-9 : 1, maxAbsError: 0, worst: null, passed }],
    };
    return { kind: 'gradcheck', arch, report, batch: 4, backend: 'fake' };
  }

  private async train(id: string, epochs: number, onEvent: (e: WorkerEvent) => EventReply | void, signal: AbortSignal): Promise<TrainOutcome> {
    this.started.push(id);
    onEvent({ type: 'start', backend: 'fake', trainSize: 10, numParams: 5 });
    let stop = false;
    let last = this.metrics(id, 0);
    let e = 0;
    for (; e <= epochs; e++) {
      await tick(this.b.tickMs ?? 0);
      if (signal.aborted) throw new ExecutorError('ABORTED', 'aborted');
      if (this.b.throwAt?.get(id) === e) throw new ExecutorError('THREW', `fake failure at epoch ${e}`);
      last = this.metrics(id, e);
      const reply = onEvent({ type: 'epoch', metrics: last });
      if (this.b.duplicate === true) onEvent({ type: 'epoch', metrics: last });
      if (stop) break; // the stop reached the worker one epoch late
      if (reply === 'stop') stop = true;
    }
    onEvent({ type: 'end' });
    const done = Math.min(e, epochs);
    return {
      kind: 'train', status: stop && done < epochs ? 'stopped' : 'done', epochsDone: done, divergedAt: null, last, bestTestAcc: last.testAcc,
      finalEval: null, backend: 'fake',
      summary: {
        classCounts: [5, 5], priorCost: Math.LN2, updates: done, numParams: 5, trainSize: 10, testSize: 10, validationSize: 0,
        inputSize: 2, numClasses: 2, backend: 'fake', dataFingerprint: 'fake',
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
