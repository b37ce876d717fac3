/** `sweeplab plan <file>`: the trials a file expands to, what the database has, and an estimate of the work. */
import type { Command } from 'commander';
import { planExperiment, type PlanResult } from '@sweeplab/runner';
import { act, dbOption, maxTrialsOption, positiveInt, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { formatDuration, textTable } from '../format.js';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

const dist = (d: Record<string, unknown>) => Object.entries(d).map(([k, v]) => `${k} ${JSON.stringify(v).replace(/,/g, ', ')}`).join('');

/** The search, the stopping rule and the compute bound (empty for a plain sweep without `prune`). */
export function renderSearchPlan(p: PlanResult): string {
  const sp = p.searchPlan;
  const lines: string[] = [];
  const obj = `objective ${sp.objective.metric} (${sp.objective.mode})`;
  if (sp.search) {
    const s = sp.search;
    lines.push(`search: ${s.sampler}, ${s.trials} trials (seed ${s.seed}${s.sampler === 'tpe' ? `; ${s.startup} random before the model takes over` : ''}), ${obj}; ` +
      `${s.suggested} suggested so far in ${p.db}, ${s.finished} finished`);
    const t = textTable(['searched path', 'distribution']);
    for (const x of s.params) t.push([x.path, dist(x.distribution as Record<string, unknown>)]);
    lines.push(t.toString());
  }
  if (sp.prune) {
    const r = sp.prune;
    lines.push(r.rule === 'asha'
      ? `prune: ASHA, grace ${r.grace}, reduction ${r.reduction}: rungs at epochs ${r.rungs.join(', ')} of ${sp.epochs}; a trial at a rung continues only in the top 1/${r.reduction} of those that reached it (${obj})`
      : `prune: median stopping from epoch ${Math.max(1, r.warmup)}, once ${r.minTrials} other trials reached the epoch (${obj})`);
  }
  if (sp.search || sp.prune) {
    const trials = sp.search ? sp.search.trials : p.total;
    lines.push(`maximum compute: ${sp.maxEpochs.toLocaleString('en-US')} epochs (${trials} trials × ${sp.epochs}${sp.search ? '' : ' at most'}, nothing pruned)` +
      (sp.expectedEpochs !== null ? `; ~${sp.expectedEpochs.toLocaleString('en-US')} if every rung keeps exactly 1/${sp.prune?.rule === 'asha' ? sp.prune.reduction : ''}` : ''));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function renderPlan(p: PlanResult): string {
  const paramNames = [...new Set(p.trials.flatMap((t) => Object.keys(t.params)))];
  const table = textTable(['#', 'trial', 'status', ...paramNames, 'epochs', 'samples×epochs']);
  for (const t of p.trials) {
    table.push([t.position, t.id, t.status, ...paramNames.map((k) => (k in t.params ? show(t.params[k]) : '')), t.epochs, t.sampleEpochs]);
  }
  const todo = p.total - p.finished;
  if (p.searchPlan.search) return `${p.experiment} (${p.file}): an adaptive search\n${renderSearchPlan(p)}`;
  return `${p.experiment} (${p.file}): ${p.total} trial(s), ${p.finished} already finished in ${p.db}, ${todo} to run\n` +
    `${table.toString()}\n` + renderSearchPlan(p) +
    `work to run: ${p.sampleEpochs.toLocaleString('en-US')} sample-epochs; ` +
    `estimated ~${formatDuration(p.estimateSeconds)} on ${p.workers} worker(s) (${p.estimateBasis})\n`;
}

export function register(program: Command, deps: CliDeps): void {
  program.command('plan')
    .description('list the trials a file expands to, what the database already has, and an estimate of the work')
    .argument('<file>', 'experiment YAML file')
    .addOption(dbOption())
    .option('-w, --workers <n>', 'workers to estimate for (default: one per core)', positiveInt('--workers'))
    .addOption(maxTrialsOption())
    .action(act(deps, (file: string, o: { db: string; workers?: number; maxTrials: number }) => {
      out(renderPlan(planExperiment(file, { db: o.db, maxTrials: o.maxTrials, ...(o.workers !== undefined ? { workers: o.workers } : {}) })));
      return 0;
    }));
}
