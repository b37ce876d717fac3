/**
 * Opening the results database: the pragmas every connection needs, and the migrations (applied once, under
 * BEGIN IMMEDIATE, so two `sweeplab` processes that start together cannot both create the schema).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { InputError, StoreError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

/** Where results go when `--db` is not given (relative to the current directory). */
export const DEFAULT_DB_PATH = 'results/sweeplab.db';

const BUSY_TIMEOUT_MS = 5000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Switches to WAL. The switch needs a moment alone with the file; another process opening it may hold it. */
function enableWal(db: Database.Database, path: string): void {
  if (db.memory) return;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode === 'wal') return;
    } catch (e) {
      lastError = e;
    }
    sleepSync(50);
  }
  throw new StoreError('OPEN_FAILED', path, `${path}: could not switch the database to WAL mode` +
    (lastError instanceof Error ? ` (${lastError.message})` : '') + '; is it on a network file system? Use a local disk.');
}

/** Applies the missing migrations. Safe to call from several processes at once; a no-op when up to date. */
export function migrate(db: Database.Database, path: string): void {
  const checkVersion = (v: number) => {
    if (v > SCHEMA_VERSION) {
      throw new StoreError('SCHEMA_TOO_NEW', path,
        `${path}: database schema version ${v} is newer than this sweeplab's (${SCHEMA_VERSION}); upgrade sweeplab or use another --db`);
    }
  };
  checkVersion(userVersion(db));
  if (userVersion(db) === SCHEMA_VERSION) return;
  db.transaction(() => {
    const current = userVersion(db); // re-read under the write lock: another process may have migrated meanwhile
    checkVersion(current);
    if (current === 0) {
      const tables = db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).pluck().get() as number;
      if (tables > 0) {
        throw new StoreError('NOT_SWEEPLAB', path,
          `${path}: not a sweeplab database (it has tables but no sweeplab schema version); pass another --db`);
      }
    }
    for (const m of MIGRATIONS.slice(current)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
}

/**
 * Opens (creating the folder and the file if needed) the results database for writing: WAL, synchronous=NORMAL,
 * foreign_keys=ON, busy_timeout=5000, schema migrated. `:memory:` works too (tests).
 */
export function openDatabase(path: string = DEFAULT_DB_PATH): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new StoreError('OPEN_FAILED', path, `${path}: cannot open the database (${(e as Error).message})`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    enableWal(db, path);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError('OPEN_FAILED', path, `${path}: cannot use the database (${(e as Error).message})`);
  }
  return db;
}

/**
 * Opens an existing results database read-only (for `query`, `show`, `reproduce`, reports). A database written by
 * an older sweeplab is migrated first through a short-lived writable connection.
 */
export function openReadOnly(path: string = DEFAULT_DB_PATH): Database.Database {
  if (!existsSync(path)) {
    throw new InputError('NO_DATABASE', `no results database at ${path}: run \`sweeplab run <file>\` first, or pass --db <path>`);
  }
  let db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  const v = userVersion(db);
  if (v === 0) {
    db.close();
    throw new StoreError('NOT_SWEEPLAB', path, `${path}: not a sweeplab database (no sweeplab schema version); pass another --db`);
  }
  if (v < SCHEMA_VERSION) {
    db.close();
    openDatabase(path).close();
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } else if (v > SCHEMA_VERSION) {
    db.close();
    throw new StoreError('SCHEMA_TOO_NEW', path,
      `${path}: database schema version ${v} is newer than this sweeplab's (${SCHEMA_VERSION}); upgrade sweeplab`);
  }
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}
