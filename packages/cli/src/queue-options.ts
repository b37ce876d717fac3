/**
 * The options shared by the queue commands (`run --queue`, `worker`, `queue status`): the Redis URL (or env
 * SWEEPLAB_QUEUE) and the queue name. URLs are printed only without their credentials.
 */
import { Option } from 'commander';
import { DEFAULT_QUEUE_NAME, queueTarget, type QueueTarget } from '@sweeplab/runner';
import { InputError } from '@sweeplab/store';

export const queueOption = (what: string): Option =>
  new Option('--queue <url>', `${what}: redis://[user:password@]host:port[/db]`).env('SWEEPLAB_QUEUE');

export const queueNameOption = (): Option =>
  new Option('--queue-name <name>', 'queue name: several sweeps can share one Redis under different names').default(DEFAULT_QUEUE_NAME);

/** The parsed target of a command that needs a queue (a missing --queue is bad input, exit 2). */
export function requireQueue(o: { queue?: string; queueName: string }, command: string): QueueTarget {
  if (o.queue === undefined || o.queue === '') {
    throw new InputError('BAD_OPTION', `${command} needs --queue redis://host:port (or the environment variable SWEEPLAB_QUEUE)`);
  }
  return queueTarget(o.queue, o.queueName);
}
