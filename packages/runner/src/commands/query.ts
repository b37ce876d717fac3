/**
 * `sweeplab query "<sql>"`: one read-only statement over the results database, its rows streamed to the caller as
 * they are read, at most `limit` of them (the rest are counted, so the caller can say how many were left out), in
 * a child process killed after `timeoutMs` (SQLite cannot be interrupted from JavaScript).
 */
import { fork } from 'node:child_process';
import { InputError, StoreError, type InputErrorCode } from '@sweeplab/store';

export const DEFAULT_QUERY_LIMIT = 10_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 60_000;

export interface QueryAsk { db: string; sql: string; limit: number }

/** What the query process sends, in order: columns, rows (in batches), then done or error. */
export type ChildMessage =
  | { kind: 'columns'; columns: string[] }
  | { kind: 'rows'; rows: unknown[][] }
  | { kind: 'done'; shown: number; total: number }
  | { kind: 'error'; code: string; message: string; name: string };

export interface QueryOptions {
  db: string;
  /** rows passed to onRow at most (default 10,000) */
  limit?: number;
  /** ms before the statement is stopped (default 60,000) */
  timeoutMs?: number;
  onColumns: (columns: string[]) => void;
  onRow: (row: unknown[]) => void;
}

/** How a query ended: all rows read (total known), or stopped by the time limit after `shown` rows. */
export type QueryEnd = { shown: number; total: number; timedOut: false } | { shown: number; total: null; timedOut: true; seconds: number };

const INPUT_CODES: readonly string[] = ['BAD_SQL', 'NO_DATABASE', 'UNKNOWN_TRIAL'];

/**
 * Runs one statement with a row limit and a time limit.
 * @throws InputError BAD_SQL / NO_DATABASE, StoreError for an unusable database (as opening it would)
 */
export function runQuery(sql: string, opts: QueryOptions): Promise<QueryEnd> {
  const limit = opts.limit ?? DEFAULT_QUERY_LIMIT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const child = fork(new URL(`./query-child${ext}`, import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise<QueryEnd>((resolve, reject) => {
    let shown = 0;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      f();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => resolve({ shown, total: null, timedOut: true, seconds: timeoutMs / 1000 }));
    }, timeoutMs);
    child.on('message', (m: ChildMessage) => {
      if (settled) return;
      if (m.kind === 'columns') opts.onColumns(m.columns);
      else if (m.kind === 'rows') {
        for (const r of m.rows) opts.onRow(r);
        shown += m.rows.length;
      } else if (m.kind === 'done') settle(() => resolve({ shown: m.shown, total: m.total, timedOut: false }));
      else {
        const err = INPUT_CODES.includes(m.code) ? new InputError(m.code as InputErrorCode, m.message)
          : m.name === 'StoreError' ? new StoreError(m.code as StoreError['code'], opts.db, m.message) : new Error(m.message);
        settle(() => reject(err));
      }
    });
    child.on('exit', (code, signal) => settle(() => reject(new Error(`the query process stopped (${signal ?? `exit code ${code}`}) before answering`))));
    child.send({ db: opts.db, sql, limit } satisfies QueryAsk);
  });
}
