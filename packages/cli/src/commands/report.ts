/** `sweeplab report <experiment>`: the HTML report and the Markdown summary of an experiment. */
import type { Command } from 'commander';
import { reportExperiment, type ReportResult } from '@sweeplab/runner';
import { act, dbOption, type CliDeps } from '../context.js';
import { err, out } from '../errors.js';

export function renderReportResult(r: ReportResult): string {
  const status = Object.entries(r.statuses).map(([s, n]) => `${n} ${s}`).join(', ');
  const lines = [`report of ${r.experiment}: ${r.trials} trial(s)${status ? ` (${status})` : ''}`, `  ${r.htmlPath}`, `  ${r.markdownPath}`];
  if (r.summaryPath !== null) lines.push(`  ${r.summaryPath}`);
  return lines.join('\n') + '\n';
}

export function register(program: Command, deps: CliDeps): void {
  program.command('report')
    .description("write an experiment's HTML report and Markdown summary (read-only: works while its sweep runs)")
    .argument('<experiment>', 'experiment name (the `name:` of its file)')
    .addOption(dbOption())
    .option('-o, --out <dir>', 'output folder (default: results/reports/<experiment>/)')
    .option('--summary <path>', 'also write the Markdown summary to this file (e.g. results/<experiment>.md)')
    .action(act(deps, async (name: string, o: { db: string; out?: string; summary?: string }) => {
      const r = await reportExperiment(name, {
        db: o.db, ...(o.out !== undefined ? { out: o.out } : {}), ...(o.summary !== undefined ? { summary: o.summary } : {}),
      });
      for (const w of r.warnings) err(`sweeplab: chart warning: ${w}\n`);
      out(renderReportResult(r));
      return 0;
    }));
}
