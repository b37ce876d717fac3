/**
 * `sweeplab reproduce <trial-id>`: re-runs a finished trial from its stored config on the kernel backend it was
 * trained with, and compares every epoch's metrics with the stored rows bit for bit. Writes nothing.
 */
import { dirname } from 'node:path';
import { InputError } from './errors.js';
import { runTrainTask } from './exec/tasks.js';
import type { KernelsSetting, TrainTask, TrialConfigInput } from './exec/types.js';
import { DEFAULT_DB_PATH, openReadOnly } from './store/db.js';
import { getEpochs, getExperiment, getTrial, resolveTrialId } from './store/read.js';
import { DETERMINISTIC_EPOCH_COLUMNS, epochRowValues, type EpochInput, type EpochRowValues } from './store/store.js';

export interface Mismatch {
  /** epoch number, or -1 for the number of epochs, or 'final' for the final test evaluation */
  epoch: number | 'final';
  column: string;
  stored: unknown;
  reproduced: unknown;
}

export interface ReproduceResult {
  trialId: string;
  backend: string;
  storedEpochs: number;
  reproducedEpochs: number;
  /** epochs whose deterministic columns were compared */
  epochsCompared: number;
  columns: readonly string[];
  match: boolean;
  firstMismatch: Mismatch | null;
  seconds: number;
}

const view = new DataView(new ArrayBuffer(8));
function bits(x: number): bigint {
  view.setFloat64(0, x);
  return view.getBigUint64(0);
}

/**
 * Bit-for-bit equality of two stored values as SQLite keeps them: numbers by their float64 bit patterns, with
 * NaN as NULL and -0 as 0 (SQLite stores NaN as NULL and writes -0.0 as integer 0); JSON text exactly (JS prints
 * every double in its shortest round-trip form, so equal text means equal bits).
 */
export function sameStoredValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (typeof v === 'number' ? (Number.isNaN(v) ? null : v === 0 ? 0 : v) : v ?? null);
  const x = norm(a);
  const y = norm(b);
  if (typeof x === 'number' && typeof y === 'number') return bits(x) === bits(y);
  return x === y;
}

export function reproduceTrial(idPrefix: string, opts: { db?: string } = {}): ReproduceResult {
  const db = openReadOnly(opts.db ?? DEFAULT_DB_PATH);
  let task: TrainTask;
  let stored: ReturnType<typeof getEpochs>;
  let storedFinalEval: string | null;
  let backend: string;
  try {
    const id = resolveTrialId(db, idPrefix);
    const trial = getTrial(db, id)!;
    if (trial.status !== 'done' && trial.status !== 'diverged') {
      throw new InputError('NOT_FINISHED', `trial ${id} is ${trial.status}: only done or diverged trials can be reproduced; run its experiment first`);
    }
    const exp = getExperiment(db, trial.experiment);
    backend = trial.backend ?? 'js';
    task = {
      kind: 'train', trialId: id, config: JSON.parse(trial.config_json) as TrialConfigInput,
      baseDir: exp ? dirname(exp.file) : process.cwd(), kernels: backend as KernelsSetting,
    };
    stored = getEpochs(db, id);
    storedFinalEval = trial.final_eval_json;
  } finally {
    db.close();
  }
  const t0 = Date.now();
  const fresh: EpochRowValues[] = [];
  const res = runTrainTask(task, (e) => {
    if (e.type === 'epoch') fresh.push(epochRowValues(e.metrics as EpochInput));
  });
  const seconds = (Date.now() - t0) / 1000;

  let firstMismatch: Mismatch | null = null;
  let compared = 0;
  const n = Math.min(stored.length, fresh.length);
  outer: for (let i = 0; i < n; i++) {
    const a = stored[i]!;
    const b = fresh[i]!;
    if (a.epoch !== b.epoch) {
      firstMismatch = { epoch: a.epoch, column: 'epoch', stored: a.epoch, reproduced: b.epoch };
      break;
    }
    for (const col of DETERMINISTIC_EPOCH_COLUMNS) {
      if (!sameStoredValue(a[col], b[col])) {
        firstMismatch = { epoch: a.epoch, column: col, stored: a[col], reproduced: b[col] };
        break outer;
      }
    }
    compared++;
  }
  if (!firstMismatch && stored.length !== fresh.length) {
    firstMismatch = { epoch: -1, column: 'number of epochs', stored: stored.length, reproduced: fresh.length };
  }
  const freshFinal = res.finalEval == null ? null : JSON.stringify(res.finalEval);
  if (!firstMismatch && !sameStoredValue(storedFinalEval, freshFinal)) {
    firstMismatch = { epoch: 'final', column: 'final_eval_json', stored: storedFinalEval, reproduced: freshFinal };
  }
  return {
    trialId: task.trialId, backend, storedEpochs: stored.length, reproducedEpochs: fresh.length, epochsCompared: compared,
    columns: DETERMINISTIC_EPOCH_COLUMNS, match: firstMismatch === null, firstMismatch, seconds,
  };
}

export function renderReproduce(r: ReproduceResult): string {
  if (r.match) {
    return `trial ${r.trialId}: reproduced bit for bit on the ${r.backend} kernels: all ${r.epochsCompared} epochs match ` +
      `(${r.columns.length} metrics each, plus the final test evaluation; wall seconds not compared)\n`;
  }
  const m = r.firstMismatch!;
  const where = m.epoch === 'final' ? 'the final test evaluation' : m.epoch === -1 ? 'the epoch count' : `epoch ${m.epoch}`;
  return `trial ${r.trialId}: NOT reproduced on the ${r.backend} kernels: first difference at ${where}, ${m.column}: ` +
    `stored ${JSON.stringify(m.stored)}, reproduced ${JSON.stringify(m.reproduced)} ` +
    `(${r.epochsCompared} earlier epoch(s) matched)\n`;
}
