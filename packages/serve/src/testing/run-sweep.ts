// Test-only process entry: a tiny sweep run by the real engine (runLoaded: registration, gradient check gate,
// piscina workers training on a tiny IDX data set, every epoch written by the Store), its workers slowed by
// `delayMs` after each epoch, so a serve test has another process writing while the server reads.
// Usage: node run-sweep.js '{"db":…,"dir":…,"name":…,"lrs":[…],"epochs":N,"delayMs":N,"description":…}'
/* eslint-disable @nx/enforce-module-boundaries -- test-only: the real engine writes the database a serve test reads */
import { runLoaded } from '@sweeplab/runner';
import { pool, testWorker, tinyConfig, tinyExperiment, writeTinyIdx } from '@sweeplab/runner/testing';
/* eslint-enable @nx/enforce-module-boundaries */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

interface SweepArgs { db: string; dir: string; name: string; lrs: number[]; epochs: number; delayMs: number; description?: string }

const a = JSON.parse(process.argv[2] ?? '{}') as SweepArgs;
const data = join(a.dir, 'data');
if (!existsSync(join(data, 'train-images-idx3-ubyte'))) writeTinyIdx(data);
const exp = tinyExperiment(a.dir, a.name, a.lrs.map((lr) => ({ config: tinyConfig(data, { train: { lr, epochs: a.epochs } }) })));
const res = await runLoaded([{ ...exp, description: a.description ?? exp.description }], {
  db: a.db, executor: pool({ workers: 2, ...testWorker({ delayMs: a.delayMs }) }), diagnose: true,
});
process.stdout.write(JSON.stringify({ counts: res.counts, trials: res.trials.map((t) => t.id) }) + '\n');
process.exitCode = res.exitCode;
