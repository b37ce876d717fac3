/**
 * Trial ownership across processes. A `running` trial's `owner` is `host:pid@start:runId`, where `start` is the
 * process's start time (Linux: /proc/<pid>/stat field 22, clock ticks since boot), so a pid the kernel gave to a
 * new process is not mistaken for the old owner. Its `heartbeat_at` is bumped with every epoch and every 10 s.
 * The owner counts as dead (the trial as interrupted) when its heartbeat is stale, or when it ran on this host and
 * its process is gone, is a zombie (killed, not yet reaped: it will never write again), or is another process
 * with the same pid. Owners written by older versions (`host:pid:runId`) are checked by pid only.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const HEARTBEAT_MS = 10_000;
/** A heartbeat older than this means the owner is gone, whatever host it ran on. */
export const STALE_MS = 120_000;

/** What the kernel says about a process: gone, a zombie, or alive with its start time (null: not on Linux). */
export type ProcessState = { state: 'gone' } | { state: 'zombie' } | { state: 'alive'; start: string | null };

/** Reads /proc/<pid>/stat (Linux); elsewhere falls back to kill(pid, 0), which cannot see zombies or start times. */
export function processState(pid: number): ProcessState {
  let stat: string | null = null;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && process.platform === 'linux') return { state: 'gone' };
  }
  if (stat !== null) {
    // "pid (comm) S ppid ..." where comm may contain spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const s = fields[0];
    if (s === 'Z' || s === 'X' || s === 'x') return { state: 'zombie' };
    return { state: 'alive', start: fields[19] ?? null }; // field 22 of the whole line
  }
  try {
    process.kill(pid, 0);
    return { state: 'alive', start: null };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? { state: 'alive', start: null } : { state: 'gone' };
  }
}

let ownStart: string | null | undefined;

function myStart(): string | null {
  if (ownStart === undefined) {
    const s = processState(process.pid);
    ownStart = s.state === 'alive' ? s.start : null;
  }
  return ownStart;
}

/** The owner string of a run of this process. */
export function ownerId(runId: string): string {
  const start = myStart();
  return `${hostname()}:${process.pid}${start !== null ? `@${start}` : ''}:${runId}`;
}

interface ParsedOwner { host: string; pid: number; start: string | null; runId: string }

export function parseOwner(owner: string): ParsedOwner | null {
  const m = /^(.*):(\d+)(?:@(\d+))?:([^:]+)$/.exec(owner);
  if (!m || m[1] === undefined || m[2] === undefined || m[4] === undefined) return null;
  return { host: m[1], pid: Number(m[2]), start: m[3] ?? null, runId: m[4] };
}

/** Runs of this process that are still going (an owner with our pid is alive only if its run is). */
const activeRuns = new Set<string>();

export function beginRun(runId: string): void {
  activeRuns.add(runId);
}

export function endRun(runId: string): void {
  activeRuns.delete(runId);
}

/** Whether the owner of a running trial is still at work (see the module comment). `now` in ms since the epoch. */
export function isOwnerAlive(owner: string | null, heartbeatAt: string | null, now: number): boolean {
  if (!owner) return false;
  if (heartbeatAt !== null) {
    const t = Date.parse(heartbeatAt);
    if (Number.isFinite(t) && now - t > STALE_MS) return false;
  }
  const o = parseOwner(owner);
  if (!o || !(o.pid > 0)) return false;
  if (o.host !== hostname()) return true; // cannot look at another machine's processes: trust the heartbeat
  if (o.pid === process.pid) return activeRuns.has(o.runId);
  const s = processState(o.pid);
  if (s.state !== 'alive') return false;
  return o.start === null || s.start === null || s.start === o.start;
}
