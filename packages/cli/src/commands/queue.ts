/** `sweeplab queue status --queue redis://…`: what the queue holds and which workers serve it. */
import type { Command } from 'commander';
import { queueStatus } from '@sweeplab/runner';
import { act, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { queueNameOption, queueOption, requireQueue } from '../queue-options.js';

export function register(program: Command, deps: CliDeps): void {
  const queue = program.command('queue').description('look at a Redis queue of trials (see `sweeplab worker` and `run --queue`)');
  queue.command('status')
    .description('waiting / active / completed / failed jobs and the workers connected now, with the trials they run')
    .addOption(queueOption('the queue to look at'))
    .addOption(queueNameOption())
    .action(act(deps, async (o: { queue?: string; queueName: string }) => {
      const t = requireQueue(o, 'sweeplab queue status');
      const s = await queueStatus(o.queue as string, t.name);
      const lines = [
        `queue "${s.name}" on ${s.host} (Redis ${s.redisVersion})`,
        `  jobs: ${s.waiting} waiting, ${s.active} active, ${s.delayed} delayed, ${s.completed} completed, ${s.failed} failed`,
        s.workers.length === 0 ? '  workers: none connected (start `sweeplab worker --queue …` on a machine)' : `  workers (${s.workers.length}):`,
        ...s.workers.map((w) => `    ${w.id.padEnd(28)} ${w.running.length === 0 ? 'idle' : `running ${w.running.length}: ${w.running.join(', ')}`}`),
        ...(s.orphaned.length > 0 ? [`  active jobs without a connected worker (back to waiting at the next stalled check): ${s.orphaned.join(', ')}`] : []),
      ];
      out(`${lines.join('\n')}\n`);
      return 0;
    }));
}
