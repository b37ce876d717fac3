/** `sweeplab validate <files...>`: check experiment files without running anything. */
import type { Command } from 'commander';
import { formatIssue, validateFiles } from '@sweeplab/runner';
import { act, maxTrialsOption, type CliDeps } from '../context.js';
import { err, out } from '../errors.js';

export function register(program: Command, deps: CliDeps): void {
  program.command('validate')
    .description('check experiment files (schema, sizes, paths, sweeps) without running anything')
    .argument('<files...>', 'experiment YAML files')
    .addOption(maxTrialsOption())
    .action(act(deps, (files: string[], o: { maxTrials: number }) => {
      const { ok, errors } = validateFiles(files, { maxTrials: o.maxTrials });
      for (const e of ok) {
        const what = e.search ? `a ${e.search.sampler} search of ${e.search.trials} trial(s)` : `${e.trials.length} trial(s)`;
        const prune = e.prune ? `, pruned by ${e.prune.rule === 'asha' ? 'ASHA' : 'the median rule'} on ${e.objective.metric}` : '';
        out(`ok ${e.file}: ${e.name}, ${what}${e.sweptPaths.length ? `, sweeping ${e.sweptPaths.join(', ')}` : ''}${prune}\n`);
        for (const w of e.warnings) err(`${formatIssue(w)} (warning)\n`);
      }
      for (const e of errors) err(`${e.message}\n`);
      return errors.length > 0 ? 2 : 0;
    }));
}
