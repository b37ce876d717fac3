/**
 * `sweeplab export <trial-id> --out model.npz`: the trained weights of a finished trial, as an .npz with W1..WL or
 * a directory of W1.npy..WL.npy (the layouts `model.init: { npy: … }` reads). The weights `run --keep-weights`
 * kept are copied; otherwise the trial is retrained from its stored config on the kernel backend it was trained
 * with (a pruned trial up to the epoch it was pruned at) and the retrained run must match the stored epochs bit
 * for bit, or nothing is written. Writes nothing to the database.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadWeights } from '@sweeplab/nn-core';
import { DETERMINISTIC_EPOCH_COLUMNS, epochRowValues, InputError, sameStoredValue, type EpochRowValues } from '@sweeplab/store';
import type { TrialConfig } from '../config/index.js';
import { modelSpecOf, runTrainTask } from '../exec/tasks.js';
import type { KernelsSetting, TrainTask } from '../exec/types.js';
import { dataFingerprint } from '../pipeline/baselines.js';
import { writeWeights } from '../pipeline/weights.js';
import { withResults } from './open.js';

export interface ExportResult {
  trialId: string;
  out: string;
  /** 'kept': copied from the weights `run --keep-weights` kept; 'retrained': trained again from the stored config */
  source: 'kept' | 'retrained';
  layout: 'npz' | 'npy-directory';
  /** the epoch the weights are of (the last one, or the pruning epoch) */
  epoch: number;
  /** the trial's stored final test accuracy, which the weights give on its test subset */
  testAcc: number | null;
  status: string;
}

export class ExportMismatchError extends Error {
  override readonly name = 'ExportMismatchError';
}

/** The kernel choice that gives a stored backend again: a tier label ('native (…)', 'typescript…'), or 'js' / 'native'. */
function kernelsOf(backend: string): KernelsSetting {
  return backend === 'js' || backend.startsWith('typescript') ? 'js' : 'native';
}

interface Stored {
  id: string;
  status: string;
  config: TrialConfig;
  task: TrainTask;
  epochs: EpochRowValues[];
  stopAt: number | null;
  /** the backend it trained on is not recorded (a pruned trial): both kernel families are tried */
  backendKnown: boolean;
  kept: string | null;
  testAcc: number | null;
}

function readStored(db: string, idPrefix: string): Stored {
  return withResults(db, (r) => r.snapshot(() => {
    const id = r.resolveTrialId(idPrefix);
    const t = r.trial(id);
    if (!t || (t.status !== 'done' && t.status !== 'pruned')) {
      const why = t?.status === 'diverged' ? 'it diverged, so its weights are not finite numbers' : `it is ${t?.status ?? 'missing'}`;
      throw new InputError('NOT_FINISHED', `trial ${id} cannot be exported: ${why}; export a done or pruned trial (see \`sweeplab query "SELECT trial_id, status FROM trial_summary"\`)`);
    }
    const exp = r.experiment(t.experiment);
    const config = t.config as unknown as TrialConfig;
    const baseDir = exp ? dirname(exp.file) : process.cwd();
    const fp = t.summary?.dataFingerprint;
    const kept = t.weightsPath ? resolve(dirname(resolve(db)), t.weightsPath) : null;
    return {
      id, status: t.status, config, epochs: r.rawEpochs(id), stopAt: t.status === 'pruned' ? t.prunedEpoch : null, backendKnown: t.backend !== null,
      kept: kept !== null && existsSync(kept) ? kept : null, testAcc: t.finalTestAcc,
      task: {
        kind: 'train', trialId: id, attempt: t.attempt, config, baseDir, kernels: kernelsOf(t.backend ?? 'native'), returnWeights: true,
        fingerprints: { data: typeof fp === 'string' ? fp : dataFingerprint(config.data as unknown as Record<string, unknown>, baseDir), init: null },
      },
    };
  }));
}

/** Retrains the trial (to its pruning epoch if pruned) and checks every epoch against the stored rows. */
function retrain(s: Stored): Float32Array | Float64Array {
  const fresh: EpochRowValues[] = [];
  const stopAt = s.stopAt;
  const out = runTrainTask(s.task, (e) => {
    if (e.type === 'epoch') fresh.push(epochRowValues(e.metrics));
  }, () => stopAt !== null && fresh.length > stopAt);
  if (fresh.length !== s.epochs.length) {
    throw new ExportMismatchError(`trial ${s.id}: retraining gave ${fresh.length} epochs, the database has ${s.epochs.length}: the weights were not written`);
  }
  fresh.forEach((row, i) => {
    const stored = s.epochs[i] as EpochRowValues;
    for (const col of DETERMINISTIC_EPOCH_COLUMNS) {
      if (!sameStoredValue(stored[col], row[col])) {
        throw new ExportMismatchError(`trial ${s.id}: retraining on the ${s.task.kernels} kernels differs from the stored run at epoch ${row.epoch}, ${col} ` +
          `(stored ${JSON.stringify(stored[col])}, now ${JSON.stringify(row[col])}): the weights were not written`);
      }
    }
  });
  if (out.weights === undefined) throw new Error('the training task returned no weights');
  return out.weights;
}

/**
 * Retrains on the kernels the trial ran on; when they are not recorded (a trial pruned before its outcome came
 * back), on the native kernels and then on the TypeScript ones: the run that matches the database bit for bit wins.
 */
function retrainMatching(s: Stored): Float32Array | Float64Array {
  if (s.backendKnown) return retrain(s);
  let first: unknown = null;
  for (const kernels of ['native', 'js'] as const) {
    try {
      return retrain({ ...s, task: { ...s.task, kernels } });
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

export function exportTrial(idPrefix: string, opts: { db: string; out: string }): ExportResult {
  const s = readStored(opts.db, idPrefix);
  const weights = s.kept !== null ? loadWeights(s.kept, modelSpecOf(s.config), s.config.train.dtype) : retrainMatching(s);
  writeWeights(s.config, weights, opts.out);
  return {
    trialId: s.id, out: opts.out, source: s.kept !== null ? 'kept' : 'retrained',
    layout: opts.out.toLowerCase().endsWith('.npz') ? 'npz' : 'npy-directory',
    epoch: s.epochs.at(-1)?.epoch ?? 0, testAcc: s.testAcc, status: s.status,
  };
}
