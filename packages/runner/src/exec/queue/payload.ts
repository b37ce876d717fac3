/**
 * What travels through the queue, and how a worker checks it. One BullMQ job per task: a training job per trial
 * claim (job id `<trial id>.<attempt>`: enqueueing the same claim twice is a no-op), a gradient-check job per
 * architecture and trial. Progress events carry one WorkerEvent each, tagged with the run (BullMQ's
 * attemptsStarted: a job a dead worker had is started again by another one under a higher run); the return value
 * carries the outcome and the run's whole event history, so a coordinator that missed events reconciles from it.
 *
 * A worker gets its payloads from the network, so it trusts none of them: `checkPayload` bounds the size, checks
 * every field's form, validates the trial config against the experiment schema (trial-check.ts) and checks that
 * the trial id is the hash of that config and its fingerprints. Nothing in a payload is ever executed.
 */
import type { EpochMetrics } from '@sweeplab/nn-core';
import { archOf, trialIdOf } from '../../config/id.js';
import type { TrialConfig } from '../../config/resolve.js';
import { trialConfigIssues } from '../../config/trial-check.js';
import type { Outcome, Task, WorkerEvent } from '../types.js';

/** The payload format version (a worker refuses other versions). */
export const PAYLOAD_VERSION = 1;
/** Largest accepted job payload, as JSON (a trial config is ~1-2 KB). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** The default queue name (`--queue-name`). */
export const DEFAULT_QUEUE_NAME = 'sweeplab';

export interface JobPayload {
  v: number;
  task: Task;
}

/**
 * One job progress update: events of run `run` of the job, from worker `worker` (host:pid), in order. Usually one;
 * a worker whose previous update is still on its way sends what came meanwhile together in the next one.
 */
export interface JobProgress {
  run: number;
  worker: string;
  events: WorkerEvent[];
}

/** A job's return value: the outcome and every start/epoch event of the run that produced it, in order. */
export interface JobResult {
  run: number;
  worker: string;
  outcome: Outcome;
  events: WorkerEvent[];
}

/** Why a job failed, as the worker tells it: `[CODE] message` in BullMQ's failedReason. */
export const FAILURE_PREFIX = /^\[(THREW|CRASHED|OUT_OF_MEMORY|ABORTED|UNAVAILABLE|BAD_PAYLOAD|DATA)\] /;

/** The BullMQ job id of a task (ids may not contain ':' nor be integers). */
export function jobIdOf(task: Task): string {
  return task.kind === 'train' ? `${task.trialId}.${task.attempt}` : `gc.${task.arch}.${task.trialId}`;
}

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;

