/**
 * `sweeplab plan <file>`: the trials a file expands to, with their swept parameters, which of them the database
 * already has finished, the work (Σ epochs × training samples) and a rough time estimate.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadExperiment } from './config/index.js';
import type { TrialConfigInput } from './exec/types.js';
import { kernelSummary } from './kernels.js';
import { formatDuration } from './progress.js';
import { paramCount, trainCount } from './run.js';
import { DEFAULT_DB_PATH, openReadOnly } from './store/db.js';
import { trialStatuses } from './store/read.js';
import type { TrialStatus } from './store/store.js';
import { textTable } from './format.js';

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

export interface PlanResult {
  experiment: string;
  file: string;
  db: string;
  trials: PlanTrial[];
  total: number;
  /** trials already done or diverged (a run skips them) */
  finished: number;
  /** Σ epochs × training samples over the trials still to run */
  sampleEpochs: number;
  /** rough wall seconds for the trials still to run on `workers` workers */
  estimateSeconds: number;
  /** how the rate was obtained */
  estimateBasis: string;
  workers: number;
}

function testCount(config: TrialConfigInput): number {
  const t = config.data.test;
  if (typeof t === 'number') return t;
  return t?.count ?? 10000;
}

/**
 * Floating-point operations of a trial: each epoch trains on every sample (forward 2P + backward 4P flops for P
 * parameters) and evaluates train and test sets once (2P each); epoch 0 only evaluates.
 */
export function trialFlops(config: TrialConfigInput): number {
  const p = paramCount(config.model.layers);
  const n = trainCount(config);
  const e = Math.max(0, config.train.epochs);
  return e * n * 6 * p + (e + 1) * (n + testCount(config)) * 2 * p;
}

/** Default flop rates when the database has no finished trial to measure from (deliberately conservative). */
const DEFAULT_RATE = { native: 5e9, js: 1e9 };

/** flop/s measured on the finished trials of the database (null when there is none). */
function measuredRate(dbPath: string): number | null {
  if (!existsSync(dbPath)) return null;
  const db = openReadOnly(dbPath);
  try {
    const rows = db.prepare(`
      SELECT t.config_json AS config, SUM(COALESCE(e.seconds, 0) + COALESCE(e.eval_seconds, 0)) AS secs
      FROM trials t JOIN epochs e ON e.trial_id = t.id
      WHERE t.status = 'done' GROUP BY t.id ORDER BY t.finished_at DESC LIMIT 200`).all() as { config: string; secs: number }[];
    let flops = 0;
    let secs = 0;
    for (const r of rows) {
      if (!(r.secs > 0)) continue;
      flops += trialFlops(JSON.parse(r.config) as TrialConfigInput);
      secs += r.secs;
    }
    return secs > 0 ? flops / secs : null;
  } finally {
    db.close();
  }
}

export function planExperiment(file: string, opts: { db?: string; workers?: number } = {}): PlanResult {
  const dbPath = opts.db ?? DEFAULT_DB_PATH;
  const exp = loadExperiment(file);
  let statuses = new Map<string, TrialStatus>();
  if (existsSync(dbPath)) {
    const db = openReadOnly(dbPath);
    try {
      statuses = trialStatuses(db, exp.trials.map((t) => t.id));
    } finally {
      db.close();
    }
  }
  const trials: PlanTrial[] = exp.trials.map((t) => {
    const config: TrialConfigInput = t.config;
    const n = trainCount(config);
    return {
      id: t.id, position: t.position, params: t.params, status: statuses.get(t.id) ?? 'new',
      epochs: config.train.epochs, trainSize: n, sampleEpochs: config.train.epochs * n, flops: trialFlops(config),
    };
  });
  const todo = trials.filter((t) => t.status !== 'done' && t.status !== 'diverged');
  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), Math.max(1, todo.length)));
  const measured = measuredRate(dbPath);
  const backend = kernelSummary(exp.kernels).backend;
  const rate = measured ?? (backend === 'native' ? DEFAULT_RATE.native : DEFAULT_RATE.js);
  const basis = measured !== null
    ? `${(measured / 1e9).toFixed(2)} GFLOP/s per worker, measured on the finished trials in ${dbPath}`
    : `an assumed ${(rate / 1e9).toFixed(0)} GFLOP/s per worker (${backend} kernels; no finished trial to measure yet)`;
  const flops = todo.reduce((s, t) => s + t.flops, 0);
  return {
    experiment: exp.name, file, db: dbPath, trials, total: trials.length, finished: trials.length - todo.length,
    sampleEpochs: todo.reduce((s, t) => s + t.sampleEpochs, 0), estimateSeconds: flops / rate / workers,
    estimateBasis: basis, workers,
  };
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function renderPlan(p: PlanResult): string {
  const paramNames = [...new Set(p.trials.flatMap((t) => Object.keys(t.params)))];
  const table = textTable(['#', 'trial', 'status', ...paramNames, 'epochs', 'samples×epochs']);
  for (const t of p.trials) {
    table.push([t.position, t.id, t.status, ...paramNames.map((k) => (k in t.params ? show(t.params[k]) : '')), t.epochs, t.sampleEpochs]);
  }
  const todo = p.total - p.finished;
  return `${p.experiment} (${p.file}): ${p.total} trial(s), ${p.finished} already finished in ${p.db}, ${todo} to run\n` +
    `${table.toString()}\n` +
    `work to run: ${p.sampleEpochs.toLocaleString('en-US')} sample-epochs; ` +
    `estimated ~${formatDuration(p.estimateSeconds)} on ${p.workers} worker(s) (${p.estimateBasis})\n`;
}
