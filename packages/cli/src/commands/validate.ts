/** `sweeplab validate <files...>`: check experiment files without running anything. */
import type { Command } from 'commander';
import { validateFiles } from '@sweeplab/runner';
import { act, type CliDeps } from '../context.js';
import { err, out } from '../errors.js';

export function register(program: Command, deps: CliDeps): void {
  program.command('validate')
    .description('check experiment files (schema, sizes, paths, sweeps) without running anything')
    .argument('<files...>', 'experiment YAML files')
    .action(act(deps, (files: string[]) => {
      const { ok, errors } = validateFiles(files);
      for (const e of ok) {
        out(`ok ${e.file}: ${e.name}, ${e.trials.length} trial(s)${e.sweptPaths.length ? `, sweeping ${e.sweptPaths.join(', ')}` : ''}\n`);
      }
      for (const e of errors) err(`${e.message}\n`);
      return errors.length > 0 ? 2 : 0;
    }));
}
