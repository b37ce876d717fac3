/**
 * `sweeplab reproduce <trial-id>`: re-runs a finished trial from its stored config on the kernel backend it was
 * trained with, and compares every epoch's metrics with the stored rows bit for bit. Writes nothing.
 */
import { dirname } from 'node:path';
import { DETERMINISTIC_EPOCH_COLUMNS, epochRowValues, InputError, sameStoredValue, type EpochRowValues } from '@sweeplab/store';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { TrialConfig } from '../config/index.js';
import { runTrainTask } from '../exec/tasks.js';
import { dataFingerprint } from '../pipeline/baselines.js';
import type { KernelsSetting, TrainTask } from '../exec/types.js';
import { withResults } from './open.js';

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

interface Stored { task: TrainTask; epochs: EpochRowValues[]; finalEval: string | null; backend: string }

function readStored(db: string, idPrefix: string): Stored {
  return withResults(db, (r) => r.snapshot(() => {
    const id = r.resolveTrialId(idPrefix);
    const trial = r.trial(id);
    if (!trial || (trial.status !== 'done' && trial.status !== 'diverged')) {
      throw new InputError('NOT_FINISHED', `trial ${id} is ${trial?.status ?? 'missing'}: only done or diverged trials can be reproduced; run its experiment first`);
    }
    const exp = r.experiment(trial.experiment);
    const backend = trial.backend ?? 'js';
    const config = trial.config as unknown as TrialConfig;
    const baseDir = exp ? dirname(exp.file) : process.cwd();
    const stored = trial.summary?.dataFingerprint;
    const fingerprint = typeof stored === 'string' ? stored : dataFingerprint(config.data as unknown as Record<string, unknown>, baseDir);
    return {
      task: {
        kind: 'train', trialId: id, attempt: trial.attempt, config, fingerprints: { data: fingerprint, init: null },
        baseDir, kernels: backend as KernelsSetting,
      },
      epochs: r.rawEpochs(id),
      finalEval: trial.finalEval === null ? null : JSON.stringify(trial.finalEval),
      backend,
    };
  }));
}

function firstDifference(stored: readonly EpochRowValues[], fresh: readonly EpochRowValues[]): { mismatch: Mismatch | null; compared: number } {
  let compared = 0;
  for (let i = 0; i < Math.min(stored.length, fresh.length); i++) {
    const a = stored[i];
    const b = fresh[i];
    if (!a || !b) break;
    if (a.epoch !== b.epoch) return { mismatch: { epoch: a.epoch, column: 'epoch', stored: a.epoch, reproduced: b.epoch }, compared };
    for (const col of DETERMINISTIC_EPOCH_COLUMNS) {
      if (!sameStoredValue(a[col], b[col])) return { mismatch: { epoch: a.epoch, column: col, stored: a[col], reproduced: b[col] }, compared };
    }
    compared++;
  }
  if (stored.length !== fresh.length) {
    return { mismatch: { epoch: -1, column: 'number of epochs', stored: stored.length, reproduced: fresh.length }, compared };
  }
  return { mismatch: null, compared };
}

export function reproduceTrial(idPrefix: string, opts: { db: string; clock?: Clock }): ReproduceResult {
  const clock = opts.clock ?? systemClock;
  const s = readStored(opts.db, idPrefix);
  const t0 = clock.now();
  const fresh: EpochRowValues[] = [];
  // the stored data fingerprint is the one the trial trained on: a data file changed since fails here, by name
  const res = runTrainTask(s.task, (e) => {
    if (e.type === 'epoch') fresh.push(epochRowValues(e.metrics));
  });
  const seconds = (clock.now() - t0) / 1000;
  const diff = firstDifference(s.epochs, fresh);
  const freshFinal = res.finalEval === null ? null : JSON.stringify(res.finalEval);
  const mismatch = diff.mismatch ?? (sameStoredValue(s.finalEval, freshFinal) ? null
    : { epoch: 'final' as const, column: 'final_eval_json', stored: s.finalEval, reproduced: freshFinal });
  const compared = diff.compared;
  return {
    trialId: s.task.trialId, backend: s.backend, storedEpochs: s.epochs.length, reproducedEpochs: fresh.length,
    epochsCompared: compared, columns: DETERMINISTIC_EPOCH_COLUMNS, match: mismatch === null, firstMismatch: mismatch, seconds,
  };
}
