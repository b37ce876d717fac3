// The search settings of an experiment file: the objective, the stopping rule (`prune`) and an adaptive search
// (`sweep.search`), resolved with their defaults and checked against the trials' configs (located issues), and the
// trial plan of a configuration a search suggests at run time (the same resolve + checks + id as a swept trial).
import type { MetricColumn } from '@sweeplab/store';
import { checkTrial, newCheckContext, type CheckContext } from './checks.js';
import { archOf, trialIdOf } from './id.js';
import { applySweep, type Sections, type TrialConfig } from './resolve.js';
import { DEFAULTS } from './schema.js';
import { searchFixedValues, type SweepConfig, type SweptValue } from './sweep.js';
import type { RawIssue } from './validate.js';

export interface Objective {
  metric: MetricColumn;
  mode: 'min' | 'max';
}

export type PruneSpec =
  | { rule: 'asha'; grace: number; reduction: number }
  | { rule: 'median'; warmup: number; minTrials: number };

/** A distribution of one searched path (as written in sweep.search.params). */
export type Distribution =
  | { loguniform: [number, number] }
  | { uniform: [number, number] }
  | { int: [number, number] }
  | { choice: unknown[] };

export interface SearchSpec {
  sampler: 'random' | 'tpe';
  /** configurations to try in all (the runs of the file so far included) */
  trials: number;
  seed: number;
  /** tpe: random suggestions before the model takes over */
  startup: number;
  /** searched dotted path -> distribution, sorted by path */
  params: Record<string, Distribution>;
  /** swept values every suggestion carries (the one seed of sweep.seeds) */
  fixed: Array<{ path: string; value: unknown }>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The rung epochs of ASHA below `epochs`: grace·reduction^k. */
export function ashaRungs(p: { grace: number; reduction: number }, epochs: number): number[] {
  const out: number[] = [];
  for (let r = p.grace; r < epochs; r *= p.reduction) out.push(r);
  return out;
}

/** Whether a larger value of the metric is better. */
export const higherIsBetter = (o: Objective): boolean => o.mode === 'max';

export interface SearchSettings {
  objective: Objective;
  prune: PruneSpec | null;
  search: SearchSpec | null;
  issues: RawIssue[];
  warnings: RawIssue[];
}

/**
 * Resolves `objective`, `prune` and `sweep.search` of a merged (schema-valid where `bad` says so) config, checking
 * them against the configs of the checked trials (or of the probe rows standing for a search space).
 */
export function searchSettings(merged: Record<string, unknown>, configs: readonly TrialConfig[], bad: (p: string) => boolean): SearchSettings {
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const o = isObj(merged.objective) ? merged.objective : {};
  const validation = configs.length > 0 && configs.every((c) => c.data.validation > 0);
  const metric = (typeof o.metric === 'string' ? o.metric : validation ? 'val_acc' : 'cost') as MetricColumn;
  const mode = typeof o.mode === 'string' ? (o.mode as 'min' | 'max') : metric === 'cost' || metric === 'loss' ? 'min' : 'max';
  if (!bad('objective') && o.metric === 'val_acc' && !validation && configs.length > 0) {
    issues.push({ path: ['objective', 'metric'], mode: 'value', message: 'objective.metric val_acc needs a validation split, and data.validation is 0: set data.validation (e.g. 5000 examples carved from the end of the training subset), or use cost' });
  }
  if (!bad('objective') && o.metric === 'test_acc') {
    warnings.push({ path: ['objective', 'metric'], mode: 'value', message: 'objective.metric test_acc tunes the search on the test set, so its best test accuracy is optimistic: set data.validation and use val_acc' });
  }
  if (!bad('objective') && typeof o.mode === 'string' && typeof o.metric === 'string') {
    const natural = o.metric === 'cost' || o.metric === 'loss' ? 'min' : 'max';
    if (o.mode !== natural) warnings.push({ path: ['objective', 'mode'], mode: 'value', message: `objective.mode ${o.mode} looks for the ${o.mode === 'min' ? 'lowest' : 'highest'} ${o.metric}, the worst trials: did you mean mode: ${natural}?` });
  }
  const maxEpochs = Math.max(0, ...configs.map((c) => c.train.epochs));
  const prune = bad('prune') ? null : pruneOf(merged.prune, maxEpochs, issues);
  const sweep = (isObj(merged.sweep) ? merged.sweep : {}) as SweepConfig;
  const search = bad('sweep.search') || !isObj(sweep.search) ? null : {
    sampler: sweep.search.sampler ?? (DEFAULTS.search.sampler as 'tpe'),
    trials: sweep.search.trials,
    seed: sweep.search.seed ?? DEFAULTS.search.seed,
    startup: sweep.search.startup ?? DEFAULTS.search.startup,
    params: Object.fromEntries(Object.keys(sweep.search.params).sort().map((p) => [p, sweep.search!.params[p] as Distribution])),
    fixed: searchFixedValues(sweep).map((v) => ({ path: v.path, value: v.value })),
  };
  return { objective: { metric, mode }, prune, search, issues, warnings };
}

function pruneOf(p: unknown, maxEpochs: number, issues: RawIssue[]): PruneSpec | null {
  if (!isObj(p)) return null;
  if (isObj(p.asha)) {
    const grace = typeof p.asha.grace === 'number' ? p.asha.grace : DEFAULTS.prune.grace;
    const reduction = typeof p.asha.reduction === 'number' ? p.asha.reduction : DEFAULTS.prune.reduction;
    if (ashaRungs({ grace, reduction }, maxEpochs).length === 0) {
      issues.push({ path: ['prune', 'asha', ...(p.asha.grace === undefined ? [] : ['grace'])], mode: 'value', message: `prune.asha has no rung to stop a trial at: the first rung is at grace = ${grace} epoch(s), but trials train ${maxEpochs} epoch(s); lower grace below ${maxEpochs} or train more epochs` });
    }
    return { rule: 'asha', grace, reduction };
  }
  if (isObj(p.median)) {
    const warmup = typeof p.median.warmup === 'number' ? p.median.warmup : DEFAULTS.prune.warmup;
    const minTrials = typeof p.median.min_trials === 'number' ? p.median.min_trials : DEFAULTS.prune.minTrials;
    if (Math.max(1, warmup) >= maxEpochs) {
      issues.push({ path: ['prune', 'median', ...(p.median.warmup === undefined ? [] : ['warmup'])], mode: 'value', message: `prune.median has no epoch to stop a trial at: warmup = ${warmup} but trials train ${maxEpochs} epoch(s); lower warmup below ${maxEpochs} or train more epochs` });
    }
    return { rule: 'median', warmup, minTrials };
  }
  return null;
}

/** A configuration a search suggested, planned like a swept trial. */
export interface SuggestedTrial {
  id: string;
  config: TrialConfig;
  /** searched dotted path -> value (plus train.seed when sweep.seeds fixes it) */
  params: Record<string, unknown>;
  seed: number;
  arch: string;
  fingerprints: { data: string; init: string | null };
}

const contexts = new Map<string, CheckContext>();

/**
 * Plans the trial of a suggested configuration: the file's merged config with the suggested values set, every
 * default applied, checked like any trial (an { error } when this combination is invalid, e.g. gd with a batch).
 */
export function planSuggestion(merged: Record<string, unknown>, baseDir: string, search: SearchSpec, values: Record<string, unknown>): SuggestedTrial | { error: string } {
  let ctx = contexts.get(baseDir);
  if (!ctx) contexts.set(baseDir, (ctx = newCheckContext(baseDir)));
  const row: SweptValue[] = [...search.fixed, ...Object.entries(values).map(([path, value]) => ({ path, value }))]
    .map((v) => ({ ...v, source: [] }));
  const c = checkTrial(applySweep(merged, row) as Sections, () => false, ctx);
  if (c.issues.length > 0 || c.fingerprints.data === null) {
    return { error: c.issues.map((i) => i.message).join('; ') || 'the data cannot be read' };
  }
  const fingerprints = { data: c.fingerprints.data, init: c.fingerprints.init };
  return {
    id: trialIdOf(c.config, fingerprints), config: c.config, params: Object.fromEntries(row.map((v) => [v.path, v.value])),
    seed: c.config.train.seed, arch: archOf(c.config), fingerprints,
  };
}
