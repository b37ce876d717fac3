/** `sweeplab run <files...>`: validate, train what is not finished, diagnose; progress and a summary line. */
import { Option, type Command } from 'commander';
import { DEFAULT_MAX_MEMORY_MB, KEEP_WEIGHTS, runExperiments, type KeepWeights } from '@sweeplab/runner';
import { act, dbOption, localPool, positiveInt, withSignals, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { RunDisplay, summaryLine } from '../run-display.js';

export function register(program: Command, deps: CliDeps): void {
  program.command('run')
    .description('validate the files, then train their trials not yet finished (a second run skips finished trials)')
    .argument('<files...>', 'experiment YAML files')
    .addOption(dbOption())
    .option('-w, --workers <n>', 'worker threads (default: one per core)', positiveInt('--workers'))
    .option('--force', 'rerun finished (done, diverged and pruned) trials too')
    .option('--max-memory <mb>', 'heap limit per worker thread in MB', positiveInt('--max-memory'), DEFAULT_MAX_MEMORY_MB)
    .option('--no-diagnose', 'skip diagnosing the finished trials (and training the logistic-regression baselines it needs)')
    .addOption(new Option('--keep-weights <which>', 'keep trained weights under <db dir>/weights/<trial-id>.npz: best (the best trial per experiment by its objective), all, none')
      .choices([...KEEP_WEIGHTS]).default('best'))
    .action(act(deps, async (files: string[], o: { db: string; workers?: number; force?: boolean; maxMemory: number; diagnose: boolean; keepWeights: KeepWeights }) => {
      const display = new RunDisplay('auto', process.stdout);
      try {
        const res = await withSignals('running trials are marked interrupted and resume on the next run', (signal) => runExperiments(files, {
          db: o.db, force: o.force ?? false, signal, diagnose: o.diagnose, command: `run ${files.join(' ')}`, keepWeights: o.keepWeights,
          executor: localPool(deps, { maxMemoryMb: o.maxMemory, ...(o.workers !== undefined ? { workers: o.workers } : {}) }),
          emit: display.onEvent,
        }));
        display.stop();
        out(`${summaryLine(res)}\n`);
        return res.exitCode;
      } finally {
        display.stop();
      }
    }));
}
