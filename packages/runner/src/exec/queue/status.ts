/**
 * `sweeplab queue status`: what a queue holds and who works on it. Counts from BullMQ (waiting includes
 * prioritized jobs), the workers connected now (BullMQ names each worker's connection after it: host:pid) and, for
 * each, the jobs it is running (the active jobs' processedBy).
 */
import { Queue } from 'bullmq';
import { checkRedis, queueTarget } from './connection.js';
import { DEFAULT_QUEUE_NAME } from './payload.js';

export interface QueueWorkerInfo {
  /** host:pid */
  id: string;
  host: string;
  pid: number | null;
  /** job ids it is running (trial id . attempt, or gc.<arch>.<trial>) */
  running: string[];
  /** seconds its connection has existed */
  ageSeconds: number | null;
}

export interface QueueStatus {
  host: string;
  name: string;
  redisVersion: string;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  workers: QueueWorkerInfo[];
  /** active jobs whose worker is not connected now (it died: they go back to waiting at the next stalled check) */
  orphaned: string[];
}

export async function queueStatus(url: string, name: string = DEFAULT_QUEUE_NAME): Promise<QueueStatus> {
  const t = queueTarget(url, name);
  const redisVersion = await checkRedis(t);
  const queue = new Queue(t.name, { connection: { ...t.redis, maxRetriesPerRequest: 1, retryStrategy: () => null } });
  queue.on('error', () => {});
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    const clients = await queue.getWorkers();
    const workers = new Map<string, QueueWorkerInfo>();
    for (const c of clients) {
      const raw = c.rawname ?? '';
      const i = raw.indexOf(':w:');
      const id = i >= 0 ? raw.slice(i + 3) : `unnamed (${c.addr ?? '?'})`;
      if (workers.has(id)) continue;
      const m = /^(.*):(\d+)$/.exec(id);
      const age = Number(c.age);
      workers.set(id, { id, host: m?.[1] ?? id, pid: m ? Number(m[2]) : null, running: [], ageSeconds: Number.isFinite(age) ? age : null });
    }
    const orphaned: string[] = [];
    for (const job of await queue.getJobs(['active'], 0, 999)) {
      if (!job?.id) continue;
      const w = job.processedBy !== undefined ? workers.get(job.processedBy) : undefined;
      if (w) w.running.push(job.id);
      else orphaned.push(job.id);
    }
    return {
      host: t.host, name: t.name, redisVersion,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0, failed: counts.failed ?? 0,
      workers: [...workers.values()].sort((a, b) => a.id.localeCompare(b.id)), orphaned,
    };
  } finally {
    await queue.close();
  }
}
