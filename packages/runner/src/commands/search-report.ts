/** What a report shows about a search or a pruned sweep, re-derived from the experiment's stored file and its trials. */
import type { SearchReportInput } from '@sweeplab/reporting';
import type { TrialRecord } from '@sweeplab/store';
import type { TrialConfig } from '../config/index.js';
import { ashaRungs, searchSettings } from '../config/search.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** undefined for an experiment without sweep.search and without prune (its report stays as it was). */
export function searchReportOf(resolved: unknown, trials: readonly TrialRecord[]): SearchReportInput | undefined {
  if (!isObj(resolved)) return undefined;
  const sweep = isObj(resolved.sweep) ? resolved.sweep : {};
  if (!isObj(sweep.search) && !isObj(resolved.prune)) return undefined;
  const configs = trials.map((t) => t.config as unknown as TrialConfig).filter((c) => isObj(c.data) && isObj(c.train));
  let s: ReturnType<typeof searchSettings>;
  try {
    s = searchSettings(resolved, configs, () => false);
  } catch {
    return undefined; // a file of another version this one cannot read: the rest of the report still renders
  }
  const epochs = Math.max(0, ...configs.map((c) => c.train.epochs));
  const prune = s.prune === null ? null : s.prune.rule === 'asha'
    ? `ASHA (grace ${s.prune.grace}, reduction ${s.prune.reduction})` : `median stopping (warmup ${s.prune.warmup}, min_trials ${s.prune.minTrials})`;
  const params: SearchReportInput['params'] = s.search
    ? Object.entries(s.search.params).map(([path, d]) => ({ path, kind: 'loguniform' in d ? 'log' : 'choice' in d ? 'choice' : 'linear' }))
    : [...new Set(trials.flatMap((t) => Object.keys(t.params)))].filter((p) => p !== 'train.seed').map((path) => ({ path, kind: 'choice' }));
  return {
    objective: s.objective, sampler: s.search?.sampler ?? null, trials: s.search?.trials ?? null, prune,
    rungs: s.prune?.rule === 'asha' ? ashaRungs(s.prune, epochs) : [], epochsPerTrial: epochs, params,
  };
}
