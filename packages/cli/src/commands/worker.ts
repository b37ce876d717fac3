/**
 * `sweeplab worker --queue redis://… [--workers N] [--max-memory MB] [--data-root DIR]`: takes trials from the
 * queue and trains them in a local pool, until Ctrl-C / SIGTERM; then its running trials go back to the queue
 * for another worker (a second Ctrl-C quits at once). Exit 0 after SIGTERM, 130 after Ctrl-C.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { checkRedis, DEFAULT_MAX_MEMORY_MB, QueueWorker, systemClock } from '@sweeplab/runner';
import { InputError } from '@sweeplab/store';
import { act, positiveInt, withSignals, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { queueNameOption, queueOption, requireQueue } from '../queue-options.js';

export function register(program: Command, deps: CliDeps): void {
  program.command('worker')
    .description('take trials from a Redis queue and train them here (start one on each machine; `run --queue` coordinates)')
    .addOption(queueOption('the queue to serve'))
    .addOption(queueNameOption())
    .option('-w, --workers <n>', 'trials trained at once, one thread each (default: one per core)', positiveInt('--workers'))
    .option('--max-memory <mb>', 'heap limit per training thread in MB', positiveInt('--max-memory'), DEFAULT_MAX_MEMORY_MB)
    .option('--data-root <dir>', 'where data and init paths of the experiments resolve (as relative to their YAML files); paths outside it are refused', '.')
    .action(act(deps, async (o: { queue?: string; queueName: string; workers?: number; maxMemory: number; dataRoot: string }) => {
      const target = requireQueue(o, 'sweeplab worker');
      if (!existsSync(o.dataRoot) || !statSync(o.dataRoot).isDirectory()) {
        throw new InputError('BAD_OPTION', `--data-root ${o.dataRoot}: no such directory; give the directory the experiments' data paths resolve under`);
      }
      const version = await checkRedis(target);
      const stamp = () => systemClock.iso().slice(0, 19).replace('T', ' ');
      const workers = o.workers ?? availableParallelism();
      const w = new QueueWorker({
        url: o.queue as string, name: o.queueName, workers, maxMemoryMb: o.maxMemory, dataRoot: o.dataRoot,
        log: (line) => out(`${stamp()} ${line}\n`),
        ...(deps.pool ? { pool: deps.pool } : {}),
      });
      const reason = await withSignals('running trials go back to the queue for another worker', async (signal) => {
        await w.start();
        out(`${stamp()} worker ${w.id} serving queue "${target.name}" on ${target.host} (Redis ${version}) with ${workers} thread(s), ` +
          `data root ${o.dataRoot}; Ctrl-C to stop\n`);
        await new Promise<void>((res) => {
          if (signal.aborted) res();
          signal.addEventListener('abort', () => res(), { once: true });
        });
        await w.close({ handBack: true });
        return String(signal.reason);
      });
      const s = w.stats;
      out(`${stamp()} worker ${w.id} stopped: ${s.finished} finished, ${s.failed} failed, ${s.handedBack} handed back\n`);
      const code = reason === 'SIGTERM' ? 0 : 130;
      // a worker cut off from Redis leaves BullMQ's retry timers behind: end the process if they would keep it up
      setTimeout(() => process.exit(code), 2000).unref();
      return code;
    }));
}
