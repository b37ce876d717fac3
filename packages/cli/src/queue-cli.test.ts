// The queue commands as users call them, each a real process: `sweeplab worker`, `sweeplab run --queue`,
// `sweeplab queue status`, against a redis-server the test starts. The password in a URL is never printed or stored.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { redisAvailable, startRedis, tempDir, writeQueueExperiment, type RedisServer } from '@sweeplab/runner/testing';

const BIN = fileURLToPath(new URL('../bin/sweeplab.js', import.meta.url));
const skip = redisAvailable() ? false : 'redis-server is not installed (apt-get install redis-server)';

interface Proc { child: ChildProcess; out: () => string; err: () => string; done: Promise<number | null> }

function start(args: string[], env: Record<string, string> = {}, cwd?: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => { stdout += String(d); });
  child.stderr?.on('data', (d) => { stderr += String(d); });
  const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { child, out: () => stdout, err: () => stderr, done };
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sweeplab worker / run --queue / queue status', { skip, timeout: 120_000 }, () => {
  let redis: RedisServer;
  const dir = tempDir('sweeplab-cli-queue-');
  const procs: Proc[] = [];
  // a password-protected Redis: the URL carries the password, and nothing may print or store it
  const SECRET = 'not-a-real-secret';
  before(async () => { redis = await startRedis({ password: SECRET }); });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await redis.stop();
  });

  test('a sweep runs on two worker processes; status lists them; SIGTERM stops a worker with 0, Ctrl-C with 130', async () => {
    const file = writeQueueExperiment(dir, { name: 'cliq', lrs: [0.5, 1, 2], epochs: 3 });
    const url = redis.url.replace('redis://', `redis://default:${SECRET}@`);
    const w1 = start(['worker', '--queue', url, '--workers', '1', '--data-root', dir]);
    const w2 = start(['worker', '--workers', '1'], { SWEEPLAB_QUEUE: url }, dir);
    procs.push(w1, w2);
    await until('the workers to start', () => /serving queue "sweeplab"/.test(w1.out()) && /serving queue "sweeplab"/.test(w2.out()));
    const status = start(['queue', 'status', '--queue', url]);
    assert.equal(await status.done, 0, status.err());
    assert.match(status.out(), /queue "sweeplab" on 127\.0\.0\.1:\d+\/0 \(Redis [\d.]+\)/);
    assert.match(status.out(), /workers \(2\):/);
    const db = join(dir, 'results', 'q.db');
    const run = start(['run', file, '--db', db, '--queue', url, '--no-diagnose']);
    assert.equal(await run.done, 0, run.err());
    assert.match(run.out(), /3 done/);
    const all = run.out() + run.err() + w1.out() + w2.out() + status.out();
    assert.ok(!all.includes(SECRET));
    // each worker printed one line per trial taken and finished; together they trained all three
    const took = [...w1.out().matchAll(/took trial ([0-9a-f]{16})/g), ...w2.out().matchAll(/took trial ([0-9a-f]{16})/g)].map((m) => m[1]);
    assert.equal(new Set(took).size, 3);
    assert.equal((w1.out() + w2.out()).match(/finished trial/g)?.length, 3);
    const d = new Database(db, { readonly: true });
    try {
      assert.deepEqual(d.prepare(`SELECT status, count(*) AS n FROM trials GROUP BY status`).all(), [{ status: 'done', n: 3 }]);
      const env = d.prepare('SELECT * FROM environment').get() as Record<string, unknown>;
      assert.ok(!JSON.stringify(env).includes(SECRET));
      assert.deepEqual({ host: env.queue_host, name: env.queue_name }, { host: `127.0.0.1:${redis.port}/0`, name: 'sweeplab' });
    } finally {
      d.close();
    }
    w1.child.kill('SIGTERM');
    w2.child.kill('SIGINT');
    assert.equal(await w1.done, 0);
    assert.equal(await w2.done, 130);
    assert.match(w1.out(), /stopped: \d+ finished, 0 failed, 0 handed back/);
  });

  test('a worker cut off from Redis says so, and still stops on SIGTERM with 0', async () => {
    const r2 = await startRedis();
    try {
      const w = start(['worker', '--queue', r2.url, '--workers', '1', '--data-root', dir]);
      procs.push(w);
      await until('the worker to start', () => /serving queue/.test(w.out()));
      await r2.stop();
      await until('the worker to notice', () => /lost the connection to Redis at 127\.0\.0\.1:\d+\/0; reconnecting/.test(w.out()));
      w.child.kill('SIGTERM');
      const t0 = Date.now();
      assert.equal(await w.done, 0);
      assert.ok(Date.now() - t0 < 15_000, `it took ${Date.now() - t0} ms to stop`);
    } finally {
      await r2.stop();
    }
  });

  test('run --queue with Redis gone: Ctrl-C still ends it with 130, its trials interrupted, nothing lost', async () => {
    const r2 = await startRedis();
    try {
      const file = writeQueueExperiment(join(dir, 'gone'), { name: 'gone', lrs: [0.5, 1] });
      const db = join(dir, 'gone', 'r.db');
      const run = start(['run', file, '--queue', r2.url, '--db', db]);
      procs.push(run);
      await until('the run to start', () => /running 2 trial\(s\)/.test(run.out()));
      await r2.stop();
      run.child.kill('SIGINT');
      const t0 = Date.now();
      assert.equal(await run.done, 130, run.err());
      assert.ok(Date.now() - t0 < 20_000, `it took ${Date.now() - t0} ms to stop`);
      assert.match(run.out(), /2 interrupted/);
      const d = new Database(db, { readonly: true });
      try {
        assert.deepEqual(d.prepare(`SELECT status, count(*) AS n FROM trials GROUP BY status`).all(), [{ status: 'interrupted', n: 2 }]);
      } finally {
        d.close();
      }
    } finally {
      await r2.stop();
    }
  });

  test('bad or missing queue options are exit 2 with the option named; an unreachable Redis is exit 1 without the password', async () => {
    const file = writeQueueExperiment(join(dir, 'bad'), { name: 'badq' });
    const cases: Array<[string[], number, RegExp]> = [
      [['worker'], 2, /sweeplab worker needs --queue redis:\/\/host:port/],
      [['worker', '--queue', redis.url, '--data-root', join(dir, 'no-such-dir')], 2, /--data-root .*no-such-dir: no such directory/],
      [['queue', 'status', '--queue', 'http://x'], 2, /--queue must be a redis:\/\/ or rediss:\/\/ URL/],
      [['run', file, '--queue', 'redis://127.0.0.1:1', '--queue-name', 'a:b'], 2, /--queue-name "a:b" must be/],
      [['run', file, '--queue', 'redis://127.0.0.1:1', '--workers', '2'], 2, /--workers sets local threads and does not apply with --queue/],
      [['run', file, '--db', join(dir, 'bad', 'x.db'), '--queue', 'redis://u:hunter2@127.0.0.1:1'], 1, /cannot reach Redis at 127\.0\.0\.1:1\/0 .*start redis-server/],
    ];
    for (const [args, code, re] of cases) {
      const p = start(args, { SWEEPLAB_QUEUE: '' });
      assert.equal(await p.done, code, `${args.join(' ')}: ${p.err()}`);
      assert.match(p.err(), re);
      assert.doesNotMatch(p.err() + p.out(), /hunter2/);
    }
  });
});
