/**
 * The work of one task, as plain functions of the task (the piscina worker, a remote worker and `reproduce` all
 * call these): load the data (cached per data spec within the thread) and check it is the data the coordinator
 * validated, build the model, train it posting each epoch, or run the gradient check of an architecture.
 */
import { resourceLimits } from 'node:worker_threads';
import { describeData, loadData, regularFileSize, type LoadedData } from '@sweeplab/data';
import { gradcheck } from '@sweeplab/gradcheck';
import { classPriorCost, createMlp, mlpObjective, storageDtype, train, type ModelSpec, type TrainOptions } from '@sweeplab/nn-core';
import { sourceSpec } from '../config/checks.js';
import type { TrialConfig } from '../config/index.js';
import { memoryRefusal, trialMemoryEstimate } from '../work.js';
import type {
  Fingerprints, GradcheckOutcome, GradcheckTask, Outcome, Task, TrainOutcome, TrainTask, WorkerEvent,
} from './types.js';

// One data set per thread: a sweep's trials share their data, and MNIST in float64 is ~190 MB per copy.
let cached: { key: string; data: LoadedData } | null = null;

function loadChecked(cfg: TrialConfig, fingerprints: Fingerprints, baseDir: string, dtype: 'float32' | 'float64'): LoadedData {
  const key = JSON.stringify([cfg.data, baseDir, dtype]);
  if (cached?.key !== key) {
    cached = null; // let the old copy go before loading the new one
    cached = { key, data: loadData(cfg.data, { dtype, baseDir }) };
  }
  const data = cached.data;
  if (data.fingerprint !== fingerprints.data) {
    throw new Error(`the data files changed since the experiment was validated: ${data.source.files.join(', ')} ` +
      `now have fingerprint ${data.fingerprint.slice(0, 16)}, the trial was planned with ${fingerprints.data.slice(0, 16)}; ` +
      'run the experiment again to plan it on the current files');
  }
  return data;
}

export function modelSpecOf(cfg: TrialConfig): ModelSpec {
  const m = cfg.model;
  return { layers: m.layers, activation: m.activation, output: m.output, loss: m.loss };
}

export function trainOptionsOf(cfg: TrialConfig): TrainOptions {
  const t = cfg.train;
  const opts: TrainOptions = { optimizer: t.optimizer, batch: t.batch, lr: t.lr, epochs: t.epochs, l2: t.l2, seed: t.seed };
  if (t.momentum !== undefined) opts.momentum = t.momentum;
  if (t.nesterov !== undefined) opts.nesterov = t.nesterov;
  if (t.beta1 !== undefined) opts.beta1 = t.beta1;
  if (t.beta2 !== undefined) opts.beta2 = t.beta2;
  if (t.eps !== undefined) opts.eps = t.eps;
  if (t.weight_decay !== undefined) opts.weightDecay = t.weight_decay;
  opts.schedule = t.schedule;
  if (cfg.metrics !== undefined) opts.metricsEvery = cfg.metrics.every;
  return opts;
}

/**
 * Trains one trial. `emit` gets 'start', then every epoch (0 = the untrained net). `stopRequested` is asked after
 * each epoch: true ends training there (outcome status 'stopped'); the coordinator's decision travels through it.
 */
/**
 * Refuses, before loading anything, a trial whose estimated memory does not fit the thread's limit (the worker
 * threads' heap limit is `--max-memory`; in the main thread there is none and nothing is checked).
 */
function checkMemory(task: TrainTask): void {
  const limitMb = resourceLimits.maxOldGenerationSizeMb;
  if (limitMb === undefined || limitMb <= 0) return;
  let fileBytes = 0;
  try {
    for (const f of describeData(sourceSpec(task.config.data as unknown as Record<string, unknown>), { baseDir: task.baseDir }).files) fileBytes += regularFileSize(f);
  } catch {
    // unreadable data: loading reports it with its own message
  }
  const refusal = memoryRefusal(trialMemoryEstimate(task.config, fileBytes), limitMb);
  if (refusal !== null) throw new Error(refusal);
}

export function runTrainTask(task: TrainTask, emit: (e: WorkerEvent) => void, stopRequested: () => boolean = () => false): TrainOutcome {
  checkMemory(task);
  const cfg = task.config;
  const dtype = cfg.train.dtype;
  const data = loadChecked(cfg, task.fingerprints, task.baseDir, storageDtype(dtype));
  const spec = modelSpecOf(cfg);
  const model = createMlp(spec, { dtype, init: cfg.model.init, seed: cfg.train.seed, baseDir: task.baseDir, kernels: task.kernels });
  emit({ type: 'start', backend: model.kernels.label, trainSize: data.train.n, numParams: model.numParams });
  const res = train(
    model,
    { train: data.train, test: data.test, validation: data.validation, numClasses: data.numClasses },
    trainOptionsOf(cfg),
    (m) => {
      emit({ type: 'epoch', metrics: m });
      return stopRequested() ? 'stop' : undefined;
    },
  );
  return {
    kind: 'train',
    status: res.status,
    epochsDone: res.epochsDone,
    divergedAt: res.divergedAt,
    last: res.last,
    bestTestAcc: res.bestTestAcc,
    finalEval: res.testEval,
    backend: res.tier, // the kernel tier as printed: what a bit-for-bit reproduction needs again
    ...(task.returnWeights === true ? { weights: model.params.slice() } : {}),
    summary: {
      classCounts: data.classCounts,
      priorCost: classPriorCost(data.classCounts, spec.output, spec.loss),
      updates: res.updates,
      numParams: model.numParams,
      trainSize: data.train.n,
      testSize: data.test.n,
      validationSize: data.validation?.n ?? 0,
      inputSize: data.inputSize,
      numClasses: data.numClasses,
      backend: res.tier,
      dataFingerprint: data.fingerprint,
    },
  };
}

export function runGradcheckTask(task: GradcheckTask): GradcheckOutcome {
  const cfg = task.config;
  const data = loadChecked(cfg, task.fingerprints, task.baseDir, 'float64');
  const model = createMlp(modelSpecOf(cfg), {
    dtype: 'float64', init: cfg.model.init, seed: cfg.train.seed, baseDir: task.baseDir, kernels: task.kernels,
  });
  const n = Math.max(1, Math.min(cfg.gradcheck.batch, data.train.n));
  const set = { x: data.train.x.subarray(0, n * data.inputSize), labels: data.train.labels.subarray(0, n), n };
  const objective = mlpObjective(model, set, cfg.train.l2);
  const opts: { threshold: number; samples: number | 'all'; seed: number; eps?: number } = {
    threshold: cfg.gradcheck.threshold, samples: cfg.gradcheck.samples, seed: cfg.train.seed,
  };
  if (cfg.gradcheck.eps !== undefined) opts.eps = cfg.gradcheck.eps;
  const report = gradcheck(objective, opts);
  return { kind: 'gradcheck', arch: task.arch, report, batch: n, backend: model.kernels.label };
}

/** Runs any task; `end` is emitted last whether the task returns or throws. */
export function runTask(task: Task, emit: (e: WorkerEvent) => void, stopRequested?: () => boolean): Outcome {
  try {
    return task.kind === 'train' ? runTrainTask(task, emit, stopRequested) : runGradcheckTask(task);
  } finally {
    emit({ type: 'end' });
  }
}
