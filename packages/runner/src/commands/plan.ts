/**
 * `sweeplab plan <file>`: the trials a file expands to, with their swept parameters, which of them the database
 * already has finished, the work (Σ epochs × training samples) and a rough time estimate.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isFinished, type TrialStatus } from '@sweeplab/store';
import { loadExperiment, type LoadedExperiment, type TrialConfig } from '../config/index.js';
import { ashaRungs, planSuggestion, type Distribution, type Objective, type PruneSpec } from '../config/search.js';
import { dimsOf, randomDraw, suggestionRng } from '../search/space.js';
import { kernelSummary } from '../kernels.js';
import { trainCount, trialFlops } from '../work.js';
import { withResults } from './open.js';

export interface PlanTrial {
  id: string;
  position: number;
  params: Record<string, unknown>;
  /** status in the database, or 'new' when the database does not have the trial */
  status: TrialStatus | 'new';
  epochs: number;
  trainSize: number;
  /** epochs × training samples */
  sampleEpochs: number;
  /** estimated floating-point operations (training passes plus the per-epoch evaluation) */
  flops: number;
}

/** What `plan` says about a search (sweep.search), a stopping rule and the compute they may spend. */
export interface SearchPlan {
  objective: Objective;
  search: null | {
    sampler: 'random' | 'tpe';
    trials: number;
    seed: number;
    startup: number;
    /** searched path -> its distribution as written ({ loguniform: [a, b] }, …) */
    params: Array<{ path: string; distribution: Distribution }>;
    /** suggestions already in the database, and how many of them finished */
    suggested: number;
    finished: number;
  };
  prune: null | (PruneSpec & { rungs: number[] });
  /** epochs per trial (the largest a search can draw) */
  epochs: number;
  /** the epochs every trial of the file would train without stopping: trials × epochs for a search */
  maxEpochs: number;
  /** ASHA: the epochs if every rung keeps exactly 1/η of the trials (successive halving's budget); else null */
  expectedEpochs: number | null;
}

export interface PlanResult {
  experiment: string;
  file: string;
  db: string;
  trials: PlanTrial[];
  total: number;
  /** trials already finished (a run skips them) */
  finished: number;
  /** Σ epochs × training samples over the trials still to run */
  sampleEpochs: number;
  /** rough wall seconds for the trials still to run on `workers` workers */
  estimateSeconds: number;
  /** how the rate was obtained */
  estimateBasis: string;
  workers: number;
  searchPlan: SearchPlan;
}

/** Default flop rates when the database has no finished trial to measure from (deliberately conservative). */
const DEFAULT_RATE = { native: 5e9, js: 1e9 };

/** flop/s measured on the finished trials of the database (null when there is none). */
function measuredRate(dbPath: string): number | null {
  if (!existsSync(dbPath)) return null;
  return withResults(dbPath, (r) => {
    let flops = 0;
    let secs = 0;
    for (const t of r.recentTrialSeconds()) {
      flops += trialFlops(t.config as unknown as TrialConfig);
      secs += t.seconds;
    }
    return secs > 0 ? flops / secs : null;
  });
}

/** Epochs a trial trains under ASHA when each rung keeps 1/η: Σ_k (r_k − r_{k−1}) / η^k, up to `epochs`. */
function ashaEpochs(rungs: readonly number[], reduction: number, epochs: number): number {
  let total = 0;
  let prev = 0;
  [...rungs, epochs].forEach((r, k) => {
    total += (r - prev) / reduction ** k;
    prev = r;
  });
  return total;
}

function searchPlanOf(exp: LoadedExperiment, dbPath: string): SearchPlan {
  const s = exp.search;
  let epochs = Math.max(0, ...exp.trials.map((t) => t.config.train.epochs));
  let suggested = 0;
  let finished = 0;
  if (s) {
    const d = s.params['train.epochs'];
    const drawn = planSuggestion(exp.config as Record<string, unknown>, exp.baseDir, s, randomDraw(dimsOf(s.params), suggestionRng(s.seed, 0)));
    epochs = d && 'int' in d ? d.int[1] : d && 'choice' in d ? Math.max(...d.choice.map(Number)) : 'error' in drawn ? 0 : drawn.config.train.epochs;
    if (existsSync(dbPath)) {
      const rows = withResults(dbPath, (r) => (r.experiment(exp.name) ? r.searchTrials(exp.name, exp.objective.metric) : []));
      suggested = rows.length;
      finished = rows.filter((r) => isFinished(r.status)).length;
    }
  }
  const count = s ? s.trials : exp.trials.length;
  const maxEpochs = s ? s.trials * epochs : exp.trials.reduce((n, t) => n + t.config.train.epochs, 0);
  const prune = exp.prune === null ? null : { ...exp.prune, rungs: exp.prune.rule === 'asha' ? ashaRungs(exp.prune, epochs) : [] };
  return {
    objective: exp.objective,
    search: s && {
      sampler: s.sampler, trials: s.trials, seed: s.seed, startup: s.startup, suggested, finished,
      params: Object.entries(s.params).map(([path, distribution]) => ({ path, distribution })),
    },
    prune, epochs, maxEpochs,
    expectedEpochs: prune?.rule === 'asha' ? Math.round(count * ashaEpochs(prune.rungs, prune.reduction, epochs)) : null,
  };
}

export function planExperiment(file: string, opts: { db: string; workers?: number; maxTrials?: number }): PlanResult {
  const exp = loadExperiment(file, opts.maxTrials !== undefined ? { maxTrials: opts.maxTrials } : {});
  const statuses = existsSync(opts.db) ? withResults(opts.db, (r) => r.trialStatuses(exp.trials.map((t) => t.id))) : new Map<string, TrialStatus>();
  const trials: PlanTrial[] = exp.trials.map((t) => {
    const n = trainCount(t.config);
    return {
      id: t.id, position: t.position, params: t.params, status: statuses.get(t.id) ?? 'new',
      epochs: t.config.train.epochs, trainSize: n, sampleEpochs: t.config.train.epochs * n, flops: trialFlops(t.config),
    };
  });
  const todo = trials.filter((t) => !isFinished(t.status));
  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), Math.max(1, todo.length)));
  const measured = measuredRate(opts.db);
  const backend = kernelSummary(exp.kernels).backend;
  const rate = measured ?? (backend === 'native' ? DEFAULT_RATE.native : DEFAULT_RATE.js);
  const basis = measured !== null
    ? `${(measured / 1e9).toFixed(2)} GFLOP/s per worker, measured on the finished trials in ${opts.db}`
    : `an assumed ${(rate / 1e9).toFixed(0)} GFLOP/s per worker (${backend} kernels; no finished trial to measure yet)`;
  const flops = todo.reduce((s, t) => s + t.flops, 0);
  return {
    experiment: exp.name, file, db: opts.db, trials, total: trials.length, finished: trials.length - todo.length,
    sampleEpochs: todo.reduce((s, t) => s + t.sampleEpochs, 0), estimateSeconds: flops / rate / workers,
    estimateBasis: basis, workers, searchPlan: searchPlanOf(exp, opts.db),
  };
}

