/**
 * The read-only side: a connection that cannot write (read-only file handle, `query_only`), never migrates, and
 * reads in WAL mode beside a running writer without blocking it. Reports, `show`, `query` and the dashboard read
 * through it.
 */
import type Database from 'better-sqlite3';
import { DEFAULT_DB_PATH, openReadOnly } from './db.js';
import { InputError } from './errors.js';
import { ReadQueries } from './queries.js';

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  /** set (true) when `maxRows` cut the result: more rows exist */
  truncated?: boolean;
}

/** PRAGMAs a query may read (never set): schema and file facts. */
const READABLE_PRAGMAS = new Set([
  'table_info', 'table_xinfo', 'table_list', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list',
  'user_version', 'data_version', 'schema_version', 'page_count', 'page_size', 'freelist_count', 'journal_mode',
  'compile_options', 'function_list', 'pragma_list', 'collation_list', 'module_list', 'database_list', 'encoding',
]);

/** PRAGMAs whose argument in parentheses names what to read (for the others it would be a new value). */
const ARGUMENT_PRAGMAS = new Set(['table_info', 'table_xinfo', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list', 'table_list']);

const badSql = (message: string) => new InputError('BAD_SQL', message);

/**
 * Refuses what a read-only query must not run, with a message that says why: statements that write or return no
 * rows, ATTACH / DETACH, and PRAGMAs other than reads of schema facts (no `=`, no setting in parentheses).
 */
function checkReadOnly(sql: string, stmt: Database.Statement): void {
  const head = sql.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '');
  const word = (/^[A-Za-z]+/.exec(head)?.[0] ?? '').toUpperCase();
  if (word === 'ATTACH' || word === 'DETACH') {
    throw badSql(`${word} is refused: queries read this results database only (read-only connection)`);
  }
  if (word === 'PRAGMA') {
    const name = (/^PRAGMA\s+(?:main\s*\.\s*)?([A-Za-z_]+)/i.exec(head)?.[1] ?? '').toLowerCase();
    // `PRAGMA x = v` and `PRAGMA x(v)` both set x; only the schema pragmas take an argument to read
    const sets = head.includes('=') || (head.includes('(') && !ARGUMENT_PRAGMAS.has(name));
    if (sets || !READABLE_PRAGMAS.has(name)) {
      throw badSql(`PRAGMA ${name || '?'}${sets ? ' with a value' : ''} is refused: the connection is read-only; ` +
        'queries may read PRAGMAs such as table_info(<table>), index_list(<table>), user_version, data_version');
    }
  }
  if (!stmt.reader || !stmt.readonly) {
    throw badSql(`${word || 'this statement'} is refused: queries are read-only (SELECT, WITH, VALUES, EXPLAIN SELECT, PRAGMA table_info(...)); this one would change the database`);
  }
}

export class ResultsReader extends ReadQueries {
  readonly path: string;

  private constructor(db: Database.Database, path: string) {
    super(db);
    this.path = path;
  }

  /**
   * Opens an existing database read-only.
   * @throws InputError NO_DATABASE; StoreError NOT_SWEEPLAB / SCHEMA_TOO_NEW / SCHEMA_OLD / OPEN_FAILED
   */
  static open(path: string = DEFAULT_DB_PATH): ResultsReader {
    return new ResultsReader(openReadOnly(path), path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Runs one user statement: reads only (see checkReadOnly). `maxRows` caps the rows returned (`truncated` says when
   * more exist). Bad SQL or a statement that is not a plain read -> InputError BAD_SQL.
   */
  /**
   * Runs one user statement row by row: `onColumns` first, then `onRow` for each of the first `limit` rows as they
   * are read (nothing is buffered); the rows after them are only counted. Returns how many rows were shown and how
   * many the statement has in all. Bad SQL or a statement that would write -> InputError BAD_SQL.
   */
  queryStream(sql: string, opts: { limit: number; onColumns: (columns: string[]) => void; onRow: (row: unknown[]) => void }): { shown: number; total: number } {
    const stmt = this.prepareReadOnly(sql);
    opts.onColumns(stmt.columns().map((c) => c.name));
    let total = 0;
    try {
      for (const row of stmt.raw(true).iterate() as IterableIterator<unknown[]>) {
        if (total < opts.limit) opts.onRow(row);
        total++;
      }
    } catch (e) {
      throw badSql(`bad SQL: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
    return { shown: Math.min(total, opts.limit), total };
  }

  /** One user statement, compiled and checked not to write (InputError BAD_SQL otherwise). */
  private prepareReadOnly(sql: string): Database.Statement {
    let stmt;
    try {
      stmt = this.db.prepare(sql);
    } catch (e) {
      throw badSql(`bad SQL: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
    checkReadOnly(sql, stmt);
    return stmt;
  }

  query(sql: string, opts: { maxRows?: number } = {}): QueryResult {
    const stmt = this.prepareReadOnly(sql);
    const columns = stmt.columns().map((c) => c.name);
    try {
      if (opts.maxRows === undefined) return { columns, rows: stmt.raw(true).all() as unknown[][] };
      const rows: unknown[][] = [];
      let truncated = false;
      for (const row of stmt.raw(true).iterate() as IterableIterator<unknown[]>) {
        if (rows.length >= opts.maxRows) {
          truncated = true;
          break;
        }
        rows.push(row);
      }
      return { columns, rows, truncated };
    } catch (e) {
      throw badSql(`bad SQL: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
  }
}
