/**
 * `sweeplab reproduce <trial-id>`: re-runs a finished trial from its stored config on the kernel backend it was
 * trained with, and compares every epoch's metrics with the stored rows bit for bit. Writes nothing.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { describeData } from '@sweeplab/data';
import { DETERMINISTIC_EPOCH_COLUMNS, epochRowValues, InputError, sameStoredValue, type EpochRowValues } from '@sweeplab/store';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { sourceSpec } from '../config/checks.js';
import { initFingerprint, trialIdOf } from '../config/id.js';
import type { TrialConfig } from '../config/index.js';
import { runTrainTask } from '../exec/tasks.js';
import { kernelSummary } from '../kernels.js';
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
  /**
   * The trial's input files are not the ones it ran on (set instead of re-running it): the data files or the init
   * weights, named, with what changed.
   */
  inputsChanged: { files: string[]; detail: string } | null;
  seconds: number;
}

interface Stored { task: TrainTask; epochs: EpochRowValues[]; finalEval: string | null; backend: string; storedData: string | null }

/** The kernel choice that gives a stored backend again: its tier label ('native (…)', 'typescript'), or 'js'/'native'. */
function kernelsOf(backend: string): KernelsSetting {
  return backend === 'js' || backend.startsWith('typescript') ? 'js' : 'native';
}

/**
 * Whether this machine has the kernels the trial ran on: OpenBLAS, the built-in GEMM and the TypeScript kernels sum
 * in different orders, so only the same tier reproduces bits (a stored 'js'/'native' of an older version: assumed).
 */
function changedKernels(backend: string): string | null {
  if (backend === 'js' || backend === 'native') return null;
  let here: string;
  try {
    here = kernelSummary(kernelsOf(backend)).tier;
  } catch (e) {
    return `no native kernels (${(e as Error).message})`;
  }
  return backend.startsWith(here) ? null : here;
}

/**
 * Whether the files a trial read are still the ones it ran on: the data files' fingerprint against the stored one,
 * then the trial id recomputed with the current init weights (the id holds their fingerprint).
 */
function changedInputs(s: Stored): ReproduceResult['inputsChanged'] {
  const { config, baseDir, trialId } = s.task;
  const data = config.data as unknown as Record<string, unknown>;
  let info: { fingerprint: string; files: string[] };
  try {
    info = describeData(sourceSpec(data), { baseDir });
  } catch (e) {
    return { files: [], detail: `its data cannot be read any more (${(e as Error).message})` };
  }
  if (s.storedData !== null && info.fingerprint !== s.storedData) {
    return { files: info.files, detail: `the data files' fingerprint was ${s.storedData.slice(0, 16)}, it is ${info.fingerprint.slice(0, 16)} now` };
  }
  const init = config.model.init;
  if (typeof init === 'object' && init !== null && 'npy' in init) {
    const abs = isAbsolute(init.npy) ? init.npy : resolve(baseDir, init.npy);
    const fp = initFingerprint(abs, config.model.layers.length - 1);
    if (fp === null || trialIdOf(config, { data: info.fingerprint, init: fp }) !== trialId) {
      return { files: [abs], detail: fp === null ? 'the init weights cannot be read any more' : 'the init weights are not the ones it started from' };
    }
  }
  return null;
}

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
        baseDir, kernels: kernelsOf(backend),
      },
      epochs: r.rawEpochs(id),
      finalEval: trial.finalEval === null ? null : JSON.stringify(trial.finalEval),
      backend,
      storedData: typeof stored === 'string' ? stored : null,
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
  const otherTier = changedKernels(s.backend);
  const inputsChanged = changedInputs(s) ?? (otherTier === null ? null
    : { files: [], detail: `it trained on the kernels ${s.backend} and this machine has ${otherTier}, which sum in another order (bits differ)` });
  if (inputsChanged !== null) {
    return {
      trialId: s.task.trialId, backend: s.backend, storedEpochs: s.epochs.length, reproducedEpochs: 0, epochsCompared: 0,
      columns: DETERMINISTIC_EPOCH_COLUMNS, match: false, firstMismatch: null, inputsChanged, seconds: 0,
    };
  }
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
    epochsCompared: compared, columns: DETERMINISTIC_EPOCH_COLUMNS, match: mismatch === null, firstMismatch: mismatch, inputsChanged: null, seconds,
  };
}
