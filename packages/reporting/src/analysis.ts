// Shared view of a ReportInput for the HTML and Markdown renderers: trials ranked best first, epochs and
// findings per trial, swept factors (the replicate axis `train.seed` apart) and per-value groups.
import { diagnose, sortFindings } from './diagnose.js';
import { compareParam, finite, fmtParam } from './format.js';
import type { StoredFinding } from '@sweeplab/store';
import type { EpochRow, ReportInput, TrialRow } from './types.js';

/** Swept paths that replicate a configuration rather than change it. */
export const SEED_PATHS: ReadonlySet<string> = new Set(['train.seed', 'seed']);
/** Learning curves are drawn for at most this many best trials (the rest are in the per-value means). */
export const TOP_CURVES = 10;
/** Per-value curves, ordinal axes and heatmaps need few distinct values to stay readable. */
export const MAX_CATEGORIES = 12;
export const MAX_HEATMAPS = 6;

const FINISHED = new Set(['done', 'diverged', 'failed', 'interrupted']);

export interface ValueGroup {
  value: unknown;
  label: string;
  trials: TrialRow[];
}

export interface Prepared {
  input: ReportInput;
  /** trials best first (see `rankTrials`) */
  ranked: TrialRow[];
  /** 1-based rank by trial id */
  rank: Map<string, number>;
  best: TrialRow | null;
  /** the accuracy the ranking uses: test if any trial has one, else train */
  metric: 'test' | 'train';
  /** swept paths that are not the seed */
  factors: string[];
  /** factors with more than one value among the trials (the ones worth naming in a chart legend) */
  varying: string[];
  statusCounts: Array<[string, number]>;
  inProgress: boolean;
  epochsOf(id: string): EpochRow[];
  findingsOf(id: string): StoredFinding[];
  /** true when the findings were computed by the report (not stored by the runner) */
  findingsComputed(id: string): boolean;
  accOf(t: TrialRow): number | null;
  paramOf(t: TrialRow, path: string): unknown;
  groups(path: string, trials?: ReadonlyArray<TrialRow>): ValueGroup[];
  secondsOf(id: string): number | null;
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function lookup<V>(m: ReadonlyMap<string, V> | Readonly<Record<string, V>>, key: string): V | undefined {
  if (m instanceof Map) return m.get(key);
  const rec = m as Readonly<Record<string, V>>;
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

const STATUS_ORDER = ['done', 'running', 'pending', 'interrupted', 'diverged', 'failed'];

export function prepare(input: ReportInput): Prepared {
  const epochCache = new Map<string, EpochRow[]>();
  const epochsOf = (id: string): EpochRow[] => {
    let rows = epochCache.get(id);
    if (!rows) {
      rows = [...(lookup(input.epochs, id) ?? [])].sort((a, b) => a.epoch - b.epoch);
      epochCache.set(id, rows);
    }
    return rows;
  };
  const metric: 'test' | 'train' = input.trials.some((t) => finite(t.finalTestAcc) !== null) ? 'test' : 'train';
  const accOf = (t: TrialRow) => finite(metric === 'test' ? t.finalTestAcc : t.finalTrainAcc);
  const ranked = [...input.trials].sort((a, b) => {
    const aa = accOf(a) ?? -Infinity;
    const ab = accOf(b) ?? -Infinity;
    if (aa !== ab) return ab - aa;
    const da = a.status === 'done' ? 0 : 1;
    const db = b.status === 'done' ? 0 : 1;
    if (da !== db) return da - db;
    const ca = finite(a.finalCost) ?? Infinity;
    const cb = finite(b.finalCost) ?? Infinity;
    if (ca !== cb) return ca - cb;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  const rank = new Map(ranked.map((t, i) => [t.id, i + 1]));
  const best = ranked.find((t) => t.status === 'done') ?? ranked.find((t) => epochsOf(t.id).length > 0) ?? null;
  const factors = input.sweptPaths.filter((p) => !SEED_PATHS.has(p));

  const counts = new Map<string, number>();
  for (const t of input.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const statusCounts = [...counts.entries()].sort((a, b) => {
    const ia = STATUS_ORDER.indexOf(a[0]);
    const ib = STATUS_ORDER.indexOf(b[0]);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a[0] < b[0] ? -1 : 1);
  });
  const inProgress = input.trials.some((t) => t.status === 'running' || t.status === 'pending');

  // logistic-regression baseline on the same data, for computed findings
  const baselineFor = (t: TrialRow): { trainAcc: number } | null => {
    const data = JSON.stringify(t.config.data ?? null);
    let acc: number | null = null;
    for (const o of input.trials) {
      if (o.status !== 'done' || o.config.model.layers.length !== 2 || JSON.stringify(o.config.data ?? null) !== data) continue;
      const a = finite(o.finalTrainAcc);
      if (a !== null && (acc === null || a > acc)) acc = a;
    }
    return acc === null ? null : { trainAcc: acc };
  };
  const findingCache = new Map<string, { findings: StoredFinding[]; computed: boolean }>();
  const findingsEntry = (id: string) => {
    let e = findingCache.get(id);
    if (!e) {
      const stored = lookup(input.diagnoses, id);
      const t = input.trials.find((x) => x.id === id);
      if (stored) e = { findings: sortFindings(stored), computed: false };
      else if (t && t.summary?.classCounts && FINISHED.has(t.status) && epochsOf(id).length > 0) {
        e = {
          findings: diagnose({
            config: t.config, epochs: epochsOf(id), status: t.status,
            summary: { ...t.summary, classCounts: t.summary.classCounts },
            baseline: baselineFor(t),
          }),
          computed: true,
        };
      } else e = { findings: [], computed: false };
      findingCache.set(id, e);
    }
    return e;
  };

  const paramOf = (t: TrialRow, path: string): unknown =>
    Object.prototype.hasOwnProperty.call(t.params, path) ? t.params[path] : getPath(t.config, path);

  const groups = (path: string, trials: ReadonlyArray<TrialRow> = input.trials): ValueGroup[] => {
    const byKey = new Map<string, ValueGroup>();
    const sorted = [...trials].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // input order must not matter
    for (const t of sorted) {
      const v = paramOf(t, path);
      const key = JSON.stringify(v === undefined ? null : v);
      let g = byKey.get(key);
      if (!g) {
        g = { value: v, label: fmtParam(v), trials: [] };
        byKey.set(key, g);
      }
      g.trials.push(t);
    }
    return [...byKey.values()].sort((a, b) => compareParam(a.value, b.value));
  };

  const secondsOf = (id: string): number | null => {
    let s = 0;
    let any = false;
    for (const r of epochsOf(id)) {
      for (const x of [r.seconds, r.evalSeconds]) {
        const v = finite(x);
        if (v !== null) { s += v; any = true; }
      }
    }
    return any ? s : null;
  };

  const varying = factors.filter((f) => groups(f).length > 1);

  return {
    input, ranked, rank, best, metric, factors, varying, statusCounts, inProgress, epochsOf,
    findingsOf: (id) => findingsEntry(id).findings,
    findingsComputed: (id) => findingsEntry(id).computed,
    accOf, paramOf, groups, secondsOf,
  };
}

/** A short label for a trial: rank, id prefix, the values of the factors that vary, and the seed. */
export function trialLabel(p: Prepared, t: TrialRow, maxLen = 60): string {
  const parts = p.varying.map((path) => `${shortPath(path)}=${fmtParam(p.paramOf(t, path))}`);
  const seed = t.seed !== null ? ` s${t.seed}` : '';
  const label = `#${p.rank.get(t.id)} ${t.id.slice(0, 6)}${parts.length ? ' ' + parts.join(' ') : ''}${seed}`;
  return label.length > maxLen ? label.slice(0, maxLen - 1) + '…' : label;
}

/** The last segment of a dotted path ('train.lr' -> 'lr'), or the whole path if that is ambiguous. */
export function shortPath(path: string): string {
  const i = path.lastIndexOf('.');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Trials that finished training ('done'); all trials with epochs when none has finished yet. */
export function curveTrials(p: Prepared, trials: ReadonlyArray<TrialRow>): TrialRow[] {
  const done = trials.filter((t) => t.status === 'done' && p.epochsOf(t.id).length > 0);
  return done.length > 0 ? done : trials.filter((t) => p.epochsOf(t.id).length > 0);
}
