/**
 * Trial ownership across processes. A `running` trial's `owner` is `host:pid:runId`; its `heartbeat_at` is bumped
 * with every epoch and every 10 s. The owner counts as dead (the trial as interrupted) when its heartbeat is
 * stale, or when it ran on this host and its process is gone (kill -9, crash, power loss).
 */
import { hostname } from 'node:os';

export const HEARTBEAT_MS = 10_000;
/** A heartbeat older than this means the owner is gone, whatever host it ran on. */
export const STALE_MS = 120_000;

/** Runs of this process that are still going (an owner with our pid is alive only if its run is). */
const activeRuns = new Set<string>();

export function ownerId(runId: string): string {
  return `${hostname()}:${process.pid}:${runId}`;
}

export function beginRun(runId: string): void {
  activeRuns.add(runId);
}

export function endRun(runId: string): void {
  activeRuns.delete(runId);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isOwnerAlive(owner: string | null, heartbeatAt: string | null, now: number = Date.now()): boolean {
  if (!owner) return false;
  if (heartbeatAt !== null) {
    const t = Date.parse(heartbeatAt);
    if (Number.isFinite(t) && now - t > STALE_MS) return false;
  }
  const parts = owner.split(':');
  if (parts.length < 3) return false;
  const runId = parts[parts.length - 1]!;
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(':');
  if (host !== hostname()) return true; // cannot look at another machine's processes: trust the heartbeat
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return activeRuns.has(runId);
  return processAlive(pid);
}
