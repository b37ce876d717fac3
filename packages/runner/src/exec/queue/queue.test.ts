// The queue executor end to end, in one process: a real redis-server, the coordinator (runExperiments with a
// QueueExecutor) and QueueWorkers training in their piscina pools. Fault tests with separate processes are in
// faults.test.ts.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import { loadWeights, type ModelSpec } from '@sweeplab/nn-core';
import { validateFiles } from '../../config/index.js';
import { openSession } from '../../pipeline/session.js';
import { candidatesOf, runExperiments, runLoaded, toRegistration } from '../../run.js';
import type { RunEvent } from '../../scheduler/events.js';
import { StaticStrategy } from '../../search/static.js';
import { pool, tempDir, testWorker } from '../../testing/fixtures.js';
import { faultWorker, queueFactory, writeQueueExperiment } from '../../testing/queue.js';
import { redisAvailable, startRedis, type RedisServer } from '../../testing/redis.js';
import { QueueExecutor } from './executor.js';
import { queueStatus } from './status.js';
import { QueueWorker, type QueueWorkerOptions } from './worker.js';

type Row = Record<string, unknown>;
const skip = redisAvailable() ? false : 'redis-server is not installed (apt-get install redis-server)';

function epochsOf(db: string): Map<string, Row[]> {
  const d = new Database(db, { readonly: true });
  try {
    const rows = d.prepare('SELECT * FROM epochs ORDER BY trial_id, epoch').all() as Row[];
    const m = new Map<string, Row[]>();
    for (const r of rows) {
      const { attempt: _a, seconds: _s, eval_seconds: _e, ...rest } = r;
      m.set(String(r.trial_id), [...(m.get(String(r.trial_id)) ?? []), rest]);
    }
    return m;
  } finally {
    d.close();
  }
}

function trials(db: string): Row[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT id, status, attempt, error, epochs_done, pruned_epoch, summary_json FROM trials ORDER BY id').all() as Row[];
  } finally {
    d.close();
  }
}

