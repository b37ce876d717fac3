/**
 * A coordinator as its own process, for the fault tests (they kill it with SIGKILL):
 *   node queue-coordinator-main.js '{ "url": ..., "name": ..., "db": ..., "files": [...] }'
 * Runs the files through the queue; prints one line per event the test waits for ("epoch <trial> <n>",
 * "finished <trial> <status>", "notice <text>") and "result <json>" at the end.
 */
import { runExperiments } from '../run.js';
import { queueFactory } from './queue.js';

const o = JSON.parse(process.argv[2] ?? '{}') as { url: string; name: string; db: string; files: string[] };
const res = await runExperiments(o.files, {
  db: o.db, diagnose: false, executor: queueFactory(o.url, { name: o.name }),
  emit: (e) => {
    if (e.type === 'epoch') process.stdout.write(`epoch ${e.trial.id} ${e.metrics.epoch}\n`);
    if (e.type === 'trial-finished') process.stdout.write(`finished ${e.trial.id} ${e.status}\n`);
    if (e.type === 'notice') process.stdout.write(`notice ${e.message}\n`);
  },
});
process.stdout.write(`result ${JSON.stringify({ exitCode: res.exitCode, counts: res.counts })}\n`);
