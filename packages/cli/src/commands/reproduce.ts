/** `sweeplab reproduce <trial-id>`: re-run a finished trial and compare every epoch bit for bit. */
import type { Command } from 'commander';
import { reproduceTrial, type ReproduceResult } from '@sweeplab/runner';
import { act, dbOption, type CliDeps } from '../context.js';
import { out } from '../errors.js';

export function renderReproduce(r: ReproduceResult): string {
  if (r.inputsChanged !== null) {
    const c = r.inputsChanged;
    return `trial ${r.trialId}: the inputs changed since this trial ran: ${c.detail}${c.files.length ? ` (${c.files.join(', ')})` : ''}; ` +
      'not re-run (restore those files, or run the experiment again to train on the current ones)\n';
  }
  const m = r.firstMismatch;
  if (m === null) {
    return `trial ${r.trialId}: reproduced bit for bit on the ${r.backend} kernels: all ${r.epochsCompared} epochs match ` +
      `(${r.columns.length} metrics each, plus the final test evaluation; wall seconds not compared)\n`;
  }
  const where = m.epoch === 'final' ? 'the final test evaluation' : m.epoch === -1 ? 'the epoch count' : `epoch ${m.epoch}`;
  return `trial ${r.trialId}: NOT reproduced on the ${r.backend} kernels: first difference at ${where}, ${m.column}: ` +
    `stored ${JSON.stringify(m.stored)}, reproduced ${JSON.stringify(m.reproduced)} ` +
    `(${r.epochsCompared} earlier epoch(s) matched)\n`;
}

export function register(program: Command, deps: CliDeps): void {
  program.command('reproduce')
    .description('re-run a finished trial from its stored config and check every epoch matches bit for bit (writes nothing)')
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .addOption(dbOption())
    .action(act(deps, (id: string, o: { db: string }) => {
      const r = reproduceTrial(id, { db: o.db });
      out(renderReproduce(r));
      return r.match ? 0 : 1;
    }));
}
