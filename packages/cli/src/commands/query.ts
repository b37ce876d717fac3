/** `sweeplab query "<sql>"`: one read-only statement over the results database, as a table, CSV or JSON. */
import { Option, type Command } from 'commander';
import { withResults } from '@sweeplab/runner';
import type { QueryResult } from '@sweeplab/store';
import { act, dbOption, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { textTable } from '../format.js';

export type QueryFormat = 'table' | 'csv' | 'json';

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

export function register(program: Command, deps: CliDeps): void {
  program.command('query')
    .description('run one read-only SQL statement on the results database')
    .argument('<sql>', 'e.g. "SELECT * FROM best_trials"')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(act(deps, (sql: string, o: { db: string; format: QueryFormat }) => {
      out(formatQueryResult(withResults(o.db, (r) => r.query(sql)), o.format));
      return 0;
    }));
}
