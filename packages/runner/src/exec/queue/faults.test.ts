// Faults the queue must survive, with real processes and a real redis-server: a worker killed with SIGKILL
// mid-trial, the coordinator killed with SIGKILL mid-sweep and rerun, Redis restarted mid-sweep, and a CPU-heavy
// trial that must keep its job lock. Timings: locks of 1.5 s and a stalled check every 0.5 s (testing/queue.ts).
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { QueueEvents } from 'bullmq';
import { runExperiments } from '../../run.js';
import type { RunEvent } from '../../scheduler/events.js';
import { tempDir } from '../../testing/fixtures.js';
import { FAST_LOCKS, queueFactory, writeQueueExperiment } from '../../testing/queue.js';
import { redisAvailable, startRedis, type RedisServer } from '../../testing/redis.js';
import { QueueWorker } from './worker.js';

type Row = Record<string, unknown>;
const skip = redisAvailable() ? false : 'redis-server is not installed (apt-get install redis-server)';
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const script = (name: string) => new URL(`../../testing/${name}${ext}`, import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process whose stdout lines are collected; `waitFor` resolves with the first line matching. */
class Child {
  readonly lines: string[] = [];
  readonly proc: ChildProcess;
  private buf = '';
  private waiters: Array<{ re: RegExp; res: (l: string) => void }> = [];
  constructor(file: string, arg: unknown) {
    this.proc = spawn(process.execPath, [file, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.stdout?.on('data', (d: Buffer) => {
      this.buf += String(d);
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.re.test(line) ? (w.res(line), false) : true));
      }
    });
  }

  waitFor(re: RegExp, ms = 30_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no line matching ${re} within ${ms} ms; got:\n${this.lines.join('\n')}`)), ms);
      this.waiters.push({ re, res: (l) => { clearTimeout(t); res(l); } });
    });
  }

  exited(): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((res) => this.proc.once('exit', (code) => res(code)));
  }

  async kill9(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited();
  }
}

function rows(db: string, sql: string, ...args: unknown[]): Row[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...args) as Row[];
  } finally {
    d.close();
  }
}

describe('queue faults (real processes)', { skip, timeout: 240_000 }, () => {
  let redis: RedisServer;
  const dir = tempDir('sweeplab-faults-');
  const children: Child[] = [];
  const worker = async (name: string, extra: Record<string, unknown> = {}) => {
    const c = new Child(script('queue-worker-main'), { url: redis.url, name, dataRoot: dir, workers: 1, ...FAST_LOCKS, ...extra });
    children.push(c);
    await c.waitFor(/^ready$/);
    return c;
  };
  before(async () => { redis = await startRedis(); });
  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) await c.kill9();
    await redis.stop();
  });

  test('a worker killed with SIGKILL mid-trial: the job stalls, another worker runs it, the trial finishes once with only the new attempt\'s epochs', async () => {
    const file = writeQueueExperiment(dir, { name: 'killw', lrs: [0.5], epochs: 12 });
    const w1 = await worker('killw', { faults: { delayMs: 150 } });
    const events: RunEvent[] = [];
    const db = join(dir, 'killw.db');
    const run = runExperiments([file], { db, diagnose: false, executor: queueFactory(redis.url, { name: 'killw' }), emit: (e) => events.push(e) });
    await w1.waitFor(/^took trial /);
    while (events.filter((e) => e.type === 'epoch').length < 4) await sleep(20);
    await w1.kill9();
    const w2 = await worker('killw');
    const res = await run;
    assert.equal(res.exitCode, 0, JSON.stringify(res.trials));
    const [t] = rows(db, 'SELECT id, status, attempt, epochs_done FROM trials');
    assert.deepEqual({ status: t?.status, attempt: t?.attempt, epochs: t?.epochs_done }, { status: 'done', attempt: 2, epochs: 12 });
    const ep = rows(db, 'SELECT epoch, attempt FROM epochs WHERE trial_id = ? ORDER BY epoch', t?.id);
    assert.deepEqual(ep.map((r) => r.epoch), Array.from({ length: 13 }, (_, i) => i));
    assert.ok(ep.every((r) => r.attempt === 2), 'only the new attempt\'s epochs are in the history');
    assert.equal(events.filter((e) => e.type === 'trial-finished').length, 1);
    assert.ok(events.some((e) => e.type === 'notice' && /restarts as attempt 2: .* stopped answering/.test(e.message)));
    assert.match(await w2.waitFor(/^took trial /), /\(run 2: started again after a worker stopped answering\)/);
    assert.equal(w2.lines.filter((l) => l.startsWith('finished trial')).length, 1);
  });

  test('the coordinator killed with SIGKILL mid-sweep, then rerun: no trial enqueued twice, trials finished meanwhile recorded from their return values', async () => {
    const file = writeQueueExperiment(join(dir, 'killc'), { name: 'killc', lrs: [0.5, 1, 2, 3], epochs: 5 });
    const w = await worker('killc', { dataRoot: join(dir, 'killc'), faults: { delayMs: 120 } });
    const db = join(dir, 'killc.db');
    const c1 = new Child(script('queue-coordinator-main'), { url: redis.url, name: 'killc', db, files: [file] });
    children.push(c1);
    await c1.waitFor(/^finished [0-9a-f]+ done$/);
    await c1.waitFor(/^epoch [0-9a-f]+ 2$/);
    await c1.kill9();
    // the worker goes on: the running trial (and maybe more) finish while no coordinator listens
    while (w.lines.filter((l) => l.startsWith('finished trial')).length < 2) await sleep(50);
    const recordedBefore = rows(db, `SELECT id FROM trials WHERE status = 'done'`).length;
    const res = await runExperiments([file], { db, diagnose: false, executor: queueFactory(redis.url, { name: 'killc' }) });
    assert.equal(res.exitCode, 0, JSON.stringify(res.trials));
    const ts = rows(db, 'SELECT id, status FROM trials ORDER BY id');
    assert.equal(ts.length, 4);
    assert.ok(ts.every((t) => t.status === 'done'));
    assert.ok(recordedBefore < 2, 'a trial finished while the coordinator was dead');
    // each trial was trained by the worker exactly once: nothing was enqueued twice
    const took = w.lines.filter((l) => l.startsWith('took trial')).map((l) => l.split(' ')[2]);
    assert.deepEqual([...took].sort(), ts.map((t) => t.id));
    for (const t of ts) assert.equal(rows(db, 'SELECT count(*) AS n FROM epochs WHERE trial_id = ?', t.id)[0]?.n, 6);
  });

  test('redis-server restarted mid-sweep: workers and the coordinator reconnect by themselves and the sweep completes', async () => {
    const file = writeQueueExperiment(join(dir, 'restart'), { name: 'restart', lrs: [0.5, 1, 2], epochs: 8 });
    const w1 = await worker('restart', { dataRoot: join(dir, 'restart'), faults: { delayMs: 100 }, lockDurationMs: 5000, stalledIntervalMs: 1000 });
    await worker('restart', { dataRoot: join(dir, 'restart'), faults: { delayMs: 100 }, lockDurationMs: 5000, stalledIntervalMs: 1000 });
    const db = join(dir, 'restart.db');
    const events: RunEvent[] = [];
    const run = runExperiments([file], { db, diagnose: false, executor: queueFactory(redis.url, { name: 'restart' }), emit: (e) => events.push(e) });
    while (events.filter((e) => e.type === 'epoch').length < 3) await sleep(20);
    await redis.restart(700);
    const res = await run;
    assert.equal(res.exitCode, 0, JSON.stringify(res.trials));
    assert.ok(w1.lines.some((l) => /^lost the connection to Redis at 127\.0\.0\.1:\d+\/0; reconnecting/.test(l)), w1.lines.join('\n'));
    assert.ok(w1.lines.some((l) => /^reconnected to Redis at /.test(l)));
    const ts = rows(db, 'SELECT id, status, epochs_done FROM trials');
    assert.equal(ts.length, 3);
    for (const t of ts) {
      assert.equal(t.status, 'done');
      assert.equal(rows(db, 'SELECT count(*) AS n FROM epochs WHERE trial_id = ?', t.id)[0]?.n, 9);
    }
  });

  test('a CPU-heavy trial keeps its job lock: training runs in worker threads, the event loop stays free', async () => {
    // ~1 M parameters in float64 on 1500 examples, 4 epochs (~10 GFLOP each): seconds of training against a 1 s
    // lock renewed every 0.5 s; a processor that trained on the event loop would lose the lock within a second
    const file = writeQueueExperiment(join(dir, 'heavy'), { name: 'heavy', lrs: [0.1], hidden: [1024, 1024], nTrain: 1500, epochs: 4 });
    const w = new QueueWorker({ url: redis.url, name: 'heavy', dataRoot: join(dir, 'heavy'), workers: 1, lockDurationMs: 1000, stalledIntervalMs: 300 });
    await w.start();
    const qe = new QueueEvents('heavy', { connection: { host: '127.0.0.1', port: redis.port } });
    const stalled: string[] = [];
    qe.on('stalled', ({ jobId }) => stalled.push(jobId));
    await qe.waitUntilReady();
    try {
      const db = join(dir, 'heavy.db');
      const events: RunEvent[] = [];
      const t0 = Date.now();
      const res = await runExperiments([file], { db, diagnose: false, executor: queueFactory(redis.url, { name: 'heavy' }), emit: (e) => events.push(e) });
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(res.exitCode, 0, JSON.stringify(res.trials));
      assert.ok(seconds > 3, `the trial took ${seconds} s, under 3 lock durations: too light to test the lock (make it heavier)`);
      assert.deepEqual(stalled, []);
      assert.ok(!events.some((e) => e.type === 'notice' && /restarts/.test(e.message)));
      assert.deepEqual(rows(db, 'SELECT attempt, status FROM trials'), [{ attempt: 1, status: 'done' }]);
    } finally {
      await qe.close();
      await w.close({ handBack: false });
    }
  });

  test('a worker stopped with SIGTERM hands its running trial back; another worker finishes it', async () => {
    const file = writeQueueExperiment(join(dir, 'term'), { name: 'term', lrs: [0.5], epochs: 10 });
    const w1 = await worker('term', { dataRoot: join(dir, 'term'), faults: { delayMs: 150 } });
    const db = join(dir, 'term.db');
    const events: RunEvent[] = [];
    const run = runExperiments([file], { db, diagnose: false, executor: queueFactory(redis.url, { name: 'term' }), emit: (e) => events.push(e) });
    while (events.filter((e) => e.type === 'epoch').length < 3) await sleep(20);
    w1.proc.kill('SIGTERM');
    assert.equal(await w1.exited(), 0);
    assert.ok(w1.lines.some((l) => /^handed back trial [0-9a-f]{16} attempt 1 /.test(l)));
    const w2 = await worker('term', { dataRoot: join(dir, 'term') });
    const res = await run;
    assert.equal(res.exitCode, 0, JSON.stringify(res.trials));
    assert.deepEqual(rows(db, 'SELECT status, attempt, epochs_done FROM trials'), [{ status: 'done', attempt: 2, epochs_done: 10 }]);
    assert.equal(w2.lines.filter((l) => l.startsWith('finished trial')).length, 1);
  });
});
