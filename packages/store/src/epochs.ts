/** How one epoch's metrics become an `epochs` row, and which of its columns are deterministic. */
import type { EpochMetrics } from '@sweeplab/nn-core';

/** The `epochs` row of one epoch as stored (column names as in the table; trial_id and attempt added by the writer). */
export interface EpochRowValues {
  epoch: number;
  cost: number | null;
  loss: number | null;
  l2_term: number | null;
  train_acc: number | null;
  test_acc: number | null;
  val_acc: number | null;
  lr: number | null;
  out_mean: number | null;
  out_std: number | null;
  seconds: number | null;
  eval_seconds: number | null;
  out_unit_mean_json: string;
  out_unit_std_json: string;
  grad_norm_json: string;
  update_ratio_json: string;
  weight_norm_json: string;
  weight_mean_json: string;
  saturation_json: string;
  /** 1: the epoch's metrics pass ran; 0: skipped by `metrics: { every: N }` */
  measured: number;
}

/** Columns of `EpochRowValues` that are deterministic (everything but the wall-clock seconds). */
export const DETERMINISTIC_EPOCH_COLUMNS = [
  'cost', 'loss', 'l2_term', 'train_acc', 'test_acc', 'val_acc', 'lr', 'out_mean', 'out_std',
  'out_unit_mean_json', 'out_unit_std_json', 'grad_norm_json', 'update_ratio_json', 'weight_norm_json',
  'weight_mean_json', 'saturation_json', 'measured',
] as const satisfies readonly (keyof EpochRowValues)[];

/** SQLite stores NaN as NULL; keep that explicit so a re-computed row compares equal to a stored one. */
export function real(x: number | null | undefined): number | null {
  return x === null || x === undefined || Number.isNaN(x) ? null : x;
}

export function epochRowValues(m: EpochMetrics): EpochRowValues {
  return {
    epoch: m.epoch,
    cost: real(m.cost),
    loss: real(m.loss),
    l2_term: real(m.l2Term),
    train_acc: real(m.trainAcc),
    test_acc: real(m.testAcc),
    val_acc: real(m.valAcc),
    lr: real(m.lr),
    out_mean: real(m.outMean),
    out_std: real(m.outStd),
    seconds: real(m.seconds),
    eval_seconds: real(m.evalSeconds),
    out_unit_mean_json: JSON.stringify(m.outUnitMean),
    out_unit_std_json: JSON.stringify(m.outUnitStd),
    grad_norm_json: JSON.stringify(m.gradNorm),
    update_ratio_json: JSON.stringify(m.updateRatio),
    weight_norm_json: JSON.stringify(m.weightNorm),
    weight_mean_json: JSON.stringify(m.weightMean),
    saturation_json: JSON.stringify(m.saturation),
    measured: m.measured === false ? 0 : 1,
  };
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
