/**
 * Stopping rules (`prune`), asked by the scheduler in the coordinator after every recorded epoch; both decide from
 * what the database holds, so a rerun after a crash decides as the first run would have.
 * - ASHA (Li et al. 2020, asynchronous successive halving): rungs at grace·η^k epochs below the last one. A trial
 *   reaching a rung continues only if its objective there is in the top 1/η of the trials that reached that rung so
 *   far (at least the best one, Optuna's rule when fewer than η have); else it ends `pruned` at that epoch. Each
 *   decision is a `rungs` row written once: a restarted trial reaching a rung again gets the decision it had.
 * - Median stopping: from epoch max(1, warmup) on, a trial whose objective is worse than the median of the other
 *   trials' values at the same epoch (once `min_trials` of them reached it) ends `pruned`.
 */
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { Store } from '@sweeplab/store';
import { ashaRungs, type Objective, type PruneSpec } from '../config/search.js';
import type { StoppingHook } from '../scheduler/scheduler.js';
import { formatObjective, lossOf, metricOf } from './objective.js';
import type { TrialCandidate } from './strategy.js';

export class AshaRule implements StoppingHook {
  constructor(
    private readonly store: Store, private readonly experiment: string, private readonly objective: Objective,
    private readonly p: { grace: number; reduction: number },
  ) {}

  shouldStop(trial: TrialCandidate, metrics: EpochMetrics): string | null {
    const epoch = metrics.epoch;
    // an epoch whose metrics were not measured (metrics.every) cannot be compared: the trial goes on
    if (metrics.measured === false || !ashaRungs(this.p, trial.config.train.epochs).includes(epoch)) return null;
    const { metric } = this.objective;
    const value = metricOf(metrics, metric);
    const others = this.store.experimentRungs(this.experiment, epoch).filter((r) => r.trialId !== trial.id);
    const losses = [...others.map((r) => lossOf(this.objective, r.value)), lossOf(this.objective, value)].sort((a, b) => a - b);
    const keep = Math.max(1, Math.floor(losses.length / this.p.reduction));
    const cutoff = losses[keep - 1] ?? Infinity;
    const mine = lossOf(this.objective, value);
    const decided = this.store.recordRung({
      experiment: this.experiment, trialId: trial.id, epoch, value, rule: 'asha',
      decision: Number.isFinite(mine) && mine <= cutoff ? 'continued' : 'pruned',
    });
    if (decided === 'continued') return null;
    const best = this.objective.mode === 'max' ? -cutoff : cutoff;
    return `ASHA: ${metric} ${formatObjective(metric, value)} at rung epoch ${epoch} is not in the top 1/${this.p.reduction} ` +
      `(${keep} of ${losses.length} trials that reached it; cutoff ${formatObjective(metric, Number.isFinite(best) ? best : null)})`;
  }
}

export class MedianRule implements StoppingHook {
  constructor(
    private readonly store: Store, private readonly experiment: string, private readonly objective: Objective,
    private readonly p: { warmup: number; minTrials: number },
  ) {}

  shouldStop(trial: TrialCandidate, metrics: EpochMetrics): string | null {
    const epoch = metrics.epoch;
    if (metrics.measured === false || epoch < Math.max(1, this.p.warmup)) return null;
    const { metric } = this.objective;
    const others = this.store.metricAtEpoch(this.experiment, metric, epoch, trial.id)
      .map((r) => lossOf(this.objective, r.value)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (others.length < this.p.minTrials) return null;
    const mid = others.length >> 1;
    const median = others.length % 2 === 1 ? (others[mid] as number) : ((others[mid - 1] as number) + (others[mid] as number)) / 2;
    const value = metricOf(metrics, metric);
    if (lossOf(this.objective, value) <= median) return null;
    this.store.recordRung({ experiment: this.experiment, trialId: trial.id, epoch, value, decision: 'pruned', rule: 'median' });
    const m = this.objective.mode === 'max' ? -median : median;
    return `median rule: ${metric} ${formatObjective(metric, value)} at epoch ${epoch} is worse than the median ${formatObjective(metric, m)} of ${others.length} other trials there`;
  }
}

/** The stopping rule of an experiment's `prune`, or null. */
export function stoppingRule(store: Store, experiment: string, objective: Objective, prune: PruneSpec | null): StoppingHook | null {
  if (prune === null) return null;
  return prune.rule === 'asha' ? new AshaRule(store, experiment, objective, prune) : new MedianRule(store, experiment, objective, prune);
}

/** Several experiments' rules as one hook: each trial is asked about by the rule of its experiment. */
export class RulesByExperiment implements StoppingHook {
  constructor(private readonly rules: ReadonlyMap<string, StoppingHook>) {}
  shouldStop(trial: TrialCandidate, metrics: EpochMetrics): string | null {
    return this.rules.get(trial.experiment)?.shouldStop(trial, metrics) ?? null;
  }
}
