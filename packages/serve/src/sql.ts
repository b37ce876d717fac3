/**
 * The SQL box: one read-only statement at a time in a child process (sql-child.ts) with a time limit (the child is
 * killed and replaced when it is hit) and a row cap (the rows past it are not read). Results as JSON-safe cells
 * (blobs as hex, big integers as text) or CSV.
 */
import { fork, type ChildProcess } from 'node:child_process';

export type SqlOutcome =
  | { ok: true; columns: string[]; rows: unknown[][]; truncated: boolean; maxRows: number }
  | { ok: false; code: 'BAD_SQL' | 'TIMEOUT' | 'FAILED'; message: string };

interface Pending { id: number; sql: string; maxRows: number; resolve: (o: SqlOutcome) => void }

/** A cell as JSON can carry it. */
export function jsonCell(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function csvField(v: unknown): string {
  const c = jsonCell(v);
  const s = c === null || c === undefined ? '' : String(c);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: readonly string[], rows: readonly unknown[][]): string {
  return [columns.map(csvField).join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\r\n') + '\r\n';
}

export class SqlRunner {
  private child: ChildProcess | null = null;
  private queue: Pending[] = [];
  private busy: (Pending & { timer: NodeJS.Timeout; child: ChildProcess }) | null = null;
  private nextId = 1;
  private closed = false;

  constructor(private readonly db: string, private readonly timeoutMs: number) {}

  /** Runs one statement (queued behind the running one). */
  run(sql: string, maxRows: number): Promise<SqlOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, code: 'FAILED', message: 'the server is shutting down' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, sql, maxRows, resolve });
      this.pump();
    });
  }

  private spawn(): ChildProcess {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const child = fork(new URL(`./sql-child${ext}`, import.meta.url), [this.db], {
      serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (m: { id: number; ok: boolean; columns?: string[]; rows?: unknown[][]; truncated?: boolean; code?: 'BAD_SQL' | 'FAILED'; message?: string }) => {
      const p = this.busy;
      if (!p || p.id !== m.id) return;
      clearTimeout(p.timer);
      this.busy = null;
      p.resolve(m.ok
        ? { ok: true, columns: m.columns ?? [], rows: (m.rows ?? []).map((r) => r.map(jsonCell)), truncated: m.truncated === true, maxRows: p.maxRows }
        : { ok: false, code: m.code ?? 'FAILED', message: m.message ?? 'the query failed' });
      this.pump();
    });
    child.on('exit', () => {
      if (this.child === child) this.child = null;
      const p = this.busy;
      if (p && p.child === child) {
        clearTimeout(p.timer);
        this.busy = null;
        p.resolve({ ok: false, code: 'FAILED', message: 'the query process stopped; try again' });
        this.pump();
      }
    });
    return child;
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    const child = (this.child ??= this.spawn());
    const timer = setTimeout(() => {
      if (this.busy?.id !== next.id) return;
      this.busy = null;
      this.child = null;
      child.kill('SIGKILL');
      next.resolve({
        ok: false, code: 'TIMEOUT',
        message: `the query ran longer than the time limit (${(this.timeoutMs / 1000).toFixed(1)} s) and was stopped; narrow it with WHERE or LIMIT`,
      });
      this.pump();
    }, this.timeoutMs);
    this.busy = { ...next, timer, child };
    child.send({ id: next.id, sql: next.sql, maxRows: next.maxRows });
  }

  /** Stops the query process (and the query it runs, which answers FAILED): the next query opens the file again. */
  restart(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  close(): void {
    this.closed = true;
    if (this.busy) clearTimeout(this.busy.timer);
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}
