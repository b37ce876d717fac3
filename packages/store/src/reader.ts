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

  /** Runs one user statement. Bad SQL or a statement that would write -> InputError BAD_SQL. */
  query(sql: string): QueryResult {
    let stmt;
    try {
      stmt = this.db.prepare(sql);
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
  }
}
