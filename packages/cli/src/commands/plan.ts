/** `sweeplab plan <file>`: the trials a file expands to, what the database has, and an estimate of the work. */
import type { Command } from 'commander';
import { planExperiment, type PlanResult } from '@sweeplab/runner';
import { act, dbOption, positiveInt, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { formatDuration, textTable } from '../format.js';

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

export function register(program: Command, deps: CliDeps): void {
  program.command('plan')
    .description('list the trials a file expands to, what the database already has, and an estimate of the work')
    .argument('<file>', 'experiment YAML file')
    .addOption(dbOption())
    .option('-w, --workers <n>', 'workers to estimate for (default: one per core)', positiveInt('--workers'))
    .action(act(deps, (file: string, o: { db: string; workers?: number }) => {
      out(renderPlan(planExperiment(file, { db: o.db, ...(o.workers !== undefined ? { workers: o.workers } : {}) })));
      return 0;
    }));
}
