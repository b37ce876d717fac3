/** `sweeplab run <files...>`: validate, train what is not finished, diagnose; progress and a summary line. */
import { Option, type Command } from 'commander';
import {
  checkRedis, DEFAULT_MAX_MEMORY_MB, DEFAULT_QUEUE_CONCURRENCY, DEFAULT_QUEUE_NAME, KEEP_WEIGHTS, QueueExecutor, runExperiments, type ExecutorFactory, type KeepWeights,
} from '@sweeplab/runner';
import { InputError } from '@sweeplab/store';
import { act, dbOption, maxTrialsOption, localPool, positiveInt, withSignals, type CliDeps } from '../context.js';
import { err, out } from '../errors.js';
import { queueNameOption, queueOption, requireQueue } from '../queue-options.js';
import { RunDisplay, summaryLine } from '../run-display.js';

/**
 * `--queue`: checks the URL and that Redis answers (before anything is written), says where to start workers, and
 * returns the executor factory plus what the environment row records (host and queue name, never a password).
 */
async function queueExecutor(
  o: { queue?: string; queueName: string; workers?: number }, notice: (message: string) => void,
): Promise<{ factory: ExecutorFactory; info: { host: string; name: string } }> {
  const t = requireQueue(o, 'run --queue');
  if (o.workers !== undefined) {
    throw new InputError('BAD_OPTION', '--workers sets local threads and does not apply with --queue: give --workers to each `sweeplab worker` instead');
  }
  await checkRedis(t);
  err(`queue "${t.name}" on ${t.host}: trials are trained by \`sweeplab worker --queue redis://${t.host}${t.name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${t.name}`}\` processes (start one on each machine)\n`);
  const factory: ExecutorFactory = ({ trials, batch }) => new QueueExecutor({
    // a static sweep is enqueued at once (workers never wait for the coordinator), up to 1000 jobs in flight
    url: o.queue as string, name: t.name, concurrency: Math.min(trials, DEFAULT_QUEUE_CONCURRENCY), notice, ...(batch ? { batch } : {}),
  });
  return { factory, info: { host: t.host, name: t.name } };
}

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
    .addOption(maxTrialsOption())
    .addOption(queueOption('train on `sweeplab worker`s through this Redis queue instead of local threads; this process stays the only writer of --db'))
    .addOption(queueNameOption())
    .action(act(deps, async (files: string[], o: { db: string; workers?: number; force?: boolean; maxMemory: number; diagnose: boolean; keepWeights: KeepWeights; maxTrials: number; queue?: string; queueName: string }) => {
      const display = new RunDisplay('auto', process.stdout);
      try {
        const queue = o.queue !== undefined && o.queue !== '' ? await queueExecutor(o, (message) => display.onEvent({ type: 'notice', message })) : null;
        const res = await withSignals('running trials are marked interrupted and resume on the next run', (signal) => runExperiments(files, {
          db: o.db, force: o.force ?? false, maxTrials: o.maxTrials, signal, diagnose: o.diagnose, command: `run ${files.join(' ')}`, keepWeights: o.keepWeights,
          executor: queue?.factory ?? localPool(deps, { maxMemoryMb: o.maxMemory, ...(o.workers !== undefined ? { workers: o.workers } : {}) }),
          ...(queue ? { queue: queue.info } : {}),
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
