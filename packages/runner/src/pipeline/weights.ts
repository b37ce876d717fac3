/**
 * `run --keep-weights best|all|none`: the trained weights come back from the worker in the outcome (plain data)
 * and the coordinator writes them to `<db dir>/weights/<trial-id>.npz` (W1..WL, nn-core's layout, the layout
 * `model.init: { npy: … }` reads), recording the path in `trials.weights_path` (relative to the database's
 * directory). `best` keeps one file per experiment: the best finished trial by the experiment's objective (a new
 * best replaces the previous one's file); `all` keeps every trial that trained to its end. A pruned trial's weights
 * are not kept (the worker may have trained past the rung); `export` retrains it to its rung instead.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createMlp, saveWeights } from '@sweeplab/nn-core';
import type { Store } from '@sweeplab/store';
import type { TrialConfig } from '../config/index.js';
import type { Objective } from '../config/search.js';
import { modelSpecOf } from '../exec/tasks.js';
import type { EventReply, Executor, Outcome, Task, TrainOutcome, WorkerEvent } from '../exec/types.js';
import { lossOf, metricOf } from '../search/objective.js';

export type KeepWeights = 'best' | 'all' | 'none';
export const KEEP_WEIGHTS: readonly KeepWeights[] = ['best', 'all', 'none'];

/** Writes `params` (the flat parameters of `config`'s model) as W1..WL: an .npz, or a directory of .npy files. */
export function writeWeights(config: TrialConfig, params: Float32Array | Float64Array, path: string): void {
  const model = createMlp(modelSpecOf(config), { dtype: config.train.dtype, init: 'xavier', seed: 1, kernels: 'js' });
  if (model.params.length !== params.length) {
    throw new Error(`the weights have ${params.length} parameters but the model ${config.model.layers.join('-')} has ${model.params.length}`);
  }
  model.params.set(params);
  mkdirSync(dirname(resolve(path)), { recursive: true });
  if (!path.toLowerCase().endsWith('.npz')) {
    saveWeights(model, path);
    return;
  }
  const tmp = `${path}.${process.pid}.tmp.npz`; // a reader never sees half a file
  try {
    saveWeights(model, tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Where the kept weights of a trial go, relative to the database's directory. */
export const keptPath = (trialId: string): string => join('weights', `${trialId}.npz`);

export class WeightsKeeper {
  private readonly dbDir: string;

  /** `objectives`: the run's experiments (built-in ones left out) and what ranks their trials */
  constructor(private readonly store: Store, dbPath: string, readonly mode: KeepWeights, private readonly objectives: ReadonlyMap<string, Objective>) {
    this.dbDir = dirname(resolve(dbPath));
  }

  /** Keeps the weights of a trial that trained to its end, if the mode wants them. Never throws: a notice instead. */
  keep(trialId: string, config: TrialConfig, out: TrainOutcome): string | null {
    if (this.mode === 'none' || out.status !== 'done' || out.weights === undefined) return null;
    const exps = this.store.trialLinks(trialId).map((l) => l.experiment).filter((e) => this.objectives.has(e));
    if (exps.length === 0) return null;
    const bestIn = this.mode === 'best' ? exps.filter((e) => this.isBest(e, trialId, out)) : exps;
    if (bestIn.length === 0) return null;
    try {
      writeWeights(config, out.weights, join(this.dbDir, keptPath(trialId)));
      this.store.setWeightsPath(trialId, keptPath(trialId));
    } catch (e) {
      return `could not keep the weights of trial ${trialId}: ${(e as Error).message}`;
    }
    if (this.mode === 'best') for (const e of bestIn) this.dropOthers(e, trialId);
    return null;
  }

  /** Whether the trial's final objective is at least as good as every other finished trial's of the experiment. */
  private isBest(experiment: string, trialId: string, out: TrainOutcome): boolean {
    const o = this.objectives.get(experiment) as Objective;
    const mine = lossOf(o, metricOf(out.last, o.metric));
    if (!Number.isFinite(mine)) return false;
    const others = this.store.searchTrials(experiment, o.metric).filter((r) => r.id !== trialId && r.status === 'done');
    return others.every((r) => mine <= lossOf(o, r.value));
  }

  /** Removes the kept files of the experiment's other trials (a better one replaced them). */
  private dropOthers(experiment: string, trialId: string): void {
    const o = this.objectives.get(experiment) as Objective;
    for (const r of this.store.searchTrials(experiment, o.metric)) {
      if (r.id === trialId || r.weightsPath === null) continue;
      const abs = resolve(this.dbDir, r.weightsPath);
      if (existsSync(abs)) rmSync(abs, { force: true });
      this.store.setWeightsPath(r.id, null);
    }
  }
}

/**
 * The run's executor with weights keeping: training tasks ask for their weights, and an outcome that trained to
 * its end is handed to the keeper before the scheduler records it. Any executor works underneath.
 */
export class KeepingExecutor implements Executor {
  /** `keeper()`: the keeper of the run (null: keep nothing), asked when a task ends */
  constructor(private readonly inner: Executor, private readonly keeper: () => WeightsKeeper | null, private readonly notice: (message: string) => void) {}

  get concurrency(): number {
    return this.inner.concurrency;
  }

  async run(task: Task, onEvent: (e: WorkerEvent) => EventReply | void, signal: AbortSignal): Promise<Outcome> {
    const keeper = this.keeper();
    if (task.kind !== 'train' || keeper === null || keeper.mode === 'none') return this.inner.run(task, onEvent, signal);
    const out = await this.inner.run({ ...task, returnWeights: true }, onEvent, signal);
    if (out.kind === 'train') {
      const problem = keeper.keep(task.trialId, task.config, out);
      if (problem !== null) this.notice(problem);
      delete out.weights; // the scheduler records plain metrics
    }
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
