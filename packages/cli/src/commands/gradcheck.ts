/** `sweeplab gradcheck <file>`: check each architecture's backprop against finite differences. */
import type { Command } from 'commander';
import { gradcheckExperiment, type GradcheckCommandResult } from '@sweeplab/runner';
import { act, dbOption, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { textTable } from '../format.js';

const e2 = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));

export function renderGradcheck(r: GradcheckCommandResult): string {
  const lines: string[] = [];
  for (const a of r.archs) {
    if (!a.report) {
      lines.push(`${a.label} (arch ${a.arch}): ERROR: ${a.error ?? 'unknown error'}`);
      continue;
    }
    const rep = a.report;
    lines.push(`${a.label} (arch ${a.arch}): ${rep.passed ? 'passed' : 'FAILED'} (max relative error ${e2(rep.maxRelError)}, threshold ${rep.threshold}, ` +
      `eps ${rep.eps}, ${rep.checked} parameters checked on ${a.batch} examples, ${a.backend} kernels)`);
    const table = textTable(['layer', 'kind', 'checked', 'skipped', 'max rel error', 'max abs error', 'worst (row, col)', 'analytic', 'numeric', 'ok']);
    for (const l of rep.layers) {
      table.push([l.layer, l.kind, l.checked, l.skipped, e2(l.maxRelError), e2(l.maxAbsError),
        l.worst ? `(${l.worst.row}, ${l.worst.col})` : '-', l.worst ? String(l.worst.analytic) : '-',
        l.worst ? String(l.worst.numeric) : '-', l.passed ? 'yes' : 'NO']);
    }
    lines.push(table.toString());
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command, deps: CliDeps): void {
  program.command('gradcheck')
    .description("check each architecture's backprop against finite differences and record it")
    .argument('<file>', 'experiment YAML file')
    .addOption(dbOption())
    .action(act(deps, (file: string, o: { db: string }) => {
      const r = gradcheckExperiment(file, { db: o.db });
      out(renderGradcheck(r));
      return r.passed ? 0 : 1;
    }));
}
