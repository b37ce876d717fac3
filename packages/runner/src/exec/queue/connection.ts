/**
 * The `--queue` URL: `redis://[user:pass@]host:port[/db]` (or `rediss://` for TLS). Parsed into ioredis options
 * that reconnect by themselves (a Redis restart is waited out, never fatal) and a display form without
 * credentials: the only form that is ever printed or stored.
 */
import { InputError } from '@sweeplab/store';
import type { RedisOptions } from 'bullmq';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';

export interface QueueTarget {
  /** ioredis options (password included: never print them) */
  redis: RedisOptions;
  /** host:port/db, no user or password */
  host: string;
  /** the queue name */
  name: string;
  /** stops every connection made from these options from reconnecting (call before closing them) */
  stopReconnecting(): void;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** How long to wait between reconnection attempts: quick at first, then every 2 s, for ever. */
export const retryStrategy = (times: number): number => Math.min(100 * times, 2000);

/** Parses the queue URL and name; bad ones are InputError BAD_OPTION naming the option and the fix. */
export function queueTarget(url: string, name: string): QueueTarget {
  if (!NAME.test(name)) {
    throw new InputError('BAD_OPTION', `--queue-name "${name.slice(0, 80)}" must be 1-64 letters, digits, ".", "_" or "-" (no ":")`);
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError('BAD_OPTION', `--queue "${redact(url)}" is not a URL: use redis://[user:password@]host:port[/db]`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new InputError('BAD_OPTION', `--queue must be a redis:// or rediss:// URL, got ${u.protocol}//…: use redis://[user:password@]host:port[/db]`);
  }
  if (u.hostname === '') throw new InputError('BAD_OPTION', '--queue has no host: use redis://host:port');
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d*$/.test(path)) {
    throw new InputError('BAD_OPTION', `--queue database "/${path.slice(0, 20)}" must be a number 0-15 (redis://host:port/0)`);
  }
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  let closing = false;
  const redis: RedisOptions = {
    host: hostname, port, db,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking connections need these; commands wait for a reconnect instead of failing
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // a closing owner stops reconnecting, so closing while Redis is down ends instead of waiting for it
    retryStrategy: (times: number) => (closing ? null : retryStrategy(times)),
  };
  return { redis, host: `${u.host}/${db}`, name, stopReconnecting: () => { closing = true; } };
}

/** The URL with its user and password replaced by '***' (for messages). */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** A plain ioredis connection to the target (sweeplab's own keys and channels beside BullMQ's). */
export function redisClient(t: QueueTarget, extra: Partial<IoRedisOptions> = {}): Redis {
  // (ioredis' overloads do not type-check under exactOptionalPropertyTypes: the options are plain data)
  const RedisCtor = Redis as unknown as new (o: IoRedisOptions) => Redis;
  const r = new RedisCtor({ ...(t.redis as IoRedisOptions), ...extra });
  r.on('error', () => {}); // ioredis reconnects by itself; without a listener an error event would crash the process
  return r;
}

/**
 * Checks that Redis answers within `timeoutMs` and is new enough for BullMQ (>= 6.2); throws an Error that names
 * the host (never the password) and what to do.
 */
export async function checkRedis(t: QueueTarget, timeoutMs = 5000): Promise<string> {
  const r = redisClient(t, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: timeoutMs });
  let cause = '';
  r.on('error', (e: Error) => { cause ||= e.message; });
  try {
    await r.connect();
    const info = await r.info('server');
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0';
    const [maj = 0, min = 0] = version.split('.').map(Number);
    if (maj < 6 || (maj === 6 && min < 2)) throw new Error(`Redis at ${t.host} is version ${version}; BullMQ needs Redis >= 6.2`);
    return version;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/BullMQ needs/.test(msg)) throw e;
    const why = (cause || msg).replace(/\s+/g, ' ').slice(0, 200);
    throw new Error(`cannot reach Redis at ${t.host} (${why}): start redis-server there, or fix --queue / SWEEPLAB_QUEUE`, { cause: e });
  } finally {
    r.disconnect();
  }
}
