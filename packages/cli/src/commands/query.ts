/**
 * `sweeplab query "<sql>"`: one read-only statement over the results database, as a table, CSV or JSON. CSV and
 * JSON rows are written as they are read; at most --limit rows (the rest are counted and reported on stderr), and
 * a statement running past --timeout seconds is stopped.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_QUERY_LIMIT, DEFAULT_QUERY_TIMEOUT_MS, runQuery, type QueryEnd } from '@sweeplab/runner';
import type { QueryResult } from '@sweeplab/store';
import { act, dbOption, positiveInt, type CliDeps } from '../context.js';
import { err, out } from '../errors.js';
import { textTable } from '../format.js';

export type QueryFormat = 'table' | 'csv' | 'json';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return String(v);
}

function csvField(v: unknown): string {
  const s = cell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const jsonValue = (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? v.toString() : v);

/** A whole result in one format (tests and small results). */
export function formatQueryResult(r: QueryResult, format: QueryFormat): string {
  const w = writer(format);
  let s = w.columns(r.columns);
  for (const row of r.rows) s += w.row(row);
  return s + w.end(r.rows.length);
}

/** The pieces of one output format: what to write for the columns, each row, and the end. */
function writer(format: QueryFormat) {
  let columns: string[] = [];
  let n = 0;
  const table: unknown[][] = [];
  if (format === 'json') {
    return {
      columns: (c: string[]) => { columns = c; return '['; },
      row: (row: unknown[]) => `${n++ === 0 ? '\n' : ',\n'}  ${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, jsonValue(row[i])])))}`,
      end: () => (n === 0 ? ']\n' : '\n]\n'),
    };
  }
  if (format === 'csv') {
    return {
      columns: (c: string[]) => `${c.map(csvField).join(',')}\r\n`,
      row: (row: unknown[]) => `${row.map(csvField).join(',')}\r\n`,
      end: () => '',
    };
  }
  return {
    columns: (c: string[]) => { columns = c; return ''; },
    row: (row: unknown[]) => { table.push(row); return ''; },
    end: (shown: number) => {
      const t = textTable(columns);
      for (const row of table) t.push(row.map((v) => (v === null ? 'NULL' : cell(v))));
      return `${t.toString()}\n(${shown} row${shown === 1 ? '' : 's'})\n`;
    },
  };
}

/** What is said after the rows when the limit or the time limit cut them (null: all rows were shown). */
export function cutNote(end: QueryEnd, limit: number, timeoutS: number): string | null {
  if (end.timedOut) {
    return `query stopped after ${timeoutS} s (--timeout ${timeoutS}): ${end.shown} row(s) shown, the rest not read; narrow the statement (WHERE, LIMIT) or raise --timeout`;
  }
  if (end.total > end.shown) {
    return `${end.shown} of ${end.total} rows shown (--limit ${limit}): ${end.total - end.shown} left out; add LIMIT/OFFSET to the statement or raise --limit`;
  }
  return null;
}

export function register(program: Command, deps: CliDeps): void {
  program.command('query')
    .description('run one read-only SQL statement on the results database')
    .argument('<sql>', 'e.g. "SELECT * FROM best_trials"')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--limit <rows>', 'print at most this many rows (the rest are counted)', positiveInt('--limit'), DEFAULT_QUERY_LIMIT)
    .option('--timeout <seconds>', 'stop the statement after this many seconds', positiveInt('--timeout'), DEFAULT_QUERY_TIMEOUT_MS / 1000)
    .action(act(deps, async (sql: string, o: { db: string; format: QueryFormat; limit: number; timeout: number }) => {
      const w = writer(o.format);
      const end = await runQuery(sql, {
        db: o.db, limit: o.limit, timeoutMs: o.timeout * 1000,
        onColumns: (c) => out(w.columns(c)),
        onRow: (row) => out(w.row(row)),
      });
      out(w.end(end.shown));
      const note = cutNote(end, o.limit, o.timeout);
      if (note !== null) err(`sweeplab: ${note}\n`);
      return end.timedOut ? 1 : 0;
    }));
}
