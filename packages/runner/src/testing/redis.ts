/**
 * A real `redis-server` for tests (Debian's /usr/bin/redis-server, or REDIS_SERVER): started on a free loopback
 * port in a temporary directory (`--save '' --appendonly yes`), stopped by the test. `restart()` stops it (SIGTERM:
 * it writes its AOF) and starts it again on the same port and directory, as an operator restarting Redis would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tempDir } from './fixtures.js';

export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  pid(): number;
  /** SIGTERM (a clean shutdown) and wait for the exit */
  stop(): Promise<void>;
  /** stop, then start again on the same port and directory (the AOF brings the data back) */
  restart(downMs?: number): Promise<void>;
}

const BIN = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** Whether a redis-server binary is installed (tests that need one say why they skip without it). */
export function redisAvailable(): boolean {
  return existsSync(BIN) && spawnSync(BIN, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = new Socket();
    let buf = '';
    const done = (ok: boolean) => { s.destroy(); res(ok); };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.on('data', (d) => { buf += String(d); if (buf.includes('PONG') || buf.includes('NOAUTH')) done(true); else if (buf.includes('LOADING')) done(false); });
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `password`: started with --requirepass (clients then need redis://default:<password>@…). */
export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = tempDir('sweeplab-redis-');
  let child: ChildProcess | null = null;
  const launch = async () => {
    const c = spawn(BIN, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning',
      ...(opts.password !== undefined ? ['--requirepass', opts.password] : [])], { stdio: 'ignore' });
    child = c;
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with code ${c.exitCode} on port ${port}`);
      if (await answers(port)) return;
      await sleep(50);
    }
    c.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port} within 10 s`);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((res) => c.once('exit', () => res()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  const onExit = () => { const c = child; if (c && c.exitCode === null) c.kill('SIGKILL'); };
  process.once('exit', onExit);
  return {
    port, dir, url: `redis://127.0.0.1:${port}`,
    pid: () => (child as ChildProcess | null)?.pid ?? -1,
    stop: async () => { await stop(); process.off('exit', onExit); },
    restart: async (downMs = 500) => {
      await stop();
      await sleep(downMs);
      await launch();
    },
  };
}
