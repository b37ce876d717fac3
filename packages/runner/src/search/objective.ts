/** The objective of an experiment read off an epoch's metrics, and made lower-is-better for ranking. */
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { MetricColumn } from '@sweeplab/store';
import type { Objective } from '../config/search.js';

/** The metric's value at an epoch; null when it was not measured or is not finite (a diverged net). */
export function metricOf(m: Pick<EpochMetrics, 'cost' | 'loss' | 'trainAcc' | 'valAcc' | 'testAcc'>, metric: MetricColumn): number | null {
  const v = metric === 'cost' ? m.cost : metric === 'loss' ? m.loss : metric === 'train_acc' ? m.trainAcc : metric === 'val_acc' ? m.valAcc : m.testAcc;
  return v !== null && Number.isFinite(v) ? v : null;
}

/** Lower is better: the value for `min`, its negation for `max`; a missing value is the worst (Infinity). */
export function lossOf(o: Objective, v: number | null | undefined): number {
  if (v === null || v === undefined || !Number.isFinite(v)) return Infinity;
  return o.mode === 'max' ? -v : v;
}

/** `0.9731` as the objective is usually read: accuracies in percent, costs as numbers. */
export function formatObjective(metric: MetricColumn, v: number | null): string {
  if (v === null) return 'n/a';
  return metric.endsWith('_acc') ? `${(100 * v).toFixed(2)}%` : v.toPrecision(4);
}
