/** `sweeplab query "<sql>"`: one read-only statement over the results database, as a table, CSV or JSON. */
import { InputError } from './errors.js';
import { DEFAULT_DB_PATH, openReadOnly } from './store/db.js';
import { textTable } from './format.js';

export type QueryFormat = 'table' | 'csv' | 'json';

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/** Runs one statement on a read-only connection. Bad SQL or a statement that writes -> InputError BAD_SQL. */
export function queryDb(sql: string, opts: { db?: string } = {}): QueryResult {
  const db = openReadOnly(opts.db ?? DEFAULT_DB_PATH);
  try {
    let stmt;
    try {
      stmt = db.prepare(sql);
    } catch (e) {
      throw new InputError('BAD_SQL', `bad SQL: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
    if (!stmt.reader) {
      throw new InputError('BAD_SQL', 'query runs read-only statements (SELECT, WITH, PRAGMA ...); this one would write');
    }
    const columns = stmt.columns().map((c) => c.name);
    try {
      return { columns, rows: stmt.raw(true).all() as unknown[][] };
    } catch (e) {
      throw new InputError('BAD_SQL', `bad SQL: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
  } finally {
    db.close();
  }
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}

function csvField(v: unknown): string {
  const s = cell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatQueryResult(r: QueryResult, format: QueryFormat): string {
  if (format === 'json') {
    const objs = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => {
      const v = row[i];
      return [c, Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? v.toString() : v];
    })));
    return JSON.stringify(objs, null, 2) + '\n';
  }
  if (format === 'csv') {
    return [r.columns.map(csvField).join(','), ...r.rows.map((row) => row.map(csvField).join(','))].join('\r\n') + '\r\n';
  }
  const table = textTable(r.columns);
  for (const row of r.rows) table.push(row.map((v) => (v === null ? 'NULL' : cell(v))));
  return `${table.toString()}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`;
}