function only(o: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new PayloadError(`${what} has unknown field(s) ${extra.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
}

/**
 * Checks a job payload and returns its task, or throws PayloadError naming the first problem. `json` is the
 * payload's size as JSON when the caller has it (else it is measured).
 */
export function checkPayload(data: unknown, json?: string): Task {
  let size: number;
  try {
    size = Buffer.byteLength(json ?? JSON.stringify(data) ?? '');
  } catch {
    throw new PayloadError('the payload is not plain JSON data');
  }
  if (size > MAX_PAYLOAD_BYTES) throw new PayloadError(`the payload has ${size} bytes, more than the ${MAX_PAYLOAD_BYTES} a trial needs`);
  if (!isObj(data)) throw new PayloadError('the payload is not an object');
  only(data, ['v', 'task'], 'the payload');
  if (data.v !== PAYLOAD_VERSION) {
    throw new PayloadError(`payload version ${JSON.stringify(data.v)?.slice(0, 20)} is not ${PAYLOAD_VERSION}: the coordinator and this worker run different sweeplab versions`);
  }
  const t = data.task;
  if (!isObj(t)) throw new PayloadError('the payload has no task object');
  if (t.kind !== 'train' && t.kind !== 'gradcheck') throw new PayloadError('task.kind must be "train" or "gradcheck"');
  only(t, t.kind === 'train' ? ['kind', 'trialId', 'attempt', 'config', 'fingerprints', 'baseDir', 'kernels', 'returnWeights']
    : ['kind', 'arch', 'trialId', 'config', 'fingerprints', 'baseDir', 'kernels'], 'the task');
  if (typeof t.trialId !== 'string' || !HEX16.test(t.trialId)) throw new PayloadError('task.trialId must be 16 hex digits');
  if (t.kind === 'train' && !(Number.isSafeInteger(t.attempt) && (t.attempt as number) >= 1)) throw new PayloadError('task.attempt must be a whole number >= 1');
  if (t.kind === 'gradcheck' && (typeof t.arch !== 'string' || !HEX16.test(t.arch))) throw new PayloadError('task.arch must be 16 hex digits');
  if (t.kernels !== 'auto' && t.kernels !== 'js' && t.kernels !== 'native') throw new PayloadError('task.kernels must be auto, js or native');
  if (typeof t.baseDir !== 'string' || t.baseDir.length > 4096) throw new PayloadError('task.baseDir must be a path');
  if (t.returnWeights !== undefined && typeof t.returnWeights !== 'boolean') throw new PayloadError('task.returnWeights must be true or false');
  const f = t.fingerprints;
  if (!isObj(f)) throw new PayloadError('task.fingerprints must be an object');
  only(f, ['data', 'init'], 'task.fingerprints');
  if (typeof f.data !== 'string' || !HEX64.test(f.data)) throw new PayloadError('task.fingerprints.data must be a sha256 (64 hex digits)');
  if (f.init !== null && (typeof f.init !== 'string' || !HEX64.test(f.init))) throw new PayloadError('task.fingerprints.init must be null or a sha256');
  const issues = trialConfigIssues(t.config);
  if (issues.length > 0) {
    throw new PayloadError(`the trial config does not validate: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`);
  }
  const config = t.config as TrialConfig;
  const fingerprints = { data: f.data, init: f.init };
  if (trialIdOf(config, fingerprints) !== t.trialId) throw new PayloadError(`task.trialId ${t.trialId} is not the id of its config and fingerprints`);
  if (t.kind === 'gradcheck' && archOf(config) !== t.arch) throw new PayloadError(`task.arch ${String(t.arch)} is not the architecture of its config`);
  return t.kind === 'train'
    ? {
      kind: 'train', trialId: t.trialId, attempt: t.attempt as number, config, fingerprints, baseDir: t.baseDir, kernels: t.kernels,
      ...(t.returnWeights === true ? { returnWeights: true } : {}),
    }
    : { kind: 'gradcheck', arch: t.arch as string, trialId: t.trialId, config, fingerprints, baseDir: t.baseDir, kernels: t.kernels };
}

const isNum = (v: unknown): v is number => typeof v === 'number';

/** A light form check of what a worker sent back (the coordinator writes it: a malformed one fails the trial). */
export function checkEvent(e: unknown): WorkerEvent | null {
  if (!isObj(e)) return null;
  if (e.type === 'start' && typeof e.backend === 'string' && isNum(e.trainSize) && isNum(e.numParams)) {
    return { type: 'start', backend: e.backend.slice(0, 40), trainSize: e.trainSize, numParams: e.numParams };
  }
  if (e.type === 'epoch' && isObj(e.metrics) && Number.isSafeInteger(e.metrics.epoch) && (e.metrics.epoch as number) >= 0) {
    return { type: 'epoch', metrics: e.metrics as unknown as EpochMetrics };
  }
  return null;
}

/** Trained parameters as they travel in a return value: the raw bytes, base64 (bit for bit, ~1.4x the size). */
export interface EncodedWeights {
  dtype: 'float32' | 'float64';
  base64: string;
}

/** The outcome as JSON can carry it: typed-array weights become EncodedWeights. */
export function encodeOutcome(o: Outcome): Outcome {
  if (o.kind !== 'train' || o.weights === undefined) return o;
  const w = o.weights;
  const enc: EncodedWeights = {
    dtype: w instanceof Float32Array ? 'float32' : 'float64',
    base64: Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('base64'),
  };
  return { ...o, weights: enc as unknown as Float64Array };
}

function decodeWeights(v: unknown): Float32Array | Float64Array | null {
  if (!isObj(v) || (v.dtype !== 'float32' && v.dtype !== 'float64') || typeof v.base64 !== 'string') return null;
  const b = Buffer.from(v.base64, 'base64');
  const size = v.dtype === 'float32' ? 4 : 8;
  if (b.byteLength % size !== 0) return null;
  const copy = new ArrayBuffer(b.byteLength);
  new Uint8Array(copy).set(b);
  return v.dtype === 'float32' ? new Float32Array(copy) : new Float64Array(copy);
}

export function checkResult(r: unknown, task: Task): JobResult | null {
  if (!isObj(r) || !Number.isSafeInteger(r.run) || typeof r.worker !== 'string' || !isObj(r.outcome) || !Array.isArray(r.events)) return null;
  if (r.outcome.kind !== task.kind) return null;
  const events: WorkerEvent[] = [];
  for (const e of r.events) {
    const ok = checkEvent(e);
    if (ok === null) return null;
    events.push(ok);
  }
  const outcome = { ...r.outcome } as unknown as Outcome;
  if (outcome.kind === 'train' && outcome.weights !== undefined) {
    const w = decodeWeights(outcome.weights);
    if (w === null) return null;
    outcome.weights = w;
  }
  return { run: r.run as number, worker: r.worker, outcome, events };
}

export function checkProgress(p: unknown): JobProgress | null {
  if (!isObj(p) || !Number.isSafeInteger(p.run) || typeof p.worker !== 'string' || !Array.isArray(p.events)) return null;
  const events: WorkerEvent[] = [];
  for (const e of p.events) {
    const ok = checkEvent(e);
    if (ok === null) return null;
    events.push(ok);
  }
  return { run: p.run as number, worker: p.worker.slice(0, 200), events };
}

/** Redis keys and channels of sweeplab's own (beside BullMQ's): the stop requests of a queue's jobs. */
export const stopKey = (queue: string, jobId: string) => `sweeplab:${queue}:stop:${jobId}`;
export const stopChannel = (queue: string) => `sweeplab:${queue}:stop`;
