/** `sweeplab export <trial-id> --out model.npz`: the trained weights of a finished trial (kept, or retrained bit for bit). */
import type { Command } from 'commander';
import { exportTrial, type ExportResult } from '@sweeplab/runner';
import { act, dbOption, type CliDeps } from '../context.js';
import { out } from '../errors.js';

export function renderExport(r: ExportResult): string {
  const how = r.source === 'kept' ? 'copied from the weights the run kept' : 'retrained from its stored config, every epoch matching the database bit for bit';
  const acc = r.testAcc === null ? '' : `; its test accuracy was ${(100 * r.testAcc).toFixed(2)}%`;
  return `trial ${r.trialId} (${r.status}, epoch ${r.epoch}): wrote ${r.out} (${r.layout === 'npz' ? '.npz with W1..WL' : 'W1.npy..WL.npy'}), ${how}${acc}\n` +
    `load it with  model: { init: { npy: ${r.out} } }\n`;
}

export function register(program: Command, deps: CliDeps): void {
  program.command('export')
    .description('write the trained weights of a finished trial (.npz, or a directory of W1.npy..WL.npy) for model.init: { npy: ... }')
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .option('-o, --out <path>', 'an .npz file, or a directory for W1.npy..WL.npy (default: <trial-id>.npz)')
    .addOption(dbOption())
    .action(act(deps, (id: string, o: { db: string; out?: string }) => {
      const r = exportTrial(id, { db: o.db, out: o.out ?? `${id}.npz` });
      out(renderExport(r));
      return 0;
    }));
}