describe('queue executor', { skip, timeout: 120_000 }, () => {
  let redis: RedisServer;
  const dir = tempDir('sweeplab-queue-');
  const lines: string[] = [];
  const workers: QueueWorker[] = [];
  const startWorker = async (name: string, extra: Partial<QueueWorkerOptions> = {}) => {
    const w = new QueueWorker({ url: redis.url, name, workers: 1, dataRoot: dir, log: (l) => lines.push(l), ...extra });
    workers.push(w);
    await w.start();
    return w;
  };
  before(async () => { redis = await startRedis(); });
  after(async () => {
    await Promise.all(workers.map((w) => w.close({ handBack: false })));
    await redis.stop();
  });

  test('a sweep through the queue gives the trial ids and bit-identical epochs of the local run', async () => {
    const file = writeQueueExperiment(dir, { name: 'equiv', lrs: [0.5, 1, 2], seeds: [1, 2], epochs: 4 });
    const local = join(dir, 'local', 'results.db');
    const queued = join(dir, 'queued', 'results.db');
    const a = await runExperiments([file], { db: local, executor: pool({ workers: 2 }), diagnose: false });
    assert.equal(a.exitCode, 0, JSON.stringify(a.trials));
    await startWorker('equiv');
    await startWorker('equiv');
    const b = await runExperiments([file], { db: queued, executor: queueFactory(redis.url, { name: 'equiv' }), diagnose: false });
    assert.equal(b.exitCode, 0, JSON.stringify(b.trials));
    assert.deepEqual(b.counts, { ...a.counts });
    const ta = trials(local);
    const tb = trials(queued);
    assert.deepEqual(tb.map((t) => t.id), ta.map((t) => t.id));
    assert.ok(tb.every((t) => t.status === 'done' && t.attempt === 1));
    // every trial ran on one of the queue workers (summary_json.worker), none locally
    for (const t of tb) assert.match(String(JSON.parse(String(t.summary_json)).worker), /^.+:\d+$/);
    const ea = epochsOf(local);
    const eb = epochsOf(queued);
    assert.equal(eb.size, 6);
    for (const [id, rows] of ea) {
      assert.equal(rows.length, 5);
      assert.deepEqual(eb.get(id), rows, `trial ${id}: the queued run's epochs differ from the local run's`);
    }
    // the best trial's kept weights came back through the queue bit for bit
    const kept = readdirSync(join(dir, 'local', 'weights'));
    assert.equal(kept.length, 1);
    const spec: ModelSpec = { layers: [16, 8, 3], activation: 'sigmoid', output: 'softmax', loss: 'cross-entropy' };
    const wl = loadWeights(join(dir, 'local', 'weights', kept[0]!), spec, 'float64');
    const wq = loadWeights(join(dir, 'queued', 'weights', kept[0]!), spec, 'float64');
    assert.equal(wq.length, 8 * 17 + 3 * 9);
    assert.deepEqual(wq, wl);
    const q = new Queue('equiv', { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      // the coordinator removes every job it recorded
      const counts = await q.getJobCounts('waiting', 'active', 'completed', 'failed');
      assert.deepEqual(counts, { waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      await q.close();
    }
    assert.ok(lines.some((l) => /^took trial [0-9a-f]{16} attempt 1 /.test(l)));
    assert.ok(lines.some((l) => /^finished trial [0-9a-f]{16} attempt 1 .*: done, 4 epochs/.test(l)));
  });

  test('a stop decision of the coordinator reaches the worker within one epoch; later epochs are not recorded', async () => {
    const file = writeQueueExperiment(join(dir, 'stop'), { name: 'stopme', lrs: [0.5], epochs: 30 });
    await startWorker('stopq', { pool: testWorker({ delayMs: 150 }) });
    const [exp] = validateFiles([file]).ok;
    assert.ok(exp);
    const db = join(dir, 'stop.db');
    const seen: RunEvent[] = [];
    const session = openSession({ db, executor: queueFactory(redis.url, { name: 'stopq' }), emit: (e) => seen.push(e) });
    try {
      session.store.registerExperiments([toRegistration(exp)]);
      const res = await session.scheduler.run(new StaticStrategy(candidatesOf([exp])), {
        force: false, stopping: { shouldStop: (_t, m) => (m.epoch === 2 ? 'stop at 2' : null) },
      });
      assert.equal(res.trials[0]?.status, 'pruned');
    } finally {
      await session.close();
    }
    const [t] = trials(db);
    assert.equal(t?.pruned_epoch, 2);
    assert.deepEqual(epochsOf(db).get(String(t?.id))?.map((r) => r.epoch), [0, 1, 2]);
    const stopped = lines.find((l) => l.includes('stopped at epoch'));
    const at = Number(/stopped at epoch (\d+)/.exec(stopped ?? '')?.[1]);
    assert.ok(at >= 2 && at <= 3, `the worker stopped at epoch ${at}, the decision was at epoch 2`);
  });

  test('a trial that throws or runs out of memory is recorded failed with the message; the sweep and the worker go on', async () => {
    const file = writeQueueExperiment(join(dir, 'oom'), { name: 'oom', lrs: [0.5, 1, 2] });
    await startWorker('oomq', { maxMemoryMb: 64, dataRoot: join(dir, 'oom'), pool: faultWorker({ throwLr: 1, oomLr: 2 }) });
    const db = join(dir, 'oom.db');
    const res = await runExperiments([file], { db, executor: queueFactory(redis.url, { name: 'oomq' }), diagnose: false });
    assert.equal(res.exitCode, 1);
    assert.deepEqual({ done: res.counts.done, failed: res.counts.failed }, { done: 1, failed: 2 });
    const errors = trials(db).map((r) => String(r.error)).join('\n');
    assert.match(errors, /injected failure after epoch 1 \(on .+:\d+\)/);
    assert.match(errors, /ran out of memory \(limit 64 MB per worker/);
  });

  test('a hostile payload fails its job with the reason and the worker keeps serving', async () => {
    await startWorker('hostile');
    const q = new Queue('hostile', { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      const bad = [
        { v: 1, task: { kind: 'train', trialId: '0123456789abcdef', attempt: 1, config: { data: {}, model: {}, train: {}, gradcheck: true }, fingerprints: { data: 'x', init: null }, baseDir: '/', kernels: 'auto' } },
        { v: 1, task: { kind: 'shell', cmd: 'rm -rf /' } },
        { v: 1, task: 'x'.repeat(200_000) },
        { v: 99 },
      ];
      for (const [i, data] of bad.entries()) await q.add('train', data, { jobId: `bad.${i}` });
      const t0 = Date.now();
      while (Date.now() - t0 < 10_000 && ((await q.getJobCounts('failed')).failed ?? 0) < bad.length) await new Promise((r) => setTimeout(r, 100));
      const failed = (await q.getJobs(['failed'])).filter((j) => j !== undefined);
      assert.equal(failed.length, bad.length);
      for (const j of failed) assert.match(j.failedReason, /^\[BAD_PAYLOAD\] job bad\.\d was refused by worker .+: /);
      const reasons = failed.map((j) => j.failedReason).join('\n');
      assert.match(reasons, /fingerprints\.data must be a sha256/);
      assert.match(reasons, /task\.kind must be "train" or "gradcheck"/);
      assert.match(reasons, /bytes, more than the/);
      assert.match(reasons, /payload version 99/);
      // still serving: a real sweep on the same queue completes
      const file = writeQueueExperiment(join(dir, 'after-hostile'), { name: 'afterhostile', lrs: [0.5] });
      const w2 = await startWorker('hostile', { dataRoot: join(dir, 'after-hostile') });
      void w2;
      const res = await runExperiments([file], { db: join(dir, 'after-hostile.db'), executor: queueFactory(redis.url, { name: 'hostile' }), diagnose: false });
      assert.equal(res.exitCode, 0);
    } finally {
      await q.close();
    }
  });

  test('data outside the worker\'s --data-root or with another fingerprint fails that trial, naming both fingerprints', async () => {
    const file = writeQueueExperiment(join(dir, 'fp'), { name: 'fp', lrs: [0.5] });
    // this worker's data root holds other files under the same relative path
    writeQueueExperiment(join(dir, 'fp-other'), { name: 'fp', lrs: [0.5], nTrain: 90 });
    await startWorker('fpq', { dataRoot: join(dir, 'fp-other') });
    const db = join(dir, 'fp.db');
    const res = await runExperiments([file], { db, executor: queueFactory(redis.url, { name: 'fpq' }), diagnose: false });
    assert.equal(res.exitCode, 1);
    const [t] = trials(db);
    assert.equal(t?.status, 'failed');
    assert.match(String(t?.error), /the data files on this worker \(.*train-images-idx3-ubyte.*\) have fingerprint [0-9a-f]{16}, the coordinator planned the trial with [0-9a-f]{16}/);
  });

  test('queue status counts the jobs and lists the workers with what they run', async () => {
    const s = await queueStatus(redis.url, 'equiv');
    assert.equal(s.name, 'equiv');
    assert.equal(s.host, `127.0.0.1:${redis.port}/0`);
    // the two workers of this test process share its host:pid name
    assert.deepEqual(s.workers.map((w) => [w.id, w.pid, w.running]), [[`${hostname()}:${process.pid}`, process.pid, []]]);
    assert.equal(s.waiting + s.active + s.failed, 0);
  });

  test('an unreachable Redis is a clear error without the password', async () => {
    const ex = new QueueExecutor({ url: 'redis://user:s3cret@127.0.0.1:1/0', pollMs: 100 });
    await ex.close();
    await assert.rejects(queueStatus('redis://user:s3cret@127.0.0.1:1'), (e: Error) => {
      assert.match(e.message, /cannot reach Redis at 127\.0\.0\.1:1\/0/);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });
  });

  test('tasks waiting with no worker connected are told about, then run when a worker comes', async () => {
    const file = writeQueueExperiment(join(dir, 'noworker'), { name: 'noworker', lrs: [0.5] });
    const notices: string[] = [];
    const run = runExperiments([file], {
      db: join(dir, 'noworker.db'), diagnose: false,
      executor: queueFactory(redis.url, { name: 'noworker', pollMs: 100, noWorkerMs: 300, notice: (m) => notices.push(m) }),
    });
    const t0 = Date.now();
    while (notices.length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.match(notices[0] ?? '', /1 task\(s\) wait in queue "noworker" on 127\.0\.0\.1:\d+\/0 and no worker is connected: start `sweeplab worker --queue redis:\/\/127\.0\.0\.1:\d+\/0`/);
    await startWorker('noworker', { dataRoot: join(dir, 'noworker') });
    assert.equal((await run).exitCode, 0);
  });

  test('run via runLoaded keeps the queue executor given by the caller open', async () => {
    const file = writeQueueExperiment(join(dir, 'given'), { name: 'given', lrs: [0.5] });
    await startWorker('given', { dataRoot: join(dir, 'given') });
    const ex = new QueueExecutor({ url: redis.url, name: 'given', pollMs: 500 });
    try {
      const res = await runLoaded(validateFiles([file]).ok, { db: join(dir, 'given.db'), executor: ex });
      assert.equal(res.exitCode, 0);
    } finally {
      await ex.close();
    }
  });
});
